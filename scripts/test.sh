#!/usr/bin/env bash
# Runs every test band has, on a fresh machine: installs what the tests need, then runs them.
# Tests use real parts: real git repositories, a real SQLite file, the real binaries, and the real
# agent CLIs (pinned, from npm) talking to a mock model on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq "$@" >/dev/null; fi
}

need cargo || { echo "band's tests need Rust: install it with rustup (https://rustup.rs)" >&2; exit 1; }
need git || { echo "installing git" >&2; apt_install git; }
{ need node && need npm; } || { echo "installing Node.js" >&2; apt_install nodejs npm; }

# The agent CLIs at their pinned versions (a cache outside the clone; nothing is fetched when
# they are already there).
BAND_AGENTS_BIN="$(./scripts/agents.sh | tail -n1)"
export BAND_AGENTS_BIN

# bore at its pinned version, for the tunnel tests (a bore server and client on loopback); the
# tests fail, never skip, without it.
BAND_TEST_BORE="$(./scripts/tools.sh | tail -n1)"
export BAND_TEST_BORE

# The dashboard's browser tests drive Debian's Chromium (a test tool's own browser download
# cannot work offline); its packages and its build (web/dist) come from ./scripts/web.sh.
need chromium || { echo "installing Chromium" >&2; apt_install chromium; }
# Cronjobs' time zones come from the system's database (jiff reads /usr/share/zoneinfo).
[ -e /usr/share/zoneinfo/Europe/Berlin ] || { echo "installing tzdata" >&2; apt_install tzdata; }
need tmux || { echo "installing tmux (terminal agents inside tmux)" >&2; apt_install tmux; }
./scripts/web.sh

# band-desktop (the desktop shell) links WebKitGTK and GTK, shows its tray through
# libayatana-appindicator, and is tested in real windows under Xvfb with screenshots
# (ImageMagick), the clipboard read back by another X client (xclip): Debian's packages,
# installed when missing.
desktop_pkgs="libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-1 xvfb imagemagick xclip"
# shellcheck disable=SC2086
dpkg -s $desktop_pkgs >/dev/null 2>&1 || { echo "installing band-desktop's system packages" >&2; apt_install $desktop_pkgs; }

# The code's form first: formatted, and no clippy warning (the workspace's lints, -D warnings).
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

# Unit, integration and end-to-end tests, the architecture checks (tests/tidy.rs), and one quick
# smoke run of each benchmark so that none can rot. Built first, with the network, together with
# the binaries the browser tests run (band-server, band-mockmodel)...
cargo test --workspace --all-targets --locked --no-run
cargo build --locked -p band-server -p band-mockmodel -p band-cli

# ...then run where nothing can leave the machine: a network namespace with only loopback, when
# this user may make one (root, as in CI). The agents are configured offline either way. After
# cargo's tests: the dashboard's unit tests (vitest, incl. the generated API types being current),
# its type check, and its browser tests against the real band-server (web/e2e).
tests='cargo test --workspace --all-targets --locked --offline --no-fail-fast && cd web &&
  ./node_modules/.bin/vitest run && ./node_modules/.bin/tsc --noEmit && node --test e2e/'
if [ "$(id -u)" = 0 ] && need unshare && { need ip || apt_install iproute2; } && unshare -n true 2>/dev/null; then
  echo "running the tests in a loopback-only network namespace" >&2
  exec unshare -n bash -c "ip link set lo up && $tests"
fi
exec bash -c "$tests"
