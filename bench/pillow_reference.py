"""Pillow and numpy reference figures for bench/run.sh (measurement only: the
library never uses Pillow).

    /usr/bin/python3 bench/pillow_reference.py <pixels dir> > pillow.json

<pixels dir> holds astronaut_<size>.rgb files (H x W x 3 RGB, written by
wandb_image_bench with WANDB_BENCH_DUMP_DIR): the exact pixels the library
encodes. Prints JSON: per size, Pillow's PNG bytes and best time at its default
level (6) and at level 1; at 512, numpy's part of the SDK's pixel path.
"""
import io
import json
import os
import sys
import time

import numpy as np
from PIL import Image

MAX_SIZE = 2048  # 4096 x 4096 at level 6 takes ~15 s per run


def best_ms(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000.0


def png_bytes(img, level):
    buf = io.BytesIO()
    img.save(buf, format="png", compress_level=level)
    return buf.getvalue()


def sdk_pixel_path(chw):
    # wandb.Image(tensor): numpy(), transpose, _guess_and_rescale_to_0_255, astype.
    data = chw.transpose(1, 2, 0)
    lo, hi = data.min(), data.max()
    if 0 <= lo and hi <= 1:
        data = data * 255
    return Image.fromarray(data.astype(np.uint8), mode="RGB")


def main():
    folder = sys.argv[1]
    out = {"pillow": Image.__version__, "numpy": np.__version__, "sizes": {}}
    for name in sorted(os.listdir(folder)):
        if not (name.startswith("astronaut_") and name.endswith(".rgb")):
            continue
        size = int(name[len("astronaut_"):-len(".rgb")])
        if size > MAX_SIZE:
            continue
        with open(os.path.join(folder, name), "rb") as f:
            img = Image.frombytes("RGB", (size, size), f.read())
        repeat = 5 if size <= 512 else 3 if size <= 1024 else 1
        entry = {}
        for level in (6, 1):
            entry["level%d_bytes" % level] = len(png_bytes(img, level))
            entry["level%d_ms" % level] = best_ms(lambda: png_bytes(img, level), repeat)
        if size == 512:
            chw = (np.asarray(img).astype(np.float32) / np.float32(255)).transpose(2, 0, 1).copy()
            entry["sdk_pixels_ms"] = best_ms(lambda: sdk_pixel_path(chw), 5)
        out["sizes"][str(size)] = entry
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
