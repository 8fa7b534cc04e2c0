#!/usr/bin/env bash
# Builds the native module with cargo into the shared target directory (the engine is not compiled again) and puts
# it beside index.js. Not `napi build`: it always passes `--target`, which moves the build to a target directory of
# its own and compiles lancedb, Lance and DataFusion again (about 40 minutes here).
set -euo pipefail
cd "$(dirname "$0")"
. ../scripts/env.sh
cargo build -p lakefeed-node
cp -f "$CARGO_TARGET_DIR/debug/liblakefeed_node.so" lakefeed.linux-x64-gnu.node
