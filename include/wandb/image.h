// wandb::Image: the Python SDK's wandb.Image, with bit-identical log-ready pixels.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wandb/boxes.h"
#include "wandb/classes.h"
#include "wandb/export.h"
#include "wandb/fwd.h"
#include "wandb/json.h"
#include "wandb/masks.h"

namespace wandb {

namespace detail {
struct ImageAccess;
}  // namespace detail

/// Named layers in the order given (the SDK keeps dict order).
template <class T>
using Layers = std::vector<std::pair<std::string, T>>;

/// Where a 3-D image tensor keeps its channels (TensorBoard's dataformats).
enum class Layout {
  /// The SDK's rule: 3-D is C x H x W, 2-D is H x W.
  kAuto,
  /// C x H x W, C from 1 to 4; a tensor of another rank is refused.
  kCHW,
  /// H x W x C, C from 1 to 4 (as numpy images and OpenCV Mats are); read in
  /// place, with no transposed copy. A tensor of another rank is refused.
  kHWC,
};

/// The SDK's keyword arguments, plus encoder controls.
/// With C++20: `Image img(t, {.caption = "pred", .file_type = "jpg"});`
struct ImageOptions {
  /// Pillow mode to convert to: "L", "LA", "RGB" or "RGBA"; unset = guessed.
  std::optional<std::string> mode{};
  std::optional<std::string> caption{};
  std::optional<int64_t> grouping{};
  std::optional<Classes> classes{};
  Layers<BoundingBoxes2D> boxes{};
  Layers<ImageMask> masks{};
  /// "png" (default), "jpg", "jpeg" or "bmp"; has no effect on files and references.
  std::optional<std::string> file_type{};
  /// Rescale values to [0, 255] as the SDK does (see docs/normalization.md).
  bool normalize = true;
  /// zlib level 0-9 for PNG files; unset = the library default (see README).
  std::optional<int> png_compression{};
  /// JPEG quality 1-100; the SDK (Pillow) default is 75.
  int jpeg_quality = 75;
  /// Channel layout of a tensor; a Mat is H x W x C (kCHW is refused for it),
  /// other sources ignore it.
  Layout layout = Layout::kAuto;
};

/// An image ready to be logged. Copies are cheap and share the immutable pixels;
/// the encoded file is produced once, on first use, from any thread.
class WANDB_IMAGE_EXPORT Image {
 public:
  static constexpr int MAX_ITEMS = 108;
  static constexpr int MAX_DIMENSION = 65500;

  /// From a C x H x W (or H x W) tensor of any dtype, on any device; H x W x C
  /// with `options.layout = Layout::kHWC`. The pixels are normalised and
  /// copied now: later changes to `data` do not affect the image.
  explicit Image(const at::Tensor& data, ImageOptions options = {});
  /// From an H x W or H x W x C Mat in OpenCV's B G R (A) order, depth
  /// 8U 8S 16U 16S 32S 32F 64F or 16F.
  explicit Image(const cv::Mat& data, ImageOptions options = {});
  /// From an image file (hashed as-is, decoded only when pixels are asked for),
  /// or a reference URL (s3://, gs://, http://, https://) that is never read.
  explicit Image(const std::string& path_or_url, ImageOptions options = {});
  explicit Image(const char* path_or_url, ImageOptions options = {})
      : Image(std::string(path_or_url), std::move(options)) {}
  /// A copy of `other`'s image data, caption, grouping and classes, with the
  /// given overrides applied; boxes and masks come only from `overrides`.
  Image(const Image& other, ImageOptions overrides);
  Image(const Image&) = default;
  Image(Image&&) noexcept = default;
  Image& operator=(const Image&) = default;
  Image& operator=(Image&&) noexcept = default;
  ~Image();

  /// From encoded image bytes in memory (png, jpg, bmp, ...); `format` is the
  /// file extension to use, without the dot.
  static Image from_encoded(std::vector<uint8_t> bytes, std::string format,
                            ImageOptions options = {});

  /// The SDK's guess: "L", "RGB" or "RGBA" from the channel count (tensor: dim 0;
  /// Mat: channels()); 4 channels with jpg/jpeg give "RGB".
  static std::string guess_mode(const at::Tensor& data,
                                const std::optional<std::string>& file_type = std::nullopt);
  static std::string guess_mode(const cv::Mat& data,
                                const std::optional<std::string>& file_type = std::nullopt);

  /// 0 for references.
  int width() const noexcept;
  int height() const noexcept;
  /// "png", "jpg", ... as given (file_type, or the file's extension with its case).
  const std::string& format() const noexcept;
  /// Pillow mode of the pixels ("L", "LA", "RGB", "RGBA", or a file's own mode).
  const std::string& mode() const noexcept;
  const std::optional<std::string>& caption() const noexcept { return caption_; }
  std::optional<int64_t> grouping() const noexcept { return grouping_; }
  /// Union of box labels, mask labels and the classes option (docs/classes.md).
  const std::optional<Classes>& classes() const noexcept { return classes_; }
  const Layers<BoundingBoxes2D>& boxes() const noexcept { return boxes_; }
  const Layers<ImageMask>& masks() const noexcept { return masks_; }

  bool is_reference() const noexcept;
  bool is_file() const noexcept;
  /// The source file path or reference URL; empty for in-memory images.
  const std::string& source_path() const noexcept;
  /// File extension of the media file, with the dot (".png").
  std::string extension() const;

  /// Hex SHA-256 of the encoded bytes (of the URL for references).
  std::string sha256() const;
  /// Size in bytes of the encoded file; throws ValueError for references.
  int64_t size() const;
  /// The encoded file bytes; throws ValueError for references.
  const std::vector<uint8_t>& encoded() const;
  /// The log-ready pixels: H x W x C uint8 tensor (C = 1 for L), RGB(A) order.
  at::Tensor pixels() const;
  /// The log-ready pixels as a Mat in OpenCV's B G R (A) order; a new Mat each
  /// call, sharing no memory with the Image.
  cv::Mat pixels_mat() const;
  /// Number of channels of pixels(): 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA).
  int channels() const;

  /// SDK equality: grouping, caption, width, height, pixels and classes
  /// (references compare by URL).
  bool operator==(const Image& other) const;
  bool operator!=(const Image& other) const { return !(*this == other); }

  /// Opaque: the immutable pixels and encoded file, shared between copies.
  struct Data;

 private:
  Image() = default;
  void apply_meta(ImageOptions& options);

  std::shared_ptr<const Data> data_;
  std::optional<std::string> caption_{};
  std::optional<int64_t> grouping_{};
  std::optional<Classes> classes_{};
  Layers<BoundingBoxes2D> boxes_{};
  Layers<ImageMask> masks_{};

  friend struct detail::ImageAccess;
};

/// Layout of a batch of images (TensorBoard's add_images dataformats).
enum class BatchLayout { kNCHW, kNHWC };

/// Options of images_from_batch. With C++20:
/// `wandb::images_from_batch(x, {.layout = wandb::BatchLayout::kNHWC, .captions = names})`.
struct BatchOptions {
  BatchLayout layout = BatchLayout::kNCHW;
  /// One caption per image (as many as the batch has images), or none; with
  /// none, `image.caption` (if set) goes to every image.
  std::vector<std::string> captions{};
  /// Applied to every image: mode, grouping, classes, boxes, masks,
  /// file_type, normalize, ... `image.layout` may stay kAuto or must match
  /// `layout` (kCHW for kNCHW, kHWC for kNHWC).
  ImageOptions image{};
};

/// One Image per image of an N x C x H x W (or, with BatchLayout::kNHWC,
/// N x H x W x C) tensor, on any device: the list TensorBoard's add_images
/// takes, ready for `run.log({{"samples", images_from_batch(x)}})`. Each image
/// is normalised on its own, exactly as Image(batch[i]) is. ValueError for a
/// tensor that is not 4-D, an empty batch, or captions that do not number N.
WANDB_IMAGE_EXPORT std::vector<Image> images_from_batch(const at::Tensor& batch,
                                                        BatchOptions options = {});

}  // namespace wandb
