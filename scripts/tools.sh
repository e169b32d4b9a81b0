#!/usr/bin/env bash
# Installs the programs band's tests run for real besides the agent CLIs (pinned versions, built
# with cargo) into a cache outside the repository, and prints the bore binary's path as the last
# line of stdout:
#   BAND_TEST_BORE="$(./scripts/tools.sh | tail -n1)"
# bore (https://github.com/ekzhang/bore) is the self-hostable tunnel: the tests run a bore server
# and client on 127.0.0.1, so the whole remote path is tested without the internet.
# Idempotent: nothing is built when the pinned version is already there (a first build takes
# about a minute on 2 cores). The directory is ${BAND_TOOLS_DIR:-$HOME/.cache/band/tools}.
set -euo pipefail

BORE_VERSION=0.6.0

dir="${BAND_TOOLS_DIR:-$HOME/.cache/band/tools}"
bore="$dir/bin/bore"

command -v cargo >/dev/null 2>&1 || {
  echo "bore is built with cargo, which is not on PATH: install Rust with rustup (https://rustup.rs)" >&2
  exit 1
}

if [ -x "$bore" ] && [ "$("$bore" --version 2>/dev/null)" = "bore-cli $BORE_VERSION" ]; then
  echo "bore $BORE_VERSION already installed in $dir" >&2
else
  echo "installing bore-cli $BORE_VERSION into $dir" >&2
  # A temporary target directory of its own (CARGO_TARGET_DIR unset): the build neither touches
  # nor waits for the workspace's.
  env -u CARGO_TARGET_DIR cargo install bore-cli --locked --version "$BORE_VERSION" --root "$dir" --force >&2
fi

echo "bore: $("$bore" --version)" >&2
echo "$bore"
