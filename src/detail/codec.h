// Encoding, decoding and hashing of image files, all in memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "detail/pixels.h"
#include "wandb/fwd.h"

namespace wandb::detail {

using Bytes = std::vector<uint8_t>;

/// How libpng writes a PNG. The values are zlib's and libpng's own constants,
/// repeated here so that this header needs neither zlib.h nor png.h.
struct PngSettings {
  enum Strategy { kDefaultStrategy = 0, kFiltered = 1, kHuffmanOnly = 2, kRle = 3, kFixed = 4 };
  enum Filter {
    kFilterNone = 0x08,
    kFilterSub = 0x10,
    kFilterUp = 0x20,
    kFilterAvg = 0x40,
    kFilterPaeth = 0x80,
    kFilterAll = 0xF8,  // adaptive: the best of the five per row (libpng's heuristic)
  };
  int level = 1;          // zlib level 0-9
  int strategy = kRle;    // zlib strategy
  int filters = kFilterAll;  // mask of Filter values libpng may choose from per row
};

/// The zlib level images and masks are written at unless png_compression
/// says otherwise; png_settings_for_level(1) is the measured setting (README,
/// "PNG settings").
constexpr int kDefaultPngLevel = 1;

/// The settings used for a zlib level (the png_compression option): the
/// library default is chosen by measurement, see README "PNG settings".
PngSettings png_settings_for_level(int level);

/// PNG through libpng: colour type from the channel count (L, LA, RGB, RGBA).
Bytes encode_png(const uint8_t* data, int height, int width, int channels, int level);
Bytes encode_png(const uint8_t* data, int height, int width, int channels,
                 const PngSettings& settings);
/// Encodes `pixels` (RGB order) as png, jpg/jpeg or bmp.
Bytes encode(const PixelBuffer& pixels, const std::string& file_type, int png_level,
             int jpeg_quality);

/// Width, height and Pillow-style mode read from an encoded image.
struct ImageInfo {
  int width = 0;
  int height = 0;
  std::string mode;
};
/// Largest side of an image the library reads or makes (Image::MAX_DIMENSION).
inline constexpr int kMaxImageSide = 65500;
/// Most pixels an encoded image may declare: Pillow's decompression-bomb
/// limit (2 x Image.MAX_IMAGE_PIXELS), past which the SDK cannot open a file
/// either. A few bytes can declare billions of pixels; this bounds what
/// decoding one allocates (about 716 MB of RGBA).
inline constexpr int64_t kMaxDecodedPixels = 2 * int64_t{89478485};

/// Checks encoded image data and reads its size and mode: PNG, JPEG or BMP
/// only (told by the first bytes; no other decoder sees them), a header whose
/// size is 1 to kMaxImageSide on each side and at most kMaxDecodedPixels in
/// all (checked before decoding), and a complete decode of that size.
/// ValueError otherwise, with the cause.
ImageInfo probe(const Bytes& bytes, const std::string& what);
/// The same checks, returning the decoded Mat (OpenCV's B G R order).
cv::Mat decode_image(const Bytes& bytes, const std::string& what);
/// Decodes to 8-bit RGB(A) or L pixels (16-bit samples are scaled down).
PixelBuffer decode(const Bytes& bytes, const std::string& what);

/// `mat` with its first and third channels exchanged, R G B (A) <-> B G R (A):
/// the library keeps colour in R G B order, OpenCV in B G R. A new Mat for 3
/// and 4 channels; 1- and 2-channel Mats have no colour order and come back as
/// they are, sharing `mat`'s data.
cv::Mat swap_red_blue(const cv::Mat& mat);

/// Lower-case hex SHA-256 (OpenSSL EVP).
std::string sha256_hex(const void* data, size_t size);

}  // namespace wandb::detail
