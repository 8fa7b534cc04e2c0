#!/usr/bin/env bash
# Runs every benchmark (ours and the baseline in the same run) and prints Markdown tables.
# usage: scripts/bench.sh [BENCH…]   (default: all; `python` is the Python package's, PYTHON_BENCH_ARGS e.g.
# "--rows 100000 --rounds 3"). Results are recorded in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
pip_needed=$("$LAKEFEED_PYTHON" -c "import PIL, pycocotools, pypdfium2, lancedb, pyarrow" 2>&1 || true)
[ -z "$pip_needed" ] || { echo "baseline packages missing: $pip_needed" >&2; exit 1; }
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(thumbnails masks text pdf video store lerobot service object_store python node viewer)
for b in "${benches[@]}"; do
  echo "## $b ($(date -u +%F), $(nproc) cores)"
  if [ "$b" = python ]; then
    # The Python package (issue 20) against the CLI, the seed's Python SDK, pylance and lance.torch, which
    # (with PyMuPDF for the seed's PDF path) go into the package's venv for this benchmark only.
    "$LAKEFEED_PYVENV/bin/pip" install -q --disable-pip-version-check pylance==14.0.2 deeplake==4.5.5 pymupdf >&2
    cargo build --bin lakefeed
    VIRTUAL_ENV="$LAKEFEED_PYVENV" "$LAKEFEED_PYVENV/bin/maturin" develop -q -m python/Cargo.toml
    "$LAKEFEED_PYVENV/bin/python" -W ignore benches/py/python_package.py "$CARGO_TARGET_DIR/debug/lakefeed" \
      ../shared/fixtures a b c d ${PYTHON_BENCH_ARGS:-}
    continue
  fi
  if [ "$b" = viewer ]; then
    # The viewer (issue 23) in Debian's headless Chromium on a 100k-row image table (with its thumbnails and a
    # full-text index on the captions).
    cargo build --bin lakefeed
    dir=$(mktemp -d)
    "$LAKEFEED_PYTHON" benches/py/viewer_images.py 100000 "$dir/images.parquet"
    "$CARGO_TARGET_DIR/debug/lakefeed" --store "$dir/store" ingest imgs --rows "$dir/images.parquet" --schema image=IMAGE >&2
    "$CARGO_TARGET_DIR/debug/lakefeed" --store "$dir/store" index imgs caption >&2
    node benches/viewer/grid.mjs "$CARGO_TARGET_DIR/debug/lakefeed" "$dir/store" imgs 5
    rm -rf "$dir"
    continue
  fi
  if [ "$b" = node ]; then
    # The Node package (issue 22) against the CLI and the Rust client (through the Python package).
    cargo build --bin lakefeed
    bash node/build.sh
    VIRTUAL_ENV="$LAKEFEED_PYVENV" "$LAKEFEED_PYVENV/bin/maturin" develop -q -m python/Cargo.toml
    node benches/node/ingest.mjs "$CARGO_TARGET_DIR/debug/lakefeed" ../shared/fixtures 5
    continue
  fi
  cargo bench --profile dev --bench "$b" -- 2>/dev/null
done
