// Where render() puts things, for tests that check the label placement rules of
// include/wandb/render.h against the actual drawing rather than a model of it.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "wandb/image.h"
#include "wandb/render.h"

namespace wandb::detail {

/// The label blocks render(image, options) draws, in picture coordinates and in
/// drawing order (a label left out has no entry).
std::vector<cv::Rect> label_rects(const Image& image, const RenderOptions& options = {});

}  // namespace wandb::detail
