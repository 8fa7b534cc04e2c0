# Sourced by the other scripts: where builds, Python and PDFium live. Safe to source repeatedly.
export LAKEFEED_CACHE="${LAKEFEED_CACHE:-$HOME/.cache/lakefeed}"
# One target directory that survives fresh clones, so CI and later builds reuse the heavy lancedb build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$LAKEFEED_CACHE/target}"
export LAKEFEED_PYTHON="${LAKEFEED_PYTHON:-$LAKEFEED_CACHE/venv/bin/python}"
export LAKEFEED_PDFIUM_DIR="${LAKEFEED_PDFIUM_DIR:-$LAKEFEED_CACHE/pdfium}"
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
