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
  describe.pt    Describe: str(img), img == other and img != other, compiled to
                 the class's __str__ / __eq__ / __ne__.
The input is make_input(), which the C++ test recreates with the same ops.

Also checks here, in Python: the Image attribute survives torch.jit.save/load
with identical pixels and bytes, and the log call survives dead-code
elimination, torch.jit.freeze and optimize_for_inference while an unused pure
op (wandb::log_ready, the control) does not; str(), ==, != and repr() of an
Image from Python and from scripted code; its layers read back as JSON (the box
layers exactly as written from the inputs here). Exits non-zero on any failure,
including a Python without torch: this must be Debian's /usr/bin/python3.
"""

from __future__ import annotations

import json
import os
import re
import sys

try:
    import torch
except ImportError as e:  # fail loudly: a skipped cross-check proves nothing
    sys.exit(f"script_model.py: expected a Python with torch (python3-torch, "
             f"/usr/bin/python3), got {sys.executable} without it: {e}")

from typing import Dict, List, Tuple

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


class Describe(torch.nn.Module):
    def forward(self, image: torch.classes.wandb.Image,
                other: torch.classes.wandb.Image) -> Tuple[str, bool, bool]:
        return str(image), image == other, image != other


def attribute_image(box_x: float = 2.0):
    """The Image stored as WithImage.image; OpsScripted builds the same in C++."""
    x = make_input()[1]
    image = torch.classes.wandb.Image(x, caption="attribute", grouping=3)
    image = image.add_boxes("boxes", torch.tensor([[box_x, 3.0, 10.0, 8.0]]),
                            torch.tensor([7]), format="xywh")
    return image.add_mask("mask", (x[0] > 0.5).to(torch.uint8), {1: "on"})


ATTRIBUTE_STR = ('wandb.Image(32x24 RGB png, caption="attribute", grouping=3, '
                 'boxes=["boxes"], masks=["mask"])')
# attribute_image()'s box (x, y, w, h) = (2, 3, 10, 8) as its .boxes2D.json
# holds it: corners, pixel domain, no class_labels (none were given).
ATTRIBUTE_BOXES = {"boxes": {"box_data": [{
    "position": {"minX": 2.0, "maxX": 12.0, "minY": 3.0, "maxY": 11.0},
    "domain": "pixel", "class_id": 7}]}}


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


def torch_at_least(major: int, minor: int) -> bool:
    found = re.match(r"(\d+)\.(\d+)", torch.__version__)
    check(found is not None, f"torch version: expected N.N..., got {torch.__version__!r}")
    return (int(found.group(1)), int(found.group(2))) >= (major, minor)


def check_image_methods(image, loaded) -> None:
    """str/repr/==/!= and the layers read back, on attribute_image() and its
    copy that went through torch.jit.save/load."""
    check(str(image) == ATTRIBUTE_STR, f"str: expected {ATTRIBUTE_STR!r}, got {str(image)!r}")
    check(str(loaded) == ATTRIBUTE_STR, f"str after load: got {str(loaded)!r}")
    # ScriptObject forwards repr() to __repr__ from PyTorch 2.1 on; 1.13 has its own.
    if torch_at_least(2, 1):
        check(repr(image) == ATTRIBUTE_STR, f"repr: expected str's text, got {repr(image)!r}")
    else:
        check(repr(image).startswith("<torch.ScriptObject object at "),
              f"repr: expected torch {torch.__version__}'s default, got {repr(image)!r}")

    check(image == image and image == loaded and loaded == attribute_image(),
          "==: expected an Image equal to itself, its saved copy and one built again")
    check(not (image != loaded), "!=: expected False for the saved copy")
    moved = attribute_image(box_x=3.0)  # only a box position differs
    check(image != moved and not (image == moved),
          "==: expected Images whose boxes differ to be unequal")
    check(not (image == None) and image != None,  # noqa: E711 (== is what is tested)
          "==: expected an Image unequal to None")
    check(not (image == torch.zeros(1)), "==: expected an Image unequal to a tensor")

    check(image.box_layers() == ["boxes"] and image.mask_layers() == ["mask"],
          f"layer names: got {image.box_layers()!r}, {image.mask_layers()!r}")
    boxes = json.loads(image.boxes_json())
    check(boxes == ATTRIBUTE_BOXES, f"boxes_json: expected {ATTRIBUTE_BOXES}, got {boxes}")
    check(loaded.boxes_json() == image.boxes_json(),
          f"boxes_json after load: got {loaded.boxes_json()!r}")
    masks = json.loads(image.masks_json())
    mask = masks.get("mask", {})
    check(list(masks) == ["mask"] and mask.get("width") == 32 and mask.get("height") == 24
          and mask.get("class_labels") == {"1": "on"}
          and re.fullmatch("[0-9a-f]{64}", str(mask.get("sha256"))) is not None
          and isinstance(mask.get("size"), int) and mask["size"] > 0,
          f"masks_json: got {masks}")
    check(loaded.masks_json() == image.masks_json(),
          f"masks_json after load: got {loaded.masks_json()!r}")
    expected_mask = (make_input()[1][0] > 0.5).to(torch.uint8)
    check(torch.equal(loaded.mask("mask"), expected_mask),
          "mask: expected the class map given to add_mask")
    try:
        image.mask("boxes")
        check(False, "mask: expected ValueError for a box layer's name")
    except ValueError as e:
        check('expected one of ["mask"], got "boxes"' in str(e), f"mask: got {e}")

    describe = torch.jit.script(Describe())
    got = describe(image, loaded)
    check(got == (ATTRIBUTE_STR, True, False), f"scripted str/==/!=: got {got!r}")
    got = describe(image, moved)
    check(got == (ATTRIBUTE_STR, False, True), f"scripted str/==/!= (moved box): got {got!r}")


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

    check_image_methods(original, loaded.image)
    torch.jit.save(torch.jit.script(Describe()), os.path.join(out_dir, "describe.pt"))

    log_only = torch.jit.script(LogOnly())
    check_dead_code_elimination(log_only)
    torch.jit.save(log_only, os.path.join(out_dir, "log_only.pt"))
    print(f"script_model.py: wrote detector.pt, image_attr.pt, describe.pt, log_only.pt "
          f"to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
