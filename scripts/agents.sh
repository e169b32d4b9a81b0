#!/usr/bin/env bash
# Installs the agent CLIs band's tests run for real (pinned versions, from npm) into a cache outside
# the repository, and prints their bin directory as the last line of stdout:
#   BAND_AGENTS_BIN="$(./scripts/agents.sh | tail -n1)"
# Idempotent: nothing is downloaded when the pinned versions are already there. The CLIs ship native
# binaries inside the npm packages; once installed they need no network (tests point them at a mock
# model on 127.0.0.1, see crates/band-mockmodel).
# The directory is ${BAND_AGENTS_DIR:-$HOME/.cache/band/agents}.
set -euo pipefail

CLAUDE_VERSION=2.1.197
CODEX_VERSION=0.169.0

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

if [ "$(installed @anthropic-ai/claude-code)" = "$CLAUDE_VERSION" ] &&
  [ "$(installed @openai/codex)" = "$CODEX_VERSION" ] &&
  [ -x "$bin/claude" ] && [ -x "$bin/codex" ]; then
  echo "agent CLIs already installed in $dir (claude $CLAUDE_VERSION, codex $CODEX_VERSION)" >&2
else
  echo "installing claude $CLAUDE_VERSION and codex $CODEX_VERSION into $dir" >&2
  mkdir -p "$dir"
  # A package.json of our own keeps npm from walking up to some parent project.
  [ -f "$dir/package.json" ] || echo '{"name":"band-agents","private":true}' >"$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --no-update-notifier --loglevel=error \
    "@anthropic-ai/claude-code@$CLAUDE_VERSION" "@openai/codex@$CODEX_VERSION" >&2
fi

# The native binaries must run without network: --version touches nothing remote.
for cli in claude codex; do
  version="$(DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    "$bin/$cli" --version 2>&1)" || {
    echo "$bin/$cli --version failed:" >&2
    echo "$version" >&2
    exit 1
  }
  echo "$cli: $version" >&2
done

echo "$bin"
