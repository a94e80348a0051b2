"""The library against a Python stand-in of the SDK's work, paired and alternating.

    /usr/bin/python3 bench/paired_sdk.py <build dir> [pairs]

Two workloads, each as one run including init and finish:
  photo: 20 x log({"photo": image of a 3x512x512 float array in [0, 1]}), 1 encoder
  crops: log({"crops": 64 images of 3x224x224}), 2 encoders
The Python side does what wandb.Image and run.log do with such data, in
numpy and Pillow (the SDK's own dependencies), without the SDK's other
bookkeeping: the rescale to 0..255 and uint8 conversion, Image.fromarray,
a PNG at Pillow's default level written into the run's media folder, the
file's SHA-256 and size, and a JSON history line. So the stand-in is a lower
bound of the SDK's time, and the ratio a lower bound of the speed-up.
The C++ side is build/bench/wandb_image_paired (its own clock, so process
start and LibTorch loading are not counted). Each pair runs both sides back
to back, the order alternating; the ratio is the fastest Python run over the
fastest C++ run, with the median of the pairs' ratios beside it.
"""
import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def astronaut():
    img = Image.open(os.path.join(ROOT, "examples", "data", "astronaut.png")).convert("RGB")
    return (np.asarray(img, dtype=np.float32) / 255.0).transpose(2, 0, 1).copy()


def crops_of(full):
    out = []
    for i in range(64):
        y = (i * 37) % (full.shape[1] - 224)
        x = (i * 53) % (full.shape[2] - 224)
        out.append(full[:, y:y + 224, x:x + 224].copy())
    return out


def sdk_image(chw, media, key, step, index):
    # wandb.Image(array): to H x W x C, _guess_and_rescale_to_0_255, uint8, PIL.
    data = chw.transpose(1, 2, 0)
    if data.min() >= 0 and data.max() <= 1:
        data = data * 255
    pil = Image.fromarray(data.astype(np.uint8), mode="RGB")
    buf = io.BytesIO()
    pil.save(buf, format="png")
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    path = os.path.join(media, f"{key}_{step}_{sha[:20]}_{index}.png")
    with open(path, "wb") as f:
        f.write(data)
    return {"_type": "image-file", "path": path, "sha256": sha, "size": os.path.getsize(path),
            "format": "png", "width": pil.width, "height": pil.height}


def python_side(workload, arrays, folder):
    start = time.perf_counter()
    run = os.path.join(folder, "run")
    media = os.path.join(run, "files", "media", "images")
    os.makedirs(media)
    with open(os.path.join(run, "history.jsonl"), "w") as history:
        if workload == "photo":
            for step in range(20):
                row = {"photo": sdk_image(arrays[0], media, "photo", step, 0), "_step": step}
                history.write(json.dumps(row) + "\n")
        else:
            items = [sdk_image(a, media, "crops", 0, i) for i, a in enumerate(arrays)]
            history.write(json.dumps({"crops": items, "_step": 0}) + "\n")
    return (time.perf_counter() - start) * 1000.0


def cpp_side(program, workload, folder):
    out = subprocess.run([program, workload, folder], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def main():
    build = sys.argv[1]
    pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    program = os.path.join(build, "bench", "wandb_image_paired")
    full = astronaut()
    inputs = {"photo": [full], "crops": crops_of(full)}
    print(f"{'workload':<8} {'stand-in (ms)':>14} {'library (ms)':>13} {'ratio':>7} {'median ratio':>13}")
    for workload in ("photo", "crops"):
        py, cc, ratios = [], [], []
        for i in range(pairs):
            with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
                if i % 2 == 0:
                    p = python_side(workload, inputs[workload], a)
                    c = cpp_side(program, workload, b)
                else:
                    c = cpp_side(program, workload, b)
                    p = python_side(workload, inputs[workload], a)
            py.append(p)
            cc.append(c)
            ratios.append(p / c)
        print(f"{workload:<8} {min(py):>14.1f} {min(cc):>13.1f} {min(py) / min(cc):>6.1f}x "
              f"{statistics.median(ratios):>12.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
