"""The seed's own LeRobotFrames.normalize() (deeplake==4.5.5, its pandas path) over a dataset: prints the frames.

usage: lerobot_seed.py DIR CHUNK_END"""

import json
import sys

from deeplake.managed.formats import LeRobotFrames

frames = 0
for batch in LeRobotFrames(sys.argv[1], chunk_start=0, chunk_end=int(sys.argv[2])).normalize():
    frames += len(batch["index"])
json.dump({"frames": frames}, sys.stdout)
