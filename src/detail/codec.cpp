#include "detail/codec.h"

#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <csetjmp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include <openssl/evp.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "detail/png_writer.h"
#include "wandb/errors.h"

namespace wandb::detail {
namespace {

struct PngWriteContext {
  Bytes* out;
  size_t idat_size;
  char message[256];
};

// `out` has room for the largest file zlib's defaults can produce
// (png_size_bound), so appending never reallocates and copies.
void png_write_bytes(png_structp png, png_bytep data, png_size_t length) {
  auto* ctx = static_cast<PngWriteContext*>(png_get_io_ptr(png));
  ctx->out->insert(ctx->out->end(), data, data + length);
}

constexpr size_t kMaxIdatSize = size_t{256} << 10;

// Size of the largest PNG libpng writes for these rows: zlib's compressBound
// (deflate falls back to stored blocks), plus 12 bytes per IDAT chunk, the
// signature, IHDR and IEND. Only a performance bound: a larger file would
// still be written (the vector grows).
size_t png_size_bound(size_t raw, size_t idat_size) {
  const size_t zlib = compressBound(static_cast<uLong>(raw));
  return zlib + 12 * (zlib / idat_size + 1) + 8 + 25 + 12;
}

void png_flush_nothing(png_structp) {}

void png_error_to_longjmp(png_structp png, png_const_charp message) {
  auto* ctx = static_cast<PngWriteContext*>(png_get_error_ptr(png));
  std::snprintf(ctx->message, sizeof(ctx->message), "%s", message);
  png_longjmp(png, 1);
}

void png_ignore_warning(png_structp, png_const_charp) {}

int png_color_type(int channels) {
  switch (channels) {
    case 1: return PNG_COLOR_TYPE_GRAY;
    case 2: return PNG_COLOR_TYPE_GRAY_ALPHA;
    case 3: return PNG_COLOR_TYPE_RGB;
    default: return PNG_COLOR_TYPE_RGB_ALPHA;
  }
}

static_assert(PngSettings::kDefaultStrategy == Z_DEFAULT_STRATEGY &&
              PngSettings::kFiltered == Z_FILTERED && PngSettings::kHuffmanOnly == Z_HUFFMAN_ONLY &&
              PngSettings::kRle == Z_RLE && PngSettings::kFixed == Z_FIXED);
static_assert(PngSettings::kFilterNone == PNG_FILTER_NONE &&
              PngSettings::kFilterSub == PNG_FILTER_SUB && PngSettings::kFilterUp == PNG_FILTER_UP &&
              PngSettings::kFilterAvg == PNG_FILTER_AVG &&
              PngSettings::kFilterPaeth == PNG_FILTER_PAETH &&
              PngSettings::kFilterAll == PNG_ALL_FILTERS);

// Writes the rows; kept apart from encode_png so no C++ object lives in the
// frame that setjmp/longjmp unwinds.
bool png_write_all(PngWriteContext* ctx, const uint8_t* data, int height, int width,
                   int channels, const PngSettings& settings) {
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx, png_error_to_longjmp, png_ignore_warning);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, ctx, png_write_bytes, png_flush_nothing);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               png_color_type(channels), PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  // zlib's output buffer is also the IDAT chunk size: libpng's 8 KiB gives a
  // chunk (12 bytes, a CRC and a write call) per 8 KiB of file.
  png_set_compression_buffer_size(png, ctx->idat_size);
  png_set_compression_level(png, settings.level);
  png_set_compression_strategy(png, settings.strategy);
  png_set_filter(png, PNG_FILTER_TYPE_BASE, settings.filters);
  png_write_info(png, info);
  const size_t stride = static_cast<size_t>(width) * static_cast<size_t>(channels);
  for (int y = 0; y < height; ++y) {
    png_write_row(png, const_cast<png_bytep>(data + static_cast<size_t>(y) * stride));
  }
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return true;
}

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::string png_mode(int bit_depth, int color_type) {
  switch (color_type) {
    case 0: return bit_depth == 16 ? "I;16" : bit_depth == 1 ? "1" : "L";
    case 2: return "RGB";
    case 3: return "P";
    case 4: return "LA";
    case 6: return "RGBA";
    default: return "";
  }
}

bool probe_png(const Bytes& b, ImageInfo& info) {
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() < 33 || std::memcmp(b.data(), kSignature, 8) != 0) return false;
  if (std::memcmp(b.data() + 12, "IHDR", 4) != 0) return false;
  info.width = static_cast<int>(read_be32(b.data() + 16));
  info.height = static_cast<int>(read_be32(b.data() + 20));
  info.mode = png_mode(b[24], b[25]);
  return info.width > 0 && info.height > 0 && !info.mode.empty();
}

bool probe_jpeg(const Bytes& b, ImageInfo& info) {
  if (b.size() < 4 || b[0] != 0xFF || b[1] != 0xD8) return false;
  size_t i = 2;
  while (i + 9 < b.size()) {
    if (b[i] != 0xFF) return false;
    const uint8_t marker = b[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    const size_t length = (size_t{b[i + 2]} << 8) | b[i + 3];
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
                     marker != 0xCC;
    if (sof) {
      info.height = (b[i + 5] << 8) | b[i + 6];
      info.width = (b[i + 7] << 8) | b[i + 8];
      const int components = b[i + 9];
      info.mode = components == 1 ? "L" : components == 3 ? "RGB" : components == 4 ? "CMYK" : "";
      return info.width > 0 && info.height > 0 && !info.mode.empty();
    }
    if (length < 2) return false;
    i += 2 + length;
  }
  return false;
}

// BITMAPINFOHEADER and later: width and height (negative = top-down) as
// int32 little-endian at offsets 18 and 22; the old 12-byte core header has
// 16-bit sizes at 18 and 20.
bool probe_bmp(const Bytes& b, ImageInfo& info) {
  if (b.size() < 26 || b[0] != 'B' || b[1] != 'M') return false;
  const auto le32 = [&](size_t at) {
    return static_cast<int64_t>(static_cast<int32_t>(uint32_t{b[at]} | (uint32_t{b[at + 1]} << 8) |
                                                     (uint32_t{b[at + 2]} << 16) |
                                                     (uint32_t{b[at + 3]} << 24)));
  };
  const int64_t header = le32(14);
  int64_t width = 0, height = 0;
  if (header == 12) {
    width = b[18] | (b[19] << 8);
    height = b[20] | (b[21] << 8);
  } else {
    width = le32(18);
    height = le32(22);
    if (height < 0) height = -height;
  }
  // Clamped into int: the size check that follows refuses anything this large.
  info.width = static_cast<int>(std::clamp<int64_t>(width, -1, INT32_MAX));
  info.height = static_cast<int>(std::clamp<int64_t>(height, -1, INT32_MAX));
  return true;
}

enum class Format { kPng, kJpeg, kBmp };

// The formats the library reads, told by their first bytes (never by a file
// name): no other decoder of OpenCV's ever sees the bytes.
Format sniff(const Bytes& b, const std::string& what) {
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() >= 8 && std::memcmp(b.data(), kPng, 8) == 0) return Format::kPng;
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return Format::kJpeg;
  if (b.size() >= 2 && b[0] == 'B' && b[1] == 'M') return Format::kBmp;
  std::string head;
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < b.size() && i < 8; ++i) {
    head += (i ? " " : "");
    head += kHex[b[i] >> 4];
    head += kHex[b[i] & 15];
  }
  throw ValueError("cannot read image " + what + ": expected PNG, JPEG or BMP data, got " +
                   (b.empty() ? std::string("no bytes") : "bytes starting " + head));
}

// The header's size, checked against the image limit before any decoder runs.
ImageInfo header_info(const Bytes& b, Format format, const std::string& what) {
  ImageInfo info;
  const bool ok = format == Format::kPng    ? probe_png(b, info)
                  : format == Format::kJpeg ? probe_jpeg(b, info)
                                            : probe_bmp(b, info);
  if (!ok) {
    throw ValueError("cannot read image " + what + ": expected a complete " +
                     (format == Format::kPng ? "PNG" : format == Format::kJpeg ? "JPEG" : "BMP") +
                     " header, got " + std::to_string(b.size()) + " bytes without one");
  }
  if (info.width < 1 || info.height < 1 || info.width > kMaxImageSide || info.height > kMaxImageSide) {
    throw ValueError("cannot read image " + what + ": expected 1 to " + std::to_string(kMaxImageSide) +
                     " pixels on each side, got " + std::to_string(info.width) + " x " +
                     std::to_string(info.height) + " in its header");
  }
  const int64_t pixels = int64_t{info.width} * info.height;
  if (pixels > kMaxDecodedPixels) {
    throw ValueError("cannot read image " + what + ": expected at most " + std::to_string(kMaxDecodedPixels) +
                     " pixels (the decompression-bomb limit of Pillow, which the SDK uses), got " +
                     std::to_string(info.width) + " x " + std::to_string(info.height) + " = " +
                     std::to_string(pixels) + " in its header");
  }
  return info;
}

// Decodes checked bytes; OpenCV's failures and exceptions become ValueError
// (MemoryError when the pixels cannot be allocated),
// and the decoded size must be the header's.
cv::Mat decode_checked(const Bytes& bytes, const ImageInfo& header, const std::string& what) {
  cv::Mat mat;
  try {
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8U, const_cast<uint8_t*>(bytes.data()));
    mat = cv::imdecode(raw, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    if (e.code == cv::Error::StsNoMem) {  // the output buffer, allocated before decoding
      throw MemoryError("cannot decode image " + what + ": expected memory for " +
                        std::to_string(header.width) + " x " + std::to_string(header.height) +
                        " pixels, got an allocation failure: " + e.err);
    }
    throw ValueError("cannot decode image " + what + ": expected data OpenCV can decode, got an error: " +
                     e.what());
  }
  if (mat.empty()) {
    throw ValueError("cannot decode image " + what + ": expected complete image data, got " +
                     std::to_string(bytes.size()) + " bytes the decoder rejects (truncated or corrupt?)");
  }
  if (mat.cols != header.width || mat.rows != header.height) {
    throw ValueError("cannot decode image " + what + ": expected the " + std::to_string(header.width) +
                     " x " + std::to_string(header.height) + " pixels its header declares, got " +
                     std::to_string(mat.cols) + " x " + std::to_string(mat.rows));
  }
  return mat;
}

}  // namespace

PngSettings png_settings_for_level(int level) {
  PngSettings settings;
  settings.level = level;
  if (level == 0) {
    // Stored blocks: filtering would cost time and change nothing.
    settings.strategy = PngSettings::kDefaultStrategy;
    settings.filters = PngSettings::kFilterNone;
  } else if (level == 1) {
    // The default, chosen by measurement (README, "PNG settings"): run-length
    // coding of the Average filter's output writes photographs within a few
    // percent of Pillow's level-6 size, as fast as OpenCV's fastest setting.
    // libpng's adaptive choice among all five filters is 2% smaller but takes
    // nearly twice as long.
    settings.strategy = PngSettings::kRle;
    settings.filters = PngSettings::kFilterAvg;
  } else {
    // Levels asked for explicitly keep libpng's defaults.
    settings.strategy = PngSettings::kFiltered;
    settings.filters = PngSettings::kFilterAll;
  }
  return settings;
}

Bytes encode_png(const uint8_t* data, int height, int width, int channels, int level) {
  // Level 1 (the default): libdeflate's level 1 with the Average filter on
  // every row, faster and smaller than zlib's level 1 (README, PNG settings).
  // The other levels keep zlib through libpng at that level, so
  // png_compression keeps its meaning.
  if (level == 1) return encode_png_fast(data, height, width, channels, 1);
  return encode_png(data, height, width, channels, png_settings_for_level(level));
}

Bytes encode_png(const uint8_t* data, int height, int width, int channels,
                 const PngSettings& settings) {
  const size_t raw = static_cast<size_t>(height) * (static_cast<size_t>(width) * channels + 1);
  const size_t idat_size = std::clamp(static_cast<size_t>(compressBound(static_cast<uLong>(raw))),
                                      size_t{8192}, kMaxIdatSize);
  // Reserved, not written: the pages past the file's end are never touched.
  Bytes out;
  const size_t bound = png_size_bound(raw, idat_size);
  out.reserve(bound);
  advise_huge_pages(out.data(), bound);
  PngWriteContext ctx{&out, idat_size, {0}};
  if (!png_write_all(&ctx, data, height, width, channels, settings)) {
    throw Error(std::string("cannot encode PNG: ") +
                (ctx.message[0] ? ctx.message : "libpng could not allocate its state"));
  }
  return out;
}

Bytes encode(const PixelBuffer& px, const std::string& file_type, int png_level,
             int jpeg_quality) {
  if (file_type == "png") {
    return encode_png(px.data.data(), px.height, px.width, px.channels, png_level);
  }
  const cv::Mat rgb(px.height, px.width, CV_8UC(px.channels), const_cast<uint8_t*>(px.data.data()));
  const cv::Mat bgr = swap_red_blue(rgb);
  std::vector<int> params;
  std::string ext = ".bmp";
  if (file_type == "jpg" || file_type == "jpeg") {
    ext = ".jpg";
    params = {cv::IMWRITE_JPEG_QUALITY, jpeg_quality};
  }
  Bytes out;
  if (!cv::imencode(ext, bgr, out, params)) {
    throw Error("cannot encode " + file_type + ": OpenCV's encoder failed for " +
                std::to_string(px.width) + "x" + std::to_string(px.height) + "x" +
                std::to_string(px.channels) + " pixels");
  }
  return out;
}

ImageInfo probe(const Bytes& bytes, const std::string& what) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    throw ValueError("cannot read image " + what + ": expected at most 2 GiB, got " +
                     std::to_string(bytes.size()) + " bytes");
  }
  ImageInfo info = header_info(bytes, sniff(bytes, what), what);
  // The whole file is decoded once, so that an image accepted here is one
  // that W&B can show (a truncated file is refused now, not after upload).
  const cv::Mat mat = decode_checked(bytes, info, what);
  if (info.mode.empty()) {  // BMP: no mode in the header
    static const char* const kModes[] = {"", "L", "LA", "RGB", "RGBA"};
    info.mode = mat.channels() <= 4 ? kModes[mat.channels()] : "";
  }
  return info;
}

cv::Mat decode_image(const Bytes& bytes, const std::string& what) {
  return decode_checked(bytes, header_info(bytes, sniff(bytes, what), what), what);
}

PixelBuffer decode(const Bytes& bytes, const std::string& what) {
  cv::Mat mat = decode_image(bytes, what);
  if (mat.depth() != CV_8U) {
    const int depth = mat.depth();
    const double scale = (depth == CV_16U || depth == CV_16S) ? 1.0 / 256.0
                         : (depth == CV_32F || depth == CV_64F) ? 255.0
                                                                 : 1.0;
    mat.convertTo(mat, CV_8U, scale);
  }
  mat = swap_red_blue(mat);
  PixelBuffer out;
  out.height = mat.rows;
  out.width = mat.cols;
  out.channels = mat.channels();
  const size_t row = static_cast<size_t>(mat.cols) * mat.channels();
  out.data.resize(row * mat.rows);
  for (int y = 0; y < mat.rows; ++y) std::memcpy(out.data.data() + y * row, mat.ptr(y), row);
  return out;
}

cv::Mat swap_red_blue(const cv::Mat& mat) {
  if (mat.channels() != 3 && mat.channels() != 4) return mat;
  cv::Mat out;
  cv::cvtColor(mat, out, mat.channels() == 3 ? cv::COLOR_RGB2BGR : cv::COLOR_RGBA2BGRA);
  return out;
}

std::string sha256_hex(const void* data, size_t size) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data, size) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) {
    throw Error("cannot compute SHA-256: OpenSSL's EVP digest failed");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex(length * 2, '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 15];
  }
  return hex;
}

}  // namespace wandb::detail
