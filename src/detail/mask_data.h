// Shared state of wandb::ImageMask.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "detail/codec.h"
#include "wandb/masks.h"

namespace wandb {

struct ImageMask::State {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> values;  // row-major class ids
  ClassLabels labels;

  const detail::Bytes& png() const;
  const std::string& sha256() const;
  void set_png(detail::Bytes bytes);  // a mask read from a PNG file keeps its bytes

 private:
  mutable std::mutex mu_;  // the first encode
  mutable std::atomic<bool> ready_{false};
  mutable detail::Bytes png_;
  mutable std::string sha_;
};

namespace detail {
/// Validates the value range already checked by the caller into labels, and
/// builds the state; labels default to {v: "class_<v>"} for each distinct value.
std::shared_ptr<ImageMask::State> make_mask_state(int height, int width,
                                                  std::vector<uint8_t> values,
                                                  std::optional<ClassLabels> labels);
/// "Mask data must be integers between 0 and 255" with the range that was seen.
[[noreturn]] void throw_mask_range(double lo, double hi);
/// "mask_data must be a 2D array" with the shape that was seen.
[[noreturn]] void throw_mask_rank(const std::vector<int64_t>& shape);
/// Masks obey the images' limit (Image::MAX_DIMENSION on each side): checked
/// before anything of that size is allocated or read (ValueError).
void check_mask_size(int64_t height, int64_t width);
}  // namespace detail
}  // namespace wandb
