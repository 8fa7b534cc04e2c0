# Sourced by the other scripts: where builds, Python and PDFium live. Safe to source repeatedly.
export LAKEFEED_CACHE="${LAKEFEED_CACHE:-$HOME/.cache/lakefeed}"
# One target directory that survives fresh clones, so CI and later builds reuse the heavy lancedb build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$LAKEFEED_CACHE/target}"
export LAKEFEED_PYTHON="${LAKEFEED_PYTHON:-$LAKEFEED_CACHE/venv/bin/python}"
# The Python package is built with the venv that tests it (Debian's Python and PyTorch), as an extension module
# (no link to libpython), the same way by maturin and by `cargo test --workspace`, so neither rebuilds pyo3.
export LAKEFEED_PYVENV="${LAKEFEED_PYVENV:-$LAKEFEED_CACHE/pyvenv}"
export PYO3_PYTHON="${PYO3_PYTHON:-$LAKEFEED_PYVENV/bin/python}"
export PYO3_BUILD_EXTENSION_MODULE=1
export LAKEFEED_PDFIUM_DIR="${LAKEFEED_PDFIUM_DIR:-$LAKEFEED_CACHE/pdfium}"
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
