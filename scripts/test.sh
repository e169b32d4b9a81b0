#!/usr/bin/env bash
# Runs every test band has, on a fresh machine: installs what the tests need, then runs them.
# Tests use real parts: real git repositories, a real SQLite file, the real binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq "$@" >/dev/null; fi
}

need cargo || { echo "band's tests need Rust: install it with rustup (https://rustup.rs)" >&2; exit 1; }
need git || { echo "installing git" >&2; apt_install git; }

# Unit, integration and end-to-end tests, the architecture checks (tests/tidy.rs), and one quick
# smoke run of each benchmark so that none can rot.
cargo test --workspace --all-targets --locked
