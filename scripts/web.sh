#!/usr/bin/env bash
# Builds the dashboard (web/dist) when it is missing or older than its sources: `npm ci` when
# web/node_modules is missing or older than the lockfile, then `vite build`. Nothing happens when
# the build is current, so ./scripts/run.sh calls it on every start.
set -euo pipefail
cd "$(dirname "$0")/../web"

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
  echo "the dashboard is built with Node.js and npm, which are not on PATH:" >&2
  echo "install Node.js 20 or newer (e.g. apt-get install nodejs npm, or https://nodejs.org)" >&2
  exit 1
}

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing the dashboard's packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

stale=yes
if [ -f dist/index.html ]; then
  newer="$(find src public index.html package.json package-lock.json vite.config.ts tsconfig.json -newer dist/index.html -print -quit 2>/dev/null)"
  [ -z "$newer" ] && stale=
fi
if [ -n "$stale" ]; then
  echo "building the dashboard (web/dist)" >&2
  npx --no-install vite build --logLevel warn >&2
  touch dist/index.html
fi
