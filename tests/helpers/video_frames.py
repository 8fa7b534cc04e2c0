"""Prints, as JSON, what PyAV (a recent FFmpeg, as LeRobot users decode with) shows of each video file given:
its frame count, the first frame's time, the stream duration and an MD5 of every frame's pixels."""

import hashlib
import json
import sys

import av

out = {}
for path in sys.argv[1:]:
    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = [(f.time, hashlib.md5(f.to_ndarray(format="yuv420p").tobytes()).hexdigest())
                  for f in container.decode(stream)]
        duration = float(stream.duration * stream.time_base) if stream.duration else None
        out[path] = {
            "frames": len(frames),
            "first_time": frames[0][0] if frames else None,
            "duration": duration,
            "md5": [m for _, m in frames],
        }
json.dump(out, sys.stdout)
