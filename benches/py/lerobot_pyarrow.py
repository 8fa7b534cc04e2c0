"""pyarrow reading a LeRobot v2.1 dataset's parquet files and writing the seed's unpacked columns (state_x …
action_gripper as FLOAT columns) to one Parquet file: what a user would write by hand.

usage: lerobot_pyarrow.py DIR OUT.parquet"""

import glob
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

root, out = sys.argv[1], sys.argv[2]
info = json.load(open(os.path.join(root, "meta/info.json")))
vectors = {k: f["names"] for k, f in info["features"].items() if f["shape"][0] > 1}
writer, frames = None, 0
for path in sorted(glob.glob(os.path.join(root, "data/chunk-*/episode_*.parquet"))):
    table = pq.read_table(path)
    columns, names = [], []
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        if name in vectors:
            width = len(vectors[name])
            values = col.flatten().to_numpy().reshape(-1, width)
            short = name.rsplit(".", 1)[-1]
            for i, element in enumerate(vectors[name]):
                columns.append(pa.array(values[:, i]))
                names.append(f"{short}_{element}")
        else:
            columns.append(col)
            names.append(name)
    batch = pa.table(columns, names=names)
    if writer is None:
        writer = pq.ParquetWriter(out, batch.schema)
    writer.write_table(batch)
    frames += batch.num_rows
if writer is not None:
    writer.close()
json.dump({"frames": frames}, sys.stdout)
