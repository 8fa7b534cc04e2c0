"""Writes a synthetic LeRobot v2.1 dataset with DROID's feature names: EPISODES episodes of FRAMES frames, one
parquet file per episode (chunks of 1000), meta/info.json, tasks.jsonl, episodes.jsonl.

usage: lerobot_make.py DIR EPISODES FRAMES"""

import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

root, episodes, frames = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
STATE = ["x", "y", "z", "roll", "pitch", "yaw", "pad", "gripper"]
ACTION = ["x", "y", "z", "roll", "pitch", "yaw", "gripper"]
FPS, CHUNK = 15, 1000
os.makedirs(os.path.join(root, "meta"), exist_ok=True)
info = {
    "codebase_version": "v2.1", "robot_type": "panda", "fps": FPS, "chunks_size": CHUNK,
    "total_episodes": episodes, "total_frames": episodes * frames, "total_tasks": 1,
    "data_path": "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet",
    "video_path": "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4",
    "features": {
        "observation.state": {"dtype": "float32", "shape": [8], "names": STATE},
        "action": {"dtype": "float32", "shape": [7], "names": ACTION},
        "timestamp": {"dtype": "float32", "shape": [1], "names": None},
        "frame_index": {"dtype": "int64", "shape": [1], "names": None},
        "episode_index": {"dtype": "int64", "shape": [1], "names": None},
        "index": {"dtype": "int64", "shape": [1], "names": None},
        "task_index": {"dtype": "int64", "shape": [1], "names": None},
    },
}
with open(os.path.join(root, "meta/info.json"), "w") as f:
    json.dump(info, f)
with open(os.path.join(root, "meta/tasks.jsonl"), "w") as f:
    f.write(json.dumps({"task_index": 0, "task": "put the marker in the cup"}) + "\n")
rng = np.random.default_rng(0)
with open(os.path.join(root, "meta/episodes.jsonl"), "w") as f:
    for e in range(episodes):
        f.write(json.dumps({"episode_index": e, "tasks": ["put the marker in the cup"], "length": frames}) + "\n")
        chunk = os.path.join(root, f"data/chunk-{e // CHUNK:03d}")
        os.makedirs(chunk, exist_ok=True)
        state = rng.standard_normal((frames, 8), dtype=np.float32)
        action = rng.standard_normal((frames, 7), dtype=np.float32)
        table = pa.table({
            "observation.state": pa.FixedSizeListArray.from_arrays(pa.array(state.ravel()), 8),
            "action": pa.FixedSizeListArray.from_arrays(pa.array(action.ravel()), 7),
            "timestamp": pa.array(np.arange(frames, dtype=np.float32) / FPS),
            "frame_index": pa.array(np.arange(frames, dtype=np.int64)),
            "episode_index": pa.array(np.full(frames, e, dtype=np.int64)),
            "index": pa.array(np.arange(frames, dtype=np.int64) + e * frames),
            "task_index": pa.array(np.zeros(frames, dtype=np.int64)),
        })
        pq.write_table(table, os.path.join(chunk, f"episode_{e:06d}.parquet"))
