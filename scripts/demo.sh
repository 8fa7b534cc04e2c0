#!/usr/bin/env bash
# README command (1): set up this machine, ingest the bundled example data into the embedded store
# (./lakefeed-data unless LAKEFEED_STORE is set), and query it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
cargo build --bin lakefeed
LF="$CARGO_TARGET_DIR/debug/lakefeed"
set -x
"$LF" ingest docs --rows examples/rows.jsonl --mode overwrite
"$LF" query "SELECT category, count(*) AS n, round(avg(score), 2) AS avg_score FROM docs GROUP BY category ORDER BY n DESC, category"
"$LF" query "SELECT doc_id, text FROM docs WHERE category = \$1 ORDER BY doc_id LIMIT 3" --param rag
