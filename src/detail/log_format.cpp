#include "detail/log_format.h"

#include <zlib.h>

namespace wandb::detail {

int64_t chunk_padding(int64_t offset) {
  const int64_t left = kRunFileBlockSize - offset % kRunFileBlockSize;
  return left < kChunkHeaderSize ? left : 0;
}

uint32_t chunk_crc(ChunkType type, std::string_view payload) {
  const auto type_byte = static_cast<unsigned char>(type);
  uLong crc = ::crc32(0L, Z_NULL, 0);
  crc = ::crc32(crc, &type_byte, 1);
  // Chunk payloads are below 32 KiB, well inside zlib's uInt length.
  crc = ::crc32(crc, reinterpret_cast<const Bytef*>(payload.data()),
                static_cast<uInt>(payload.size()));
  return static_cast<uint32_t>(crc);
}

}  // namespace wandb::detail
