#!/usr/bin/env bash
# Runs every benchmark (ours and the baseline in the same run) and prints Markdown tables.
# usage: scripts/bench.sh [BENCH…]   (default: all). Results are recorded in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
pip_needed=$("$LAKEFEED_PYTHON" -c "import PIL, pycocotools, pypdfium2, lancedb, pyarrow" 2>&1 || true)
[ -z "$pip_needed" ] || { echo "baseline packages missing: $pip_needed" >&2; exit 1; }
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(thumbnails masks text pdf video store lerobot service)
for b in "${benches[@]}"; do
  echo "## $b ($(date -u +%F), $(nproc) cores)"
  cargo bench --profile dev --bench "$b" -- 2>/dev/null
done
