#!/usr/bin/env bash
# band-desktop's figures (docs/BENCHMARKS.md): cold start to the dashboard visible, the idle
# memory of the shell and of WebKit's processes apart, and the package sizes.
#   ./scripts/bench-desktop.sh [debug|release]   (default release; packages only with release)
# Runs under its own Xvfb; each start is on a fresh home.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-release}"
target="${CARGO_TARGET_DIR:-target}"
if [ "$profile" = release ]; then cargo build --release --locked -p band-desktop; else cargo build --locked -p band-desktop; fi
./scripts/web.sh
bin="$target/$profile/band-desktop"

Xvfb :93 -screen 0 1280x860x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=:93 NO_AT_BRIDGE=1

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
for run in 1 2 3; do
  home="$(mktemp -d)"
  start=$(date +%s%N)
  "$bin" --home "$home" --port 0 >/dev/null 2>"$home/log" &
  pid=$!
  until grep -q "dashboard visible" "$home/log" 2>/dev/null; do sleep 0.02; done
  seen=$(( ($(date +%s%N) - start) / 1000000 ))
  said=$(grep -o 'dashboard visible ms=[0-9]*' "$home/log" | head -1 | tr -dc '0-9')
  sleep 5
  shell=$(rss_kb "$pid")
  webkit=0
  for child in $(pgrep -P "$pid" || true); do webkit=$(( webkit + $(rss_kb "$child") )); done
  echo "run $run: visible after ${said} ms (shell's own count) / ${seen} ms (seen in its log); idle RSS: shell $(( shell / 1024 )) MiB, WebKit processes $(( webkit / 1024 )) MiB"
  kill -TERM "$pid"; wait "$pid" || true
  rm -rf "$home"
done
if [ "$profile" = release ] && ls "$target"/packages/*.deb >/dev/null 2>&1; then
  ls -l "$target"/packages/
fi
