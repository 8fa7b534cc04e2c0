"""Baselines for benches/store.rs: the same rows written with pyarrow to Parquet and with lancedb, then scanned.
Prints {"parquet": {"write": s, "scan": s}, "lancedb": {...}} with medians over the repeats."""
import json, statistics, sys, tempfile, time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import lancedb

DIM, BATCH = 384, 10_000


def table(rows):
    i = np.arange(rows, dtype=np.int64)
    k = np.arange(DIM, dtype=np.int64)
    vals = (((i[:, None] * 31 + k[None, :] * 7) % 1000) / 1000.0).astype(np.float32)
    emb = pa.FixedSizeListArray.from_arrays(pa.array(vals.ravel()), DIM)
    ids = pa.array([f"row_{x}" for x in range(rows)])
    texts = pa.array([f"document number {x} about robots" for x in range(rows)])
    return pa.table({"id": ids, "text": texts, "embedding": emb})


def main():
    rows, repeats = int(sys.argv[1]), int(sys.argv[2])
    t = table(rows)
    res = {"parquet": {"write": [], "scan": []}, "lancedb": {"write": [], "scan": []}}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as d:
            path = f"{d}/bench.parquet"
            s = time.perf_counter()
            pq.write_table(t, path, compression="zstd", row_group_size=100_000)
            res["parquet"]["write"].append(time.perf_counter() - s)
            s = time.perf_counter()
            n = sum(b.num_rows for b in pq.ParquetFile(path).iter_batches(batch_size=BATCH))
            res["parquet"]["scan"].append(time.perf_counter() - s)
            assert n == rows
        with tempfile.TemporaryDirectory() as d:
            db = lancedb.connect(d)
            s = time.perf_counter()
            db.create_table("bench", t.slice(0, 0))
            tbl = db.open_table("bench")
            for off in range(0, rows, 100_000):
                tbl.add(t.slice(off, 100_000))
            res["lancedb"]["write"].append(time.perf_counter() - s)
            s = time.perf_counter()
            n = sum(b.num_rows for b in tbl.to_lance().to_batches(batch_size=BATCH))
            res["lancedb"]["scan"].append(time.perf_counter() - s)
            assert n == rows
    print(json.dumps({k: {m: statistics.median(v) for m, v in d.items()} for k, d in res.items()}))


if __name__ == "__main__":
    main()
