// The shared, immutable state behind wandb::Image and its lazily encoded file.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "detail/codec.h"
#include "detail/pixels.h"
#include "wandb/image.h"

namespace wandb {

struct Image::Data {
  enum class Kind { kPixels, kFile, kEncoded, kReference };

  Kind kind = Kind::kPixels;
  std::string format;  // as given: file_type, or the extension of a file or URL
  std::string mode;    // Pillow mode
  std::string source;  // file path or URL
  int width = 0;
  int height = 0;
  int png_level = 0;
  int jpeg_quality = 75;
  detail::PixelBuffer pixels;  // kPixels only

  /// Encoded bytes (kPixels: produced on first use) and their hash.
  const detail::Bytes& bytes() const;
  const std::string& sha256() const;
  /// Log-ready pixels (files and encoded bytes: decoded on first use).
  const detail::PixelBuffer& pixel_buffer() const;

  /// The encoded bytes and their hash, for writing the image's file. Pixels
  /// not encoded yet are encoded into a buffer the image does not keep (a
  /// run's encoders use this, so logged images do not hold their files in
  /// memory). `self` is the shared pointer that owns this Data.
  struct EncodedFile {
    std::shared_ptr<const detail::Bytes> bytes;
    std::string sha256;
  };
  EncodedFile encoded_file(const std::shared_ptr<const Data>& self) const {
    if (kind != Kind::kPixels || encoded_.load(std::memory_order_acquire)) {
      return {std::shared_ptr<const detail::Bytes>(self, &bytes()), sha256()};
    }
    auto b = std::make_shared<const detail::Bytes>(detail::encode(pixels, format, png_level, jpeg_quality));
    std::string sha = detail::sha256_hex(b->data(), b->size());
    return {std::move(b), std::move(sha)};
  }

  // Set at construction for kFile, kEncoded and kReference.
  void set_bytes(detail::Bytes b);
  void set_reference_hash(std::string url_hash) { sha_ = std::move(url_hash); }

 private:
  void ensure_encoded() const;
  mutable std::mutex lazy_mu_;  // the first encode or decode; never held by callers
  mutable std::atomic<bool> encoded_{false};
  mutable detail::Bytes bytes_;
  mutable std::string sha_;
  mutable std::atomic<bool> decoded_ready_{false};
  mutable detail::PixelBuffer decoded_;
};

namespace detail {

/// The library's own access to an Image's shared state.
struct ImageAccess {
  static const Image::Data& data(const Image& image) { return *image.data_; }
  static const std::shared_ptr<const Image::Data>& shared(const Image& image) { return image.data_; }
};

/// Builds the shared state of an image made from normalised pixels, after the
/// checks that depend only on the source's shape have passed.
std::shared_ptr<Image::Data> make_pixel_data(PixelBuffer pixels, std::string mode,
                                             std::string file_type, const ImageOptions& options);

/// Checks and resolves the mode for data with `channels` channels.
/// `two_dimensional` is true for H x W sources.
struct ModePlan {
  std::string file_type;
  std::string mode;      // final mode
  int source_channels;   // channels before conversion
};
ModePlan plan_mode(int64_t channels, bool two_dimensional, const std::vector<int64_t>& shape,
                   int64_t height, int64_t width, const ImageOptions& options);

/// Emits the SDK's range warning and converts to the planned mode.
std::shared_ptr<Image::Data> finish_pixels(PixelBuffer pixels, const NormalizeInfo& info,
                                           const ModePlan& plan, const ImageOptions& options);

}  // namespace detail
}  // namespace wandb
