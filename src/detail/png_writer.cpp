#include "detail/png_writer.h"

#include <libdeflate.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "wandb/errors.h"

namespace wandb::detail {
namespace {

constexpr int kMaxLevel = 12;
constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr size_t kChunkOverhead = 12;  // length, type, CRC
// The signature and the IHDR chunk.
constexpr size_t kIhdrEnd = sizeof(kSignature) + kChunkOverhead + 13;
constexpr uint8_t kFilterAverage = 3;

static_assert(kPngIdatChunkSize <= 0x7FFFFFFF, "a PNG chunk length is at most 2^31 - 1");

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

using CompressorPtr = std::unique_ptr<libdeflate_compressor, CompressorDeleter>;

CompressorPtr new_compressor(int level) {
  CompressorPtr c(libdeflate_alloc_compressor(level));
  if (!c) throw std::bad_alloc();
  return c;
}

// Allocating a compressor (198 KiB at level 1, 652 KiB at 2-9) costs more
// than compressing a small image, so each thread keeps the ones it has used.
// Levels 10-12 take 8.6 MiB each and compress far more slowly than they
// allocate: those are made per call, into `owned`.
constexpr int kMaxKeptLevel = 9;

libdeflate_compressor* compressor_for(int level, CompressorPtr& owned) {
  if (level > kMaxKeptLevel) {
    owned = new_compressor(level);
    return owned.get();
  }
  thread_local std::array<CompressorPtr, kMaxKeptLevel + 1> kept;
  auto& slot = kept[static_cast<size_t>(level)];
  if (!slot) slot = new_compressor(level);
  return slot.get();
}

void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// floor((a + b) / 2) without widening, so the loops below vectorise on bytes.
inline uint8_t floor_average(uint8_t a, uint8_t b) {
  return static_cast<uint8_t>((a & b) + ((a ^ b) >> 1));
}

// The loops run over fixed-size blocks: GCC's -O2 vectorises only loops whose
// trip count is a known multiple of the vector width, and __restrict spares it
// run-time overlap checks. The first `bpp` bytes of a row have no left
// neighbour (zero), the first row no prior row (zeros), so each case is a
// loop of its own rather than a branch per byte.
constexpr size_t kBlock = 32;

void average_first_row(const uint8_t* __restrict cur, uint8_t* __restrict out, size_t bpp,
                       size_t n) {
  std::memcpy(out, cur, bpp);
  size_t i = bpp;
  for (; i + kBlock <= n; i += kBlock) {
    for (size_t k = 0; k < kBlock; ++k) {
      out[i + k] = static_cast<uint8_t>(cur[i + k] - (cur[i + k - bpp] >> 1));
    }
  }
  for (; i < n; ++i) out[i] = static_cast<uint8_t>(cur[i] - (cur[i - bpp] >> 1));
}

void average_row(const uint8_t* __restrict cur, const uint8_t* __restrict prior,
                 uint8_t* __restrict out, size_t bpp, size_t n) {
  for (size_t i = 0; i < bpp; ++i) out[i] = static_cast<uint8_t>(cur[i] - (prior[i] >> 1));
  size_t i = bpp;
  for (; i + kBlock <= n; i += kBlock) {
    for (size_t k = 0; k < kBlock; ++k) {
      out[i + k] = static_cast<uint8_t>(cur[i + k] - floor_average(cur[i + k - bpp], prior[i + k]));
    }
  }
  for (; i < n; ++i) {
    out[i] = static_cast<uint8_t>(cur[i] - floor_average(cur[i - bpp], prior[i]));
  }
}

// `png` has the capacity for the chunk, so nothing is reallocated.
// Writes one chunk at `at` (length, type, data, CRC); returns the end.
uint8_t* put_chunk(uint8_t* at, const char* type, const uint8_t* data, size_t size) {
  put_be32(at, static_cast<uint32_t>(size));
  std::memcpy(at + 4, type, 4);
  if (size > 0) std::memcpy(at + 8, data, size);
  // libdeflate_crc32 answers 0 for a null buffer instead of `crc` unchanged,
  // so the type and the data go in as one range.
  put_be32(at + 8 + size, libdeflate_crc32(0, at + 4, 4 + size));
  return at + 8 + size + 4;
}

void check_inputs(const uint8_t* data, int height, int width, int channels, int level) {
  static_assert(kPngMaxSide == 0x7FFFFFFF, "an int holds every PNG side");
  const std::string sides = "1 to " + std::to_string(kPngMaxSide);
  if (width < 1) {
    throw ValueError("png: expected a width of " + sides + ", got " + std::to_string(width));
  }
  if (height < 1) {
    throw ValueError("png: expected a height of " + sides + ", got " + std::to_string(height));
  }
  if (channels < 1 || channels > 4) {
    throw ValueError("png: expected 1 to 4 channels, got " + std::to_string(channels));
  }
  if (level < 0 || level > kMaxLevel) {
    throw ValueError("png: expected a deflate level of 0 to 12, got " + std::to_string(level));
  }
  if (!data) throw ValueError("png: expected pixel data, got a null pointer");
}

}  // namespace

std::vector<uint8_t> encode_png_fast(const uint8_t* data, int height, int width, int channels,
                                     int deflate_level) {
  check_inputs(data, height, width, channels, deflate_level);
  const size_t bpp = static_cast<size_t>(channels);
  const size_t stride = static_cast<size_t>(width) * bpp;
  const size_t rows = static_cast<size_t>(height);
  // Only a 32-bit size_t or a 4 x (2^31)^2 image gets here; neither could be
  // held in memory.
  size_t filtered_size = 0;
  if (__builtin_mul_overflow(stride + 1, rows, &filtered_size)) throw std::bad_alloc();

  // Each filtered row is its filter byte and `stride` bytes.
  std::unique_ptr<uint8_t[]> filtered(new uint8_t[filtered_size]);
  {
    uint8_t* out = filtered.get();
    out[0] = kFilterAverage;
    average_first_row(data, out + 1, bpp, stride);
    for (size_t y = 1; y < rows; ++y) {
      out += stride + 1;
      out[0] = kFilterAverage;
      const uint8_t* cur = data + y * stride;
      average_row(cur, cur - stride, out + 1, bpp, stride);
    }
  }

  CompressorPtr owned;
  libdeflate_compressor* compressor = compressor_for(deflate_level, owned);
  const size_t bound = libdeflate_zlib_compress_bound(compressor, filtered_size);
  // Compressed into a buffer of its own, then copied once into a vector of
  // the file's exact size: the bound is about the raw size, so compressing
  // into the vector itself would zero-fill it (std::vector cannot grow
  // uninitialised) and leave it holding the raw size in resident memory for
  // as long as the file is kept. Pages of `stream` past the data are never
  // touched.
  std::unique_ptr<uint8_t[]> stream(new uint8_t[bound]);
  const size_t zsize =
      libdeflate_zlib_compress(compressor, filtered.get(), filtered_size, stream.get(), bound);
  if (zsize == 0) {
    throw Error("png: expected libdeflate to compress " + std::to_string(filtered_size) +
                " bytes within its bound of " + std::to_string(bound) + ", got a failure");
  }
  filtered.reset();

  const size_t chunks = (zsize + kPngIdatChunkSize - 1) / kPngIdatChunkSize;
  // Sized once and filled in place (memcpy, no growth).
  std::vector<uint8_t> png(kIhdrEnd + zsize + chunks * kChunkOverhead + kChunkOverhead);
  uint8_t* at = png.data();
  std::memcpy(at, kSignature, sizeof(kSignature));
  at += sizeof(kSignature);
  static constexpr uint8_t kColourType[5] = {0, 0, 4, 2, 6};
  uint8_t ihdr[13];
  put_be32(ihdr, static_cast<uint32_t>(width));
  put_be32(ihdr + 4, static_cast<uint32_t>(height));
  ihdr[8] = 8;  // bit depth
  ihdr[9] = kColourType[channels];
  ihdr[10] = 0;  // compression: deflate
  ihdr[11] = 0;  // filter method: adaptive (each row names its filter)
  ihdr[12] = 0;  // no interlace
  at = put_chunk(at, "IHDR", ihdr, sizeof(ihdr));
  for (size_t k = 0; k < chunks; ++k) {
    const size_t offset = k * kPngIdatChunkSize;
    at = put_chunk(at, "IDAT", stream.get() + offset, std::min(kPngIdatChunkSize, zsize - offset));
  }
  put_chunk(at, "IEND", nullptr, 0);
  return png;
}

}  // namespace wandb::detail
