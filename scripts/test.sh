#!/usr/bin/env bash
# README command (2): set up this machine and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
cargo test --workspace --no-fail-fast "$@"
