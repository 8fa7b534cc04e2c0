"""pycocotools + Pillow baseline for benches/masks.rs. usage: masks.py INSTANCES_JSON CORES
Prints seconds for all images on one process ("one") and on CORES processes ("all"), medians of 7."""
import io, json, statistics, sys, time
from multiprocessing import Pool

import numpy as np
from PIL import Image
from pycocotools.coco import COCO

coco = None


def init(path):
    global coco
    import contextlib, os
    with contextlib.redirect_stdout(open(os.devnull, "w")):
        coco = COCO(path)


def mask(img_id):
    info = coco.imgs[img_id]
    m = np.zeros((info["height"], info["width"]), dtype=np.uint8)
    for ann in coco.imgToAnns.get(img_id, []):
        m[coco.annToMask(ann) > 0] = ann["category_id"]
    Image.fromarray(m).save(io.BytesIO(), "PNG")


def main():
    path, cores = sys.argv[1], int(sys.argv[2])
    init(path)
    ids = list(coco.imgs)
    one, alls = [], []
    with Pool(cores, initializer=init, initargs=(path,)) as pool:
        for _ in range(7):
            s = time.perf_counter()
            for i in ids:
                mask(i)
            one.append(time.perf_counter() - s)
            s = time.perf_counter()
            pool.map(mask, ids, chunksize=4)
            alls.append(time.perf_counter() - s)
    print(json.dumps({"one": statistics.median(one), "all": statistics.median(alls)}))


if __name__ == "__main__":
    main()
