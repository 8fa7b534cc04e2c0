#!/bin/bash
# Submits the array (SHARDS tasks, at most PARALLEL at once) and the commit as a job that runs only when every task
# succeeded (afterok); if a task fails for good, the commit is cancelled rather than left pending.
#   LAKEFEED_STORE=s3://my-bucket/lakefeed ./submit.sh ingest.yaml 64 16
set -euo pipefail
manifest="${1:?usage: submit.sh MANIFEST [SHARDS] [PARALLEL]}"
shards="${2:-8}"
parallel="${3:-$shards}"
here="$(cd "$(dirname "$0")" && pwd)"
jid=$(sbatch --parsable --array="0-$((shards - 1))%${parallel}" \
  --export="ALL,LAKEFEED_MANIFEST=${manifest}" "$here/ingest.sbatch")
sbatch --dependency="afterok:${jid}" --kill-on-invalid-dep=yes \
  --export="ALL,LAKEFEED_MANIFEST=${manifest},LAKEFEED_SHARDS=${shards}" "$here/commit.sbatch"
