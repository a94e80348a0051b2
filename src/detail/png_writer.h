// A PNG writer of its own, compressing with libdeflate.
//
// Why not libpng: libpng streams rows through zlib and cannot be given another
// compressor. libdeflate compresses a whole buffer at once and, at its level 1,
// is both faster and smaller than zlib's fastest setting (level 1 + Z_RLE) on
// the sample photos. The PNG container around the compressed data is small
// (signature, IHDR, IDAT chunks, IEND, a CRC per chunk), so it is written here.
//
// Self-contained: includes neither OpenCV nor LibTorch nor libpng.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wandb::detail {

/// Largest IDAT chunk written; a longer zlib stream is split over several
/// chunks (decoders concatenate them, so the size only bounds each chunk).
inline constexpr size_t kPngIdatChunkSize = size_t{1} << 20;

/// Largest width or height PNG allows (2^31 - 1).
inline constexpr int kPngMaxSide = 0x7FFFFFFF;

/// Encodes 8-bit pixels as a non-interlaced PNG. `data` holds `height` rows of
/// `width * channels` bytes each, one after another; channels 1, 2, 3, 4 give
/// colour types L (0), LA (4), RGB (2), RGBA (6). Every row uses the Average
/// filter, and the filtered rows are compressed once as a zlib stream by
/// libdeflate at `deflate_level` (0 = stored blocks, 1 = fastest, 12 =
/// smallest). Each thread keeps a compressor per level 0-9 it has used
/// (5.3 MiB if it used all ten); levels 10-12 allocate 8.6 MiB per call.
///
/// ValueError ("png: expected ..., got ...") for a null `data`, a side outside
/// 1..2^31-1, channels outside 1..4 or a level outside 0..12. std::bad_alloc
/// when memory runs out.
std::vector<uint8_t> encode_png_fast(const uint8_t* data, int height, int width, int channels,
                                     int deflate_level);

}  // namespace wandb::detail
