"""Scripts models that use torch.classes.wandb.Image and torch.ops.wandb.* and
saves them for the C++ side (tests/ops_test.cpp, OpsScripted.*).

    /usr/bin/python3 script_model.py <libwandb_image_ops.so> <output folder>

Writes to the output folder:
  detector.pt    Detector: thresholds each image of a batch into a mask, boxes
                 the bright pixels, builds Images with add_boxes/add_mask, logs
                 them with torch.ops.wandb.log / log_list and returns them.
  image_attr.pt  WithImage: a module holding an Image attribute (with a box and
                 a mask layer) and returning it.
  log_only.pt    LogOnly: a forward whose only effect is torch.ops.wandb.log.
The input is make_input(), which the C++ test recreates with the same ops.

Also checks here, in Python: the Image attribute survives torch.jit.save/load
with identical pixels and bytes, and the log call survives dead-code
elimination, torch.jit.freeze and optimize_for_inference while an unused pure
op (wandb::log_ready, the control) does not. Exits non-zero on any failure,
including a Python without torch: this must be Debian's /usr/bin/python3.
"""

from __future__ import annotations

import os
import sys

try:
    import torch
except ImportError as e:  # fail loudly: a skipped cross-check proves nothing
    sys.exit(f"script_model.py: expected a Python with torch (python3-torch, "
             f"/usr/bin/python3), got {sys.executable} without it: {e}")

from typing import Dict, List

BATCH, HEIGHT, WIDTH = 2, 24, 32
THRESHOLD = 0.5


def make_input() -> torch.Tensor:
    """BATCH x 3 x HEIGHT x WIDTH floats in [0, 1]; OpsScripted recreates it."""
    n = BATCH * 3 * HEIGHT * WIDTH
    x = (torch.arange(n, dtype=torch.int64) % 251).to(torch.float32) / 250.0
    return x.reshape(BATCH, 3, HEIGHT, WIDTH)


class Detector(torch.nn.Module):
    """Bright pixels (channel mean > threshold) are class 1; one box around them."""

    def __init__(self, threshold: float):
        super().__init__()
        self.threshold = threshold
        self.mask_labels: Dict[int, str] = {0: "background", 1: "bright"}

    def forward(self, images: torch.Tensor) -> List[torch.classes.wandb.Image]:
        out: List[torch.classes.wandb.Image] = []
        for i in range(images.size(0)):
            x = images[i]
            mask = (x.mean(0) > self.threshold).to(torch.int64)
            points = mask.nonzero()
            if points.size(0) > 0:
                box = torch.stack([points[:, 1].min(), points[:, 0].min(),
                                   points[:, 1].max() + 1, points[:, 0].max() + 1])
            else:
                box = torch.tensor([0, 0, x.size(2), x.size(1)])
            box = box.to(torch.float32).unsqueeze(0)
            score = mask.to(torch.float32).mean().unsqueeze(0)
            image = torch.classes.wandb.Image(x, caption="sample " + str(i))
            image = image.add_boxes("predictions", box, torch.ones(1, dtype=torch.int64),
                                    scores=score, class_labels={1: "bright"})
            image = image.add_mask("segmentation", mask, class_labels=self.mask_labels)
            out.append(image)
        torch.ops.wandb.log("first", out[0])
        torch.ops.wandb.log_list("examples", out)
        return out


class WithImage(torch.nn.Module):
    def __init__(self, image):
        super().__init__()
        self.image = image

    def forward(self) -> torch.classes.wandb.Image:
        return self.image


class LogOnly(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        torch.ops.wandb.log("only", torch.classes.wandb.Image(x))
        return x


def attribute_image():
    """The Image stored as WithImage.image; OpsScripted builds the same in C++."""
    x = make_input()[1]
    image = torch.classes.wandb.Image(x, caption="attribute", grouping=3)
    image = image.add_boxes("boxes", torch.tensor([[2.0, 3.0, 10.0, 8.0]]),
                            torch.tensor([7]), format="xywh")
    return image.add_mask("mask", (x[0] > 0.5).to(torch.uint8), {1: "on"})


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit("script_model.py: " + message)


def node_kinds(graph) -> List[str]:
    kinds = []
    for node in graph.nodes():
        kinds.append(node.kind())
        for block in node.blocks():
            kinds.extend(node_kinds(block))
    return kinds


DCE_GRAPH = """
graph(%x : Tensor, %img : __torch__.torch.classes.wandb.Image):
  %none : NoneType = prim::Constant()
  %true : bool = prim::Constant[value=1]()
  %key : str = prim::Constant[value="k"]()
  %pixels : Tensor = wandb::log_ready(%x, %none, %true)
  wandb::log(%key, %img, %none)
  return (%x)
"""


def check_dead_code_elimination(log_only) -> None:
    # On IR: the unused pure wandb::log_ready (the control) goes, wandb::log
    # stays. (The frontend already drops unused pure calls, hence the IR.)
    graph = torch._C.parse_ir(DCE_GRAPH)
    check({"wandb::log_ready", "wandb::log"} <= set(node_kinds(graph)),
          f"dce: expected both ops before the pass, got {node_kinds(graph)}")
    torch._C._jit_pass_dce(graph)
    kinds = node_kinds(graph)
    check("wandb::log" in kinds, f"dce: expected wandb::log kept, got {kinds}")
    check("wandb::log_ready" not in kinds,
          f"dce: expected the unused wandb::log_ready dropped (control), got {kinds}")
    # On the scripted module whose only effect is the log call.
    graph = log_only.graph.copy()
    torch._C._jit_pass_dce(graph)
    kinds = node_kinds(graph)
    check("wandb::log" in kinds, f"dce: expected wandb::log kept, got {kinds}")
    frozen = torch.jit.freeze(log_only.eval())
    kinds = node_kinds(frozen.graph)
    check("wandb::log" in kinds, f"freeze: expected wandb::log kept, got {kinds}")
    optimized = torch.jit.optimize_for_inference(torch.jit.script(LogOnly().eval()))
    kinds = node_kinds(optimized.graph)
    check("wandb::log" in kinds,
          f"optimize_for_inference: expected wandb::log kept, got {kinds}")


def main(argv: List[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    library, out_dir = argv[1], argv[2]
    torch.ops.load_library(library)
    os.makedirs(out_dir, exist_ok=True)

    detector = torch.jit.script(Detector(THRESHOLD))
    images = detector(make_input())  # no current run: logs nothing, warns once
    check(len(images) == BATCH, f"detector: expected {BATCH} images, got {len(images)}")
    torch.jit.save(detector, os.path.join(out_dir, "detector.pt"))

    original = attribute_image()
    with_image = torch.jit.script(WithImage(original))
    path = os.path.join(out_dir, "image_attr.pt")
    torch.jit.save(with_image, path)
    loaded = torch.jit.load(path)
    for name, image in (("attribute", loaded.image), ("output", loaded())):
        check(torch.equal(image.pixels(), original.pixels()),
              f"{name}: expected the pixels to survive save/load")
        check(torch.equal(image.encoded(), original.encoded()),
              f"{name}: expected the file bytes to survive save/load")
        check(image.caption() == "attribute" and image.grouping() == 3,
              f"{name}: expected caption and grouping kept, got {image.caption()!r}, "
              f"{image.grouping()!r}")

    log_only = torch.jit.script(LogOnly())
    check_dead_code_elimination(log_only)
    torch.jit.save(log_only, os.path.join(out_dir, "log_only.pt"))
    print(f"script_model.py: wrote detector.pt, image_attr.pt, log_only.pt to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
