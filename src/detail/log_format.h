// The framing of a `.wandb` run file, shared by its writer and reader: a
// 7-byte file header, then each payload as LevelDB-log chunks that never
// straddle a 32 KiB block (docs/run-file.md describes the layout).
#pragma once

#include <cstdint>
#include <string_view>

namespace wandb::detail {

/// The file header: ":W&B", 0xBEE1 little-endian, version 0.
inline constexpr std::string_view kRunFileHeader{"\x3A\x57\x26\x42\xE1\xBE\x00", 7};
/// Chunks never straddle these blocks, counted from file offset 0.
inline constexpr int64_t kRunFileBlockSize = 32768;
/// crc32 (u32 LE) | length (u16 LE) | type (u8).
inline constexpr int64_t kChunkHeaderSize = 7;

/// A payload that fits its block is one FULL chunk; a longer one is FIRST,
/// any number of MIDDLE, then LAST.
enum class ChunkType : uint8_t { kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };

/// Zero bytes that come before a chunk written at `offset`: the rest of the
/// block when fewer than 7 bytes remain in it, else none.
int64_t chunk_padding(int64_t offset);

/// zlib crc32 over the type byte followed by the payload (not masked).
uint32_t chunk_crc(ChunkType type, std::string_view payload);

}  // namespace wandb::detail
