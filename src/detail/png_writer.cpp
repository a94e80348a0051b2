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
constexpr size_t kIhdrEnd = sizeof(kSignature) + kChunkOverhead + 13;
constexpr size_t kFirstIdatData = kIhdrEnd + 8;
constexpr uint8_t kFilterAverage = 3;

static_assert(kPngIdatChunkSize <= 0x7FFFFFFF, "a PNG chunk length is at most 2^31 - 1");

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

// Allocating a compressor costs more than compressing a small image (its hash
// tables are hundreds of KiB), so each thread keeps the ones it has used.
libdeflate_compressor* compressor_for(int level) {
  thread_local std::array<std::unique_ptr<libdeflate_compressor, CompressorDeleter>,
                          kMaxLevel + 1>
      cache;
  auto& slot = cache[static_cast<size_t>(level)];
  if (!slot) {
    slot.reset(libdeflate_alloc_compressor(level));
    if (!slot) throw std::bad_alloc();
  }
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

// A chunk whose length field, type and data are already in place at `chunk`.
void seal_chunk(uint8_t* chunk, size_t data_size) {
  put_be32(chunk, static_cast<uint32_t>(data_size));
  const uint32_t crc = libdeflate_crc32(0, chunk + 4, 4 + data_size);
  put_be32(chunk + 8 + data_size, crc);
}

void check_inputs(const uint8_t* data, int height, int width, int channels, int level) {
  static_assert(kPngMaxSide == 0x7FFFFFFF, "an int holds every PNG side");
  const std::string sides = "1 to " + std::to_string(kPngMaxSide);
  if (width < 1) throw ValueError("png: expected a width of " + sides + ", got " + std::to_string(width));
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

  libdeflate_compressor* compressor = compressor_for(deflate_level);
  const size_t bound = libdeflate_zlib_compress_bound(compressor, filtered_size);
  const size_t max_chunks = bound / kPngIdatChunkSize + 1;
  const size_t capacity = kIhdrEnd + bound + kChunkOverhead * max_chunks + kChunkOverhead;
  if (capacity < bound) throw std::bad_alloc();
  std::vector<uint8_t> png(capacity);
  uint8_t* p = png.data();

  std::memcpy(p, kSignature, sizeof(kSignature));
  uint8_t* ihdr = p + sizeof(kSignature);
  std::memcpy(ihdr + 4, "IHDR", 4);
  put_be32(ihdr + 8, static_cast<uint32_t>(width));
  put_be32(ihdr + 12, static_cast<uint32_t>(height));
  static constexpr uint8_t kColourType[5] = {0, 0, 4, 2, 6};
  ihdr[16] = 8;  // bit depth
  ihdr[17] = kColourType[channels];
  ihdr[18] = 0;  // compression: deflate
  ihdr[19] = 0;  // filter method: adaptive (each row names its filter)
  ihdr[20] = 0;  // no interlace
  seal_chunk(ihdr, 13);

  // Compressed straight into place after the first IDAT chunk's header.
  const size_t zsize = libdeflate_zlib_compress(compressor, filtered.get(), filtered_size,
                                                p + kFirstIdatData, bound);
  if (zsize == 0) {
    throw Error("png: expected libdeflate to compress " + std::to_string(filtered_size) +
                " bytes within its bound of " + std::to_string(bound) + ", got a failure");
  }
  filtered.reset();

  // A stream longer than one chunk: each further piece moves right by the
  // 12 bytes of every chunk before it, the last piece first so none is
  // overwritten before it has moved.
  const size_t chunks = (zsize + kPngIdatChunkSize - 1) / kPngIdatChunkSize;
  const size_t chunk_stride = kPngIdatChunkSize + kChunkOverhead;
  for (size_t k = chunks - 1; k > 0; --k) {
    const size_t piece = std::min(kPngIdatChunkSize, zsize - k * kPngIdatChunkSize);
    std::memmove(p + kFirstIdatData + k * chunk_stride, p + kFirstIdatData + k * kPngIdatChunkSize,
                 piece);
  }
  for (size_t k = 0; k < chunks; ++k) {
    uint8_t* chunk = p + kIhdrEnd + k * chunk_stride;
    std::memcpy(chunk + 4, "IDAT", 4);
    seal_chunk(chunk, std::min(kPngIdatChunkSize, zsize - k * kPngIdatChunkSize));
  }

  uint8_t* iend = p + kIhdrEnd + zsize + chunks * kChunkOverhead;
  std::memcpy(iend + 4, "IEND", 4);
  seal_chunk(iend, 0);
  png.resize(static_cast<size_t>(iend + kChunkOverhead - p));
  return png;
}

}  // namespace wandb::detail
