"""One ingest of a ROWS × 384 float32 DataFrame in a process of its own, so its peak RSS is its own.

usage: python_package_frame.py lakefeed|pylance ROWS OUT_DIR   → JSON: seconds, peak_mb, frame_mb, base_mb"""

import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import pyarrow  # noqa: F401  (imported before the baseline is read, as both tools need it)

tool, rows, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
frame = pd.DataFrame(np.random.default_rng(0).random((rows, 384), dtype=np.float32), columns=[f"f{i}" for i in range(384)])
frame_mb = frame.memory_usage(index=False).sum() / 2**20
start = time.perf_counter()
if tool == "lakefeed":
    from lakefeed import Client

    Client(store=out).ingest("frame", frame)
else:
    import lance

    lance.write_dataset(frame, f"{out}/frame.lance")
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
json.dump({"seconds": seconds, "peak_mb": peak, "frame_mb": frame_mb, "base_mb": base}, sys.stdout)
