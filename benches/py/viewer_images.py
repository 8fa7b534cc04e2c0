"""Writes N rows of small JPEG images (id, label, caption, image) to a Parquet file, for the viewer benchmark.

usage: python viewer_images.py N OUT.parquet
"""
import io
import random
import sys

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw

LABELS = ["cat", "dog", "car", "tree", "boat", "bird", "lamp", "cup", "shoe", "kite"]
WORDS = ["red", "small", "bright", "dark", "round", "tall", "old", "new", "striped", "shiny", "wet", "quiet"]


def image(i: int) -> bytes:
    rnd = random.Random(i)
    img = Image.new("RGB", (96, 72), tuple(rnd.randrange(256) for _ in range(3)))
    d = ImageDraw.Draw(img)
    for _ in range(3):
        x, y = rnd.randrange(80), rnd.randrange(60)
        d.ellipse([x, y, x + 16, y + 12], fill=tuple(rnd.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def main() -> None:
    n, path = int(sys.argv[1]), sys.argv[2]
    schema = pa.schema([("id", pa.string()), ("label", pa.string()), ("caption", pa.string()), ("image", pa.binary())])
    with pq.ParquetWriter(path, schema) as w:
        for start in range(0, n, 10_000):
            rows = range(start, min(n, start + 10_000))
            rnd = random.Random(start)
            w.write_table(pa.table({
                "id": [f"img{i:07d}" for i in rows],
                "label": [LABELS[i % len(LABELS)] for i in rows],
                "caption": [" ".join(rnd.sample(WORDS, 3)) + f" {LABELS[i % len(LABELS)]}" for i in rows],
                "image": [image(i) for i in rows],
            }, schema=schema))


if __name__ == "__main__":
    main()
