#!/usr/bin/env bash
# Builds and runs band-server on http://127.0.0.1:3456 (flags pass through: --port, --bind, --home).
# The first start creates ~/.band (or $BAND_HOME) with settings.json and its token; band-server
# prints the dashboard's sign-in link (http://127.0.0.1:3456/?token=...).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null 2>&1 || { echo "band needs Rust: install it with rustup (https://rustup.rs)" >&2; exit 1; }
command -v git >/dev/null 2>&1 || { echo "band needs git on PATH" >&2; exit 1; }
# The dashboard (web/dist), only when its sources changed. Without Node.js the API still runs;
# the page then says how to build the dashboard.
if command -v npm >/dev/null 2>&1; then
  ./scripts/web.sh
else
  echo "warning: Node.js/npm not found, so the dashboard is not built (install Node.js 20+ for it)" >&2
fi
cargo build --release --locked -p band-server -p band-cli
target="${CARGO_TARGET_DIR:-target}"
echo "the CLI is $target/release/band (cargo install --locked --path crates/band-cli puts it on your PATH)" >&2
if [ -z "${BAND_WEB_DIR:-}" ] && [ -f web/dist/index.html ]; then export BAND_WEB_DIR="$PWD/web/dist"; fi
exec "$target/release/band-server" "$@"
