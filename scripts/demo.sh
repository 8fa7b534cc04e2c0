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
# The main job: a manifest building two tables (files by kind, and column data), then queries over them.
"$LF" run examples/demo.yaml
"$LF" query "SELECT file_id, count(*) AS rows, min(text) AS first_text FROM media GROUP BY file_id ORDER BY rows DESC"
"$LF" query "SELECT chunk_index, start_time, end_time, video_data, thumbnail FROM media WHERE video_data IS NOT NULL ORDER BY chunk_index"
"$LF" query "SELECT dimension, count(*) AS n FROM thumbnails WHERE table_name = 'media' GROUP BY dimension ORDER BY dimension"
"$LF" query "SELECT category, count(*) AS n, round(avg(score), 2) AS avg_score FROM docs GROUP BY category ORDER BY n DESC, category"
"$LF" query "SELECT doc_id, text FROM docs WHERE category = \$1 ORDER BY doc_id LIMIT 3" --param rag
