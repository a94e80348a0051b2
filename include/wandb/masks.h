// Segmentation mask layers: the SDK's wandb.data_types.ImageMask.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wandb/classes.h"
#include "wandb/export.h"
#include "wandb/fwd.h"
#include "wandb/json.h"

namespace wandb {

/// A class map (one class id 0..255 per pixel) with labels, stored as an 8-bit
/// greyscale PNG whose pixel value is the class id.
class WANDB_IMAGE_EXPORT ImageMask {
 public:
  /// From a 2-D integer tensor (any integer dtype, any device) with values 0..255.
  explicit ImageMask(const at::Tensor& mask_data,
                     std::optional<ClassLabels> class_labels = std::nullopt);
  /// From a single-channel integer Mat (8U 8S 16U 16S 32S) with values 0..255.
  explicit ImageMask(const cv::Mat& mask_data,
                     std::optional<ClassLabels> class_labels = std::nullopt);
  /// From the SDK's dict shape: {"mask_data": [[...], ...], "class_labels": {...}}
  /// or {"path": "mask.png", "class_labels": {...}}.
  explicit ImageMask(const Json& layer);
  /// From an existing 8-bit greyscale mask PNG; labels default from its values.
  static ImageMask from_file(const std::string& png_path,
                             std::optional<ClassLabels> class_labels = std::nullopt);
  /// From a stack of K binary masks, (K, H, W) bool or integer 0/1, any device: the
  /// class of a pixel is k + 1 for the LAST layer k set there (later layers are on
  /// top), 0 where no layer is set. Throws ValueError unless the tensor is 3-D with
  /// 1 <= K <= 255 and H, W >= 1 and holds only 0 and 1; TypeError for other dtypes.
  static ImageMask from_stack(const at::Tensor& stack,
                              std::optional<ClassLabels> class_labels = std::nullopt);
  /// From per-class scores, (C, H, W) floating logits or probabilities, any device:
  /// the class of a pixel is the argmax over C, the lowest index on ties (NaN counts
  /// as the largest value, as in PyTorch). Throws ValueError unless the tensor is 3-D
  /// with 1 <= C <= 256 and H, W >= 1; TypeError for a non-floating dtype.
  static ImageMask from_logits(const at::Tensor& logits,
                               std::optional<ClassLabels> class_labels = std::nullopt);
  int width() const noexcept;
  int height() const noexcept;
  const ClassLabels& class_labels() const noexcept;
  /// Class id of the pixel at (row y, column x).
  uint8_t at(int y, int x) const;
  /// Row-major class ids, height() * width() bytes.
  const std::vector<uint8_t>& values() const noexcept;
  /// The PNG file bytes, encoded once on first use (thread-safe).
  const std::vector<uint8_t>& png() const;
  std::string sha256() const;
  int64_t size() const;
  bool operator==(const ImageMask& other) const;

  struct State;

 private:
  explicit ImageMask(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace wandb
