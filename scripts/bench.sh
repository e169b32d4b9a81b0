#!/usr/bin/env bash
# Builds the release binaries and prints band's benchmark figures (see docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bins
cargo bench --locked -p band-server --bench spine
cargo bench --locked -p band-server --bench sockets
cargo bench --locked -p band-server --bench heavy_diff
cargo bench --locked -p band-server --bench terminals
