// Forward declarations of the LibTorch and OpenCV types in the public API.
// No wandb header includes LibTorch: code that passes or receives tensors
// includes <torch/torch.h> (or <ATen/ATen.h>) itself. Of OpenCV, only
// wandb/render.h includes <opencv2/core.hpp> (its options hold cv::Scalar and
// cv::Size by value), and so, through it, does the umbrella wandb/wandb.h; the
// other headers need only these declarations, and code that passes or
// receives Mats through them includes <opencv2/core.hpp>. wandb/json.h
// includes <nlohmann/json.hpp>.
#pragma once

namespace at {
class Tensor;
}  // namespace at

namespace cv {
class Mat;
}  // namespace cv
