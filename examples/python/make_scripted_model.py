"""Writes a TorchScript model that emits log-ready wandb images, for
examples/deploy_scripted.cpp (the C++ deployment side).

    /usr/bin/python3 make_scripted_model.py <libwandb_image_ops.so> [model.pt]

The model segments an RGB photo (3 x H x W floats in [0, 1]) into highlights
and shadows, boxes each region, builds a torch.classes.wandb.Image with the
boxes and the mask, logs it with torch.ops.wandb.log (into whatever run the
host program made current) and returns it.

forward(image, name=None): C++ calls it as model.forward({photo}), like any
one-input model; the optional name becomes the caption
(model.forward({photo, std::string("cat.png")})).
"""

from __future__ import annotations

import sys
from typing import Optional

import torch
import torch.nn.functional as F

LABELS = {0: "background", 1: "highlight", 2: "shadow"}


class HighlightSegmenter(torch.nn.Module):
    def __init__(self, spread: float = 1.0):
        super().__init__()
        self.spread = spread
        self.labels: dict[int, str] = dict(LABELS)

    def forward(self, image: torch.Tensor,
                name: Optional[str] = None) -> torch.classes.wandb.Image:
        grey = image.mean(0, keepdim=True).unsqueeze(0)  # 1 x 1 x H x W
        smooth = F.avg_pool2d(grey, 5, stride=1, padding=2, count_include_pad=False)[0, 0]
        mean, std = smooth.mean(), smooth.std()
        mask = torch.zeros(smooth.shape, dtype=torch.int64)
        mask[smooth > mean + self.spread * std] = 1
        mask[smooth < mean - self.spread * std] = 2

        boxes: list[torch.Tensor] = []
        ids: list[int] = []
        scores: list[float] = []
        for class_id in [1, 2]:
            points = (mask == class_id).nonzero()
            if points.size(0) > 0:
                boxes.append(torch.stack([points[:, 1].min(), points[:, 0].min(),
                                          points[:, 1].max() + 1, points[:, 0].max() + 1]))
                ids.append(class_id)
                scores.append(float(points.size(0)) / float(mask.numel()))

        out = torch.classes.wandb.Image(image, caption=name)
        if len(boxes) > 0:
            out = out.add_boxes("regions", torch.stack(boxes).to(torch.float32),
                                torch.tensor(ids), scores=torch.tensor(scores),
                                score_name="area", class_labels=self.labels)
        out = out.add_mask("segmentation", mask, class_labels=self.labels)
        torch.ops.wandb.log("predictions", out)  # a no-op (one warning) without a run
        return out


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    torch.ops.load_library(argv[1])
    path = argv[2] if len(argv) == 3 else "highlight_segmenter.pt"
    model = torch.jit.script(HighlightSegmenter().eval())
    # Fails here, not in C++, if broken; both call forms work.
    model(torch.rand(3, 32, 48))
    model(torch.rand(3, 32, 48), "smoke test")
    torch.jit.save(model, path)
    print(f"wrote {path}; run it with: wandb_deploy_scripted {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
