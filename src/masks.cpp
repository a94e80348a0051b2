#include "wandb/masks.h"

#include <cstring>
#include <sstream>

#include <opencv2/core.hpp>

#include "detail/codec.h"
#include "detail/file_io.h"
#include "detail/guard.h"
#include "detail/mask_data.h"
#include "detail/pixels.h"
#include "detail/text.h"
#include "wandb/errors.h"
#include "wandb/image.h"

namespace wandb {

// ---- ImageMask::State ---------------------------------------------------------

// A mutex and a flag, not std::call_once, which hangs on the call after one
// that threw under some runtimes (see Image::Data::ensure_encoded).
const detail::Bytes& ImageMask::State::png() const {
  if (ready_.load(std::memory_order_acquire)) return png_;
  std::lock_guard<std::mutex> lock(mu_);
  if (!ready_.load(std::memory_order_relaxed)) {
    if (png_.empty()) {
      png_ = detail::encode_png(values.data(), height, width, 1, detail::kDefaultPngLevel);
    }
    sha_ = detail::sha256_hex(png_.data(), png_.size());
    ready_.store(true, std::memory_order_release);
  }
  return png_;
}

const std::string& ImageMask::State::sha256() const {
  png();
  return sha_;
}

void ImageMask::State::set_png(detail::Bytes bytes) { png_ = std::move(bytes); }

namespace detail {

std::shared_ptr<ImageMask::State> make_mask_state(int height, int width,
                                                  std::vector<uint8_t> values,
                                                  std::optional<ClassLabels> labels) {
  check_mask_size(height, width);
  auto state = std::make_shared<ImageMask::State>();
  state->height = height;
  state->width = width;
  if (labels) {
    state->labels = std::move(*labels);
  } else {
    bool seen[256] = {false};
    for (uint8_t v : values) seen[v] = true;
    std::vector<int64_t> ids;
    for (int v = 0; v < 256; ++v) {
      if (seen[v]) ids.push_back(v);
    }
    state->labels = default_class_labels(std::move(ids));
  }
  state->values = std::move(values);
  return state;
}

void throw_mask_range(double lo, double hi) {
  std::ostringstream os;
  os << "Mask data must be integers between 0 and 255: got values from " << lo << " to " << hi;
  throw ValueError(os.str());
}

void check_mask_size(int64_t height, int64_t width) {
  if (height > Image::MAX_DIMENSION || width > Image::MAX_DIMENSION) {
    throw ValueError("mask size: expected at most " + std::to_string(Image::MAX_DIMENSION) +
                     " pixels on each side, got " + std::to_string(height) + " x " + std::to_string(width));
  }
}

void throw_mask_rank(const std::vector<int64_t>& shape) {
  throw ValueError("mask_data must be a 2D array: expected H x W with both at least 1, got " +
                   shape_string(shape));
}

}  // namespace detail

// ---- ImageMask ------------------------------------------------------------------

ImageMask::ImageMask(const Json& layer) try {
  detail::check_json_text("mask layer", layer);
  if (!layer.is_object()) {
    throw TypeError(std::string("mask layer: expected an object with \"mask_data\" or \"path\", got ") +
                    layer.type_name());
  }
  std::optional<ClassLabels> labels;
  if (layer.contains("class_labels")) labels = ClassLabels::from_json(layer["class_labels"]);
  if (layer.contains("path")) {
    if (!layer["path"].is_string()) {
      throw TypeError(std::string("mask path: expected a string, got ") + layer["path"].type_name());
    }
    *this = from_file(layer["path"].get<std::string>(), std::move(labels));
    return;
  }
  if (!layer.contains("mask_data")) {
    throw ValueError("mask layer: expected \"mask_data\" or \"path\", got neither");
  }
  const Json& rows = layer["mask_data"];
  if (!rows.is_array() || rows.empty() || !rows[0].is_array() || rows[0].empty()) {
    detail::throw_mask_rank({static_cast<int64_t>(rows.is_array() ? rows.size() : 0)});
  }
  const size_t height = rows.size();
  const size_t width = rows[0].size();
  detail::check_mask_size(static_cast<int64_t>(height), static_cast<int64_t>(width));
  std::vector<uint8_t> values;
  values.reserve(height * width);
  for (const auto& row : rows) {
    if (!row.is_array() || row.size() != width) {
      detail::throw_mask_rank({static_cast<int64_t>(height), static_cast<int64_t>(row.size())});
    }
    for (const auto& v : row) {
      if (!v.is_number_integer()) {
        throw TypeError("Mask data must be integers between 0 and 255: got " + detail::json_excerpt(v));
      }
      const int64_t x = v.get<int64_t>();
      if (x < 0 || x > 255) detail::throw_mask_range(static_cast<double>(x), static_cast<double>(x));
      values.push_back(static_cast<uint8_t>(x));
    }
  }
  state_ = detail::make_mask_state(static_cast<int>(height), static_cast<int>(width),
                                   std::move(values), std::move(labels));
} WANDB_PUBLIC_CALL("ImageMask")

ImageMask ImageMask::from_file(const std::string& png_path, std::optional<ClassLabels> class_labels) try {
  detail::Bytes bytes = detail::read_whole_file<detail::Bytes>(png_path, detail::kMaxImageFileBytes);
  const cv::Mat mat = detail::decode_image(bytes, "mask file " + png_path);
  if (mat.channels() != 1 || mat.depth() != CV_8U) {
    throw ValueError("mask file " + png_path + ": expected an 8-bit greyscale PNG, got " +
                     std::to_string(mat.channels()) + " channel(s) of depth " + std::to_string(mat.depth()));
  }
  std::vector<uint8_t> values(static_cast<size_t>(mat.rows) * mat.cols);
  for (int y = 0; y < mat.rows; ++y) std::memcpy(values.data() + y * mat.cols, mat.ptr(y), mat.cols);
  auto state = detail::make_mask_state(mat.rows, mat.cols, std::move(values), std::move(class_labels));
  state->set_png(std::move(bytes));  // the file is used as-is, like the SDK does
  return ImageMask(std::move(state));
} WANDB_PUBLIC_CALL("ImageMask::from_file")

int ImageMask::width() const noexcept { return state_->width; }
int ImageMask::height() const noexcept { return state_->height; }
const ClassLabels& ImageMask::class_labels() const noexcept { return state_->labels; }
const std::vector<uint8_t>& ImageMask::values() const noexcept { return state_->values; }
const std::vector<uint8_t>& ImageMask::png() const try {
  return state_->png();
} WANDB_PUBLIC_CALL("ImageMask::png")
std::string ImageMask::sha256() const try {
  return state_->sha256();
} WANDB_PUBLIC_CALL("ImageMask::sha256")
int64_t ImageMask::size() const try {
  return static_cast<int64_t>(state_->png().size());
} WANDB_PUBLIC_CALL("ImageMask::size")

uint8_t ImageMask::at(int y, int x) const try {
  if (y < 0 || y >= state_->height || x < 0 || x >= state_->width) {
    throw ValueError("mask pixel: expected 0 <= y < " + std::to_string(state_->height) +
                     " and 0 <= x < " + std::to_string(state_->width) + ", got (" +
                     std::to_string(y) + ", " + std::to_string(x) + ")");
  }
  return state_->values[static_cast<size_t>(y) * state_->width + x];
} WANDB_PUBLIC_CALL("ImageMask::at")

bool ImageMask::operator==(const ImageMask& other) const try {
  return state_->width == other.state_->width && state_->height == other.state_->height &&
         state_->values == other.state_->values && state_->labels == other.state_->labels;
} WANDB_PUBLIC_CALL("ImageMask::operator==")

}  // namespace wandb
