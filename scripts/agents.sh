#!/usr/bin/env bash
# Installs the agent CLIs band's tests run for real (pinned versions, from npm) into a cache outside
# the repository, and prints their bin directory as the last line of stdout:
#   BAND_AGENTS_BIN="$(./scripts/agents.sh | tail -n1)"
# Idempotent: nothing is downloaded when the pinned versions are already there. The CLIs ship native
# binaries inside the npm packages; once installed they need no network (tests point them at a mock
# model on 127.0.0.1, see crates/band-mockmodel).
# The directory is ${BAND_AGENTS_DIR:-$HOME/.cache/band/agents}.
set -euo pipefail

# One line per agent: bumping a version is changing its line. The contract suite
# (crates/band-adapters/tests/adapters/contract.rs) runs each of them and says what changed.
PINS=(
  "@anthropic-ai/claude-code@2.1.197 claude"
  "@openai/codex@0.169.0 codex"
  "@google/gemini-cli@0.61.0 gemini"
  "opencode-ai@1.18.33 opencode"
  # npm says node >= 22; it runs on node 20 (checked by the contract suite).
  "@qwen-code/qwen-code@0.24.4 qwen"
)

dir="${BAND_AGENTS_DIR:-$HOME/.cache/band/agents}"
bin="$dir/node_modules/.bin"

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
  echo "the agent CLIs are installed with npm, but node/npm are not on PATH:" >&2
  echo "install Node.js 18 or newer (e.g. apt-get install nodejs npm, or https://nodejs.org)" >&2
  exit 1
}

# The version an installed package declares, or nothing.
installed() {
  node -e 'try { process.stdout.write(require(process.argv[1]).version) } catch (e) {}' \
    "$dir/node_modules/$1/package.json"
}

missing=()
for pin in "${PINS[@]}"; do
  read -r spec cli <<<"$pin"
  package="${spec%@*}" version="${spec##*@}"
  if [ "$(installed "$package")" != "$version" ] || [ ! -x "$bin/$cli" ]; then
    missing+=("$spec")
  fi
done

if [ "${#missing[@]}" = 0 ]; then
  echo "agent CLIs already installed in $dir" >&2
else
  echo "installing ${missing[*]} into $dir" >&2
  mkdir -p "$dir"
  # A package.json of our own keeps npm from walking up to some parent project.
  [ -f "$dir/package.json" ] || echo '{"name":"band-agents","private":true}' >"$dir/package.json"
  # --engine-strict=false: Qwen Code declares node >= 22 and runs on 20.
  npm install --prefix "$dir" --no-audit --no-fund --no-update-notifier --loglevel=error \
    --engine-strict=false --save-exact "${missing[@]}" >&2
fi

# The native binaries must run without network: --version touches nothing remote.
for pin in "${PINS[@]}"; do
  read -r _ cli <<<"$pin"
  version="$(DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    "$bin/$cli" --version 2>&1)" || {
    echo "$bin/$cli --version failed:" >&2
    echo "$version" >&2
    exit 1
  }
  echo "$cli: $version" >&2
done

echo "$bin"
