#!/usr/bin/env bash
# README command (2): set up this machine and run every test: the Rust workspace, the Python package, the Node
# package and the viewer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
status=0
cargo test --workspace --no-fail-fast "$@" || status=$?
# The Python package, built by maturin into the same target directory (the engine is not compiled again) and
# installed into its venv, then its pytest suite (which starts the CLI built above as `lakefeed serve`).
VIRTUAL_ENV="$LAKEFEED_PYVENV" "$LAKEFEED_PYVENV/bin/maturin" develop -q -m python/Cargo.toml || status=$?
"$LAKEFEED_PYVENV/bin/python" -m pytest -q python/tests || status=$?
# The Node package: its native module built by cargo into the same target directory, then `node --test`.
bash node/build.sh || status=$?
(cd node && node --test test/) || status=$?
# The viewer in Debian's headless Chromium, against `lakefeed view` (the CLI built by cargo test above);
# screenshots of each page go to viewer/test-output/.
(cd viewer && node --test --test-concurrency=1 test/) || status=$?
exit $status
