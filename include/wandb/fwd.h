// Forward declarations of the LibTorch and OpenCV types in the public API, so that
// including a wandb header does not pull either library's headers in. Code that
// passes or receives tensors or Mats includes <torch/torch.h> or <opencv2/core.hpp>.
#pragma once

namespace at {
class Tensor;
}  // namespace at

namespace cv {
class Mat;
}  // namespace cv
