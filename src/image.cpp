// wandb::Image: the parts that need neither LibTorch nor OpenCV's Mat front end.
#include <algorithm>
#include <cstring>
#include <regex>
#include <set>

#include "detail/guard.h"
#include "detail/file_io.h"
#include "detail/image_data.h"
#include "detail/text.h"
#include "wandb/errors.h"
#include "wandb/warnings.h"

namespace wandb {

// ---- Image::Data ------------------------------------------------------------

// A mutex and a flag rather than std::call_once: encoding may throw, and an
// exception leaving call_once leaves the flag unusable under some runtimes
// (the next call hangs under ThreadSanitizer's pthread_once).
void Image::Data::ensure_encoded() const {
  if (kind == Kind::kReference) {
    throw ValueError("image " + source +
                     ": expected an image with a file, got a reference to external storage");
  }
  if (encoded_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(lazy_mu_);
  if (encoded_.load(std::memory_order_relaxed)) return;
  // kFile and kEncoded set their bytes at construction; only pixels encode here.
  bytes_ = detail::encode(pixels, format, png_level, jpeg_quality);
  sha_ = detail::sha256_hex(bytes_.data(), bytes_.size());
  encoded_.store(true, std::memory_order_release);
}

const detail::Bytes& Image::Data::bytes() const {
  if (kind == Kind::kPixels || kind == Kind::kReference) ensure_encoded();
  return bytes_;
}

const std::string& Image::Data::sha256() const {
  if (kind == Kind::kPixels) ensure_encoded();
  return sha_;
}

void Image::Data::set_bytes(detail::Bytes b) {
  bytes_ = std::move(b);
  sha_ = detail::sha256_hex(bytes_.data(), bytes_.size());
}

const detail::PixelBuffer& Image::Data::pixel_buffer() const {
  if (kind == Kind::kPixels) return pixels;
  if (kind == Kind::kReference) {
    throw ValueError("image " + source +
                     ": expected an image with pixels, got a reference to external storage");
  }
  if (decoded_ready_.load(std::memory_order_acquire)) return decoded_;
  std::lock_guard<std::mutex> lock(lazy_mu_);
  if (!decoded_ready_.load(std::memory_order_relaxed)) {
    decoded_ = detail::decode(bytes_, source);
    decoded_ready_.store(true, std::memory_order_release);
  }
  return decoded_;
}

namespace detail {

ModePlan plan_mode(int64_t channels, bool two_dimensional, const std::vector<int64_t>& shape,
                   int64_t height, int64_t width, const ImageOptions& options) {
  ModePlan plan;
  plan.file_type = checked_file_type(options.file_type ? &*options.file_type : nullptr);
  for (int64_t d : shape) {
    if (d <= 0) {
      throw ValueError("image shape: expected every dimension to be at least 1, got " +
                       shape_string(shape));
    }
  }
  if (options.mode) {
    channels_for_mode(*options.mode);  // validates the name
    if (channels < 1 || channels > 4) mode_for_channels(static_cast<int>(channels), shape);
    plan.mode = *options.mode;
  } else {
    plan.mode = guess_mode(channels, two_dimensional, shape,
                           options.file_type ? &*options.file_type : nullptr);
  }
  plan.source_channels = static_cast<int>(channels);
  check_encodable(plan.mode, plan.file_type, height, width);
  return plan;
}

std::shared_ptr<Image::Data> make_pixel_data(PixelBuffer pixels, std::string mode,
                                             std::string file_type, const ImageOptions& options) {
  if (options.png_compression && (*options.png_compression < 0 || *options.png_compression > 9)) {
    throw ValueError("png_compression: expected a zlib level from 0 to 9, got " +
                     std::to_string(*options.png_compression));
  }
  if (options.jpeg_quality < 1 || options.jpeg_quality > 100) {
    throw ValueError("jpeg_quality: expected 1 to 100, got " +
                     std::to_string(options.jpeg_quality));
  }
  auto data = std::make_shared<Image::Data>();
  data->kind = Image::Data::Kind::kPixels;
  data->format = std::move(file_type);
  data->mode = std::move(mode);
  data->width = pixels.width;
  data->height = pixels.height;
  data->png_level = options.png_compression.value_or(kDefaultPngLevel);
  data->jpeg_quality = options.jpeg_quality;
  data->pixels = std::move(pixels);
  return data;
}

std::shared_ptr<Image::Data> finish_pixels(PixelBuffer pixels, const NormalizeInfo& info,
                                           const ModePlan& plan, const ImageOptions& options) {
  if (options.normalize && info.out_of_range) {
    detail::emit_warning_once(
        "Data passed to `wandb.Image` should consist of values in the range [0, 255], image "
        "data will be normalized to this range, but behavior will be removed in a future "
        "version of wandb.");
  }
  pixels = convert_mode(std::move(pixels), channels_for_mode(plan.mode));
  return make_pixel_data(std::move(pixels), plan.mode, plan.file_type, options);
}

}  // namespace detail

// ---- Image ------------------------------------------------------------------

namespace {

bool is_reference_path(const std::string& path) {
  static const std::regex kReference("^(gs|s3|https?)://");
  return std::regex_search(path, kReference);
}

// Python's urlparse(url).path.split("/")[-1].split(".")[-1].
std::string reference_format(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  const size_t cut = rest.find_first_of("?#");
  if (cut != std::string::npos) rest.resize(cut);
  const size_t slash = rest.find('/');
  const std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  const std::string last = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  const size_t dot = last.rfind('.');
  return dot == std::string::npos ? last : last.substr(dot + 1);
}

// Python's os.path.splitext(path)[1][1:]: leading dots of the name do not count.
std::string file_format(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t first = name.find_first_not_of('.');
  const size_t dot = name.rfind('.');
  if (first == std::string::npos || dot == std::string::npos || dot < first) return "";
  return name.substr(dot + 1);
}

}  // namespace

Image::~Image() = default;

Image::Image(const std::string& path_or_url, ImageOptions options) try {
  auto data = std::make_shared<Data>();
  data->source = path_or_url;
  if (path_or_url.empty()) {
    throw ValueError("image path: expected a file path or URL, got an empty string");
  }
  if (is_reference_path(path_or_url)) {
    data->kind = Data::Kind::kReference;
    data->format = reference_format(path_or_url);
    data->set_reference_hash(detail::sha256_hex(path_or_url.data(), path_or_url.size()));
  } else {
    data->kind = Data::Kind::kFile;
    data->format = file_format(path_or_url);
    detail::Bytes bytes = detail::read_whole_file<detail::Bytes>(path_or_url, detail::kMaxImageFileBytes);
    const detail::ImageInfo info = detail::probe(bytes, "file " + path_or_url);
    data->width = info.width;
    data->height = info.height;
    data->mode = info.mode;
    data->set_bytes(std::move(bytes));
  }
  data_ = std::move(data);
  apply_meta(options);
} WANDB_PUBLIC_CALL("Image")

static_assert(detail::kMaxImageSide == Image::MAX_DIMENSION, "one image size limit");

Image Image::from_encoded(std::vector<uint8_t> bytes, std::string format, ImageOptions options) try {
  static const std::regex kFormat("^[A-Za-z0-9]{1,16}$");
  if (!std::regex_match(format, kFormat)) {
    throw ValueError("format: expected a file extension without the dot (e.g. \"png\"), got \"" +
                     format + "\"");
  }
  auto data = std::make_shared<Data>();
  data->kind = Data::Kind::kEncoded;
  data->format = std::move(format);
  const detail::ImageInfo info = detail::probe(bytes, "bytes");
  data->width = info.width;
  data->height = info.height;
  data->mode = info.mode;
  data->set_bytes(std::move(bytes));
  Image image;
  image.data_ = std::move(data);
  image.apply_meta(options);
  return image;
} WANDB_PUBLIC_CALL("Image::from_encoded")

Image::Image(const Image& other, ImageOptions overrides)
    try : data_(other.data_),
      caption_(other.caption_),
      grouping_(other.grouping_),
      classes_(other.classes_) {
  apply_meta(overrides);
} WANDB_PUBLIC_CALL("Image")

void Image::apply_meta(ImageOptions& options) {
  if (options.caption) {
    detail::check_text("caption", *options.caption);
    caption_ = std::move(options.caption);
  }
  if (options.classes) {
    for (const ClassInfo& c : options.classes->items()) {
      detail::check_text("class name " + std::to_string(c.id), c.name);
    }
  }
  if (options.grouping) grouping_ = options.grouping;
  ClassLabels total;
  std::set<std::string> names;
  for (const auto& [name, layer] : options.boxes) {
    detail::check_text("box layer name", name);
    if (!names.insert(name).second) {
      throw ValueError("boxes: expected unique layer names, got \"" + name + "\" twice");
    }
    total.update(layer.class_labels());
  }
  names.clear();
  for (const auto& [name, mask] : options.masks) {
    detail::check_text("mask layer name", name);
    if (!names.insert(name).second) {
      throw ValueError("masks: expected unique layer names, got \"" + name + "\" twice");
    }
    if (data_->kind != Data::Kind::kReference &&
        (mask.width() != data_->width || mask.height() != data_->height)) {
      detail::emit_warning("mask \"" + name + "\" is " + std::to_string(mask.width()) + "x" +
           std::to_string(mask.height()) + " but the image is " + std::to_string(data_->width) +
           "x" + std::to_string(data_->height) + ": it will not line up in the UI");
    }
    total.update(mask.class_labels());
  }
  if (options.classes) total.update(options.classes->labels());
  if (!total.empty()) classes_ = Classes(total);
  boxes_ = std::move(options.boxes);
  masks_ = std::move(options.masks);
}

int Image::width() const noexcept { return data_->width; }
int Image::height() const noexcept { return data_->height; }
const std::string& Image::format() const noexcept { return data_->format; }
const std::string& Image::mode() const noexcept { return data_->mode; }
bool Image::is_reference() const noexcept { return data_->kind == Data::Kind::kReference; }
bool Image::is_file() const noexcept { return data_->kind == Data::Kind::kFile; }
const std::string& Image::source_path() const noexcept { return data_->source; }

std::string Image::extension() const try {
  return data_->format.empty() ? std::string() : "." + data_->format;
} WANDB_PUBLIC_CALL("Image::extension")

std::string Image::sha256() const try { return data_->sha256(); } WANDB_PUBLIC_CALL("Image::sha256")

int64_t Image::size() const try {
  return static_cast<int64_t>(data_->bytes().size());
} WANDB_PUBLIC_CALL("Image::size")

const std::vector<uint8_t>& Image::encoded() const try {
  return data_->bytes();
} WANDB_PUBLIC_CALL("Image::encoded")

int Image::channels() const try {
  return data_->pixel_buffer().channels;
} WANDB_PUBLIC_CALL("Image::channels")

bool Image::operator==(const Image& other) const try {
  if (is_reference() && other.is_reference()) return source_path() == other.source_path();
  if (grouping_ != other.grouping_ || caption_ != other.caption_ || width() != other.width() ||
      height() != other.height() || classes_ != other.classes_) {
    return false;
  }
  if (is_reference() || other.is_reference()) return false;
  if (data_ == other.data_) return true;
  const detail::PixelBuffer& a = data_->pixel_buffer();
  const detail::PixelBuffer& b = other.data_->pixel_buffer();
  return a.channels == b.channels && a.data == b.data;
} WANDB_PUBLIC_CALL("Image::operator==")

}  // namespace wandb
