"""Baseline for benches/object_store.rs: the same rows as the store benchmark written with pylance to an S3
server. usage: s3_pylance.py ROWS ENDPOINT URI; prints {"write": seconds}."""
import json
import sys
import time

import lance

sys.path.insert(0, __file__.rsplit("/", 2)[0])
from store_baseline import table  # noqa: E402

rows, endpoint, uri = int(sys.argv[1]), sys.argv[2], sys.argv[3]
opts = {"aws_endpoint": endpoint, "aws_access_key_id": "k", "aws_secret_access_key": "s",
        "aws_region": "us-east-1", "allow_http": "true"}
t = table(rows)
s = time.perf_counter()
lance.write_dataset(t, uri, storage_options=opts, max_rows_per_file=1_000_000)
print(json.dumps({"write": time.perf_counter() - s}))
