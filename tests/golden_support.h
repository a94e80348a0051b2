// Building the SDK golden cases' inputs: numpy-style arrays as Mats, torch
// tensors, from flat values.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace wandb::test {

inline at::ScalarType torch_dtype(const std::string& name) {
  static const std::map<std::string, at::ScalarType> kTypes = {
      {"bool", at::kBool},    {"uint8", at::kByte},        {"int8", at::kChar},
      {"int16", at::kShort},  {"int32", at::kInt},         {"int64", at::kLong},
      {"float16", at::kHalf}, {"bfloat16", at::kBFloat16}, {"float32", at::kFloat},
      {"float64", at::kDouble}};
  return kTypes.at(name);
}

inline int cv_depth(const std::string& name) {
  static const std::map<std::string, int> kDepths = {
      {"uint8", CV_8U},  {"int8", CV_8S},     {"uint16", CV_16U},  {"int16", CV_16S},
      {"int32", CV_32S}, {"float32", CV_32F}, {"float64", CV_64F}, {"float16", CV_16F}};
  return kDepths.at(name);
}

inline at::Tensor make_tensor(const std::vector<double>& values, const std::vector<int64_t>& shape,
                              at::ScalarType dtype) {
  return at::tensor(values, at::kDouble).reshape(shape).to(dtype);
}

/// The SDK got an H x W (x C) numpy array in RGB(A) order; OpenCV holds B G R (A),
/// so channels 0 and 2 of 3- and 4-channel data swap.
inline cv::Mat numpy_to_mat(const std::vector<double>& values, const std::vector<int64_t>& shape,
                            const std::string& dtype) {
  const int h = static_cast<int>(shape[0]);
  const int w = static_cast<int>(shape.size() > 1 ? shape[1] : 1);
  const int c = static_cast<int>(shape.size() > 2 ? shape[2] : 1);
  cv::Mat as_double(h, w, CV_64FC(c));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int k = 0; k < c; ++k) {
        const int src = (c == 3 || c == 4) && k < 3 ? 2 - k : k;
        as_double.ptr<double>(y)[x * c + k] = values[(static_cast<size_t>(y) * w + x) * c + src];
      }
    }
  }
  cv::Mat out;
  as_double.convertTo(out, CV_MAKETYPE(cv_depth(dtype), c));
  return out;
}

}  // namespace wandb::test
