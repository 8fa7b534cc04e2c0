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
# Search (pg_deeplake's operators): BM25 over the media table's text (it has a full-text index), cosine similarity
# and the weighted hybrid over docs.
"$LF" query "SELECT file_id, text <#> 'manual installation' AS bm25 FROM media ORDER BY bm25 DESC LIMIT 3"
"$LF" query "SELECT doc_id, embedding <#> \$1 AS similarity FROM docs ORDER BY similarity DESC LIMIT 3" \
  --param '[0.6442, 0.9854, 0.8632, 0.335, -0.3508, -0.8716, -0.9825, -0.6313]'
"$LF" query "SELECT doc_id, (embedding, text)::deeplake_hybrid_record <#> deeplake_hybrid_record(\$1, 'gripper', 0.7, 0.3) AS score FROM docs ORDER BY score DESC LIMIT 3" \
  --param '[0.6442, 0.9854, 0.8632, 0.335, -0.3508, -0.8716, -0.9825, -0.6313]'
set +x
echo "Browse these tables: $LF --store ./lakefeed-data view   (then open http://127.0.0.1:8090/view/)" >&2
