"""Pillow baseline for benches/thumbnails.rs. usage: thumbnails.py COCO_DIR BIG_JPEG CORES"""
import glob, io, json, statistics, sys, time
from multiprocessing import Pool

from PIL import Image

SIZES = (256, 128, 64, 32)


def per_size(data):
    """The seed's way: open and thumbnail once per size."""
    for s in SIZES:
        im = Image.open(io.BytesIO(data))
        im.thumbnail((s, s))
        im.convert("RGB").save(io.BytesIO(), "JPEG", quality=85)


def draft_once(data):
    """The best Pillow way: one reduced (draft) decode, four thumbnails from it."""
    im = Image.open(io.BytesIO(data))
    im.draft("RGB", (SIZES[0], SIZES[0]))
    im = im.convert("RGB")
    for s in SIZES:
        t = im.copy()
        t.thumbnail((s, s))
        t.save(io.BytesIO(), "JPEG", quality=85)


def timed(fn, items, runs, pool=None):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        if pool:
            pool.map(fn, items)
        else:
            for d in items:
                fn(d)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / len(items)


def main():
    coco = [open(p, "rb").read() for p in sorted(glob.glob(sys.argv[1] + "/*.jpg"))]
    big = [open(sys.argv[2], "rb").read()]
    cores = int(sys.argv[3])
    out = {}
    with Pool(cores) as pool:
        for name, items, runs in (("coco", coco, 5), ("12mp", big * cores, 9)):
            one = items[:1] if name == "12mp" else items
            out[name] = {
                "per_size_1": timed(per_size, one, runs),
                "draft_once_1": timed(draft_once, one, runs),
                "per_size_all": timed(per_size, items, runs, pool),
                "draft_once_all": timed(draft_once, items, runs, pool),
            }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
