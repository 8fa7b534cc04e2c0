"""Reference masks with pycocotools, for the COCO mask test.

usage: coco_reference.py INSTANCES_JSON OUT_DIR
For every image: a label mask painted in annotation-file order with annToMask, value = category_id, written as
OUT_DIR/<image_id>.bin (uint16 little-endian, row-major, height x width)."""
import os
import sys

import numpy as np
from pycocotools.coco import COCO


def main():
    coco = COCO(sys.argv[1])
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for img_id, info in coco.imgs.items():
        mask = np.zeros((info["height"], info["width"]), dtype=np.uint16)
        for ann in coco.imgToAnns.get(img_id, []):
            mask[coco.annToMask(ann) > 0] = ann["category_id"]
        mask.astype("<u2").tofile(os.path.join(out, f"{img_id}.bin"))


if __name__ == "__main__":
    main()
