#include "detail/log_reader.h"

#include <algorithm>
#include <cstdio>

#include "detail/log_format.h"
#include "wandb/errors.h"

namespace wandb::detail {
namespace {

std::string hex_bytes(std::string_view bytes) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof(buf), i ? " %02x" : "%02x", static_cast<unsigned char>(bytes[i]));
    out += buf;
  }
  return out;
}

std::string hex32(uint32_t value) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", value);
  return buf;
}

uint32_t load_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}

uint16_t load_u16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(u[0] | u[1] << 8);
}

const char* chunk_type_name(int type) {
  switch (type) {
    case 1: return "FULL";
    case 2: return "FIRST";
    case 3: return "MIDDLE";
    case 4: return "LAST";
    default: return "?";
  }
}

// True when the whole header is there. A proper prefix of it is a torn file;
// anything else is foreign and throws.
bool read_header(std::string_view bytes, const std::string& what, LogContents* out) {
  const std::string_view head = bytes.substr(0, kRunFileHeader.size());
  if (head.substr(0, 6) != kRunFileHeader.substr(0, std::min<size_t>(head.size(), 6))) {
    throw ValueError("not a .wandb file " + what + ": expected header " +
                     hex_bytes(kRunFileHeader) + ", got " + hex_bytes(head));
  }
  if (head.size() < kRunFileHeader.size()) {
    out->torn_tail = true;
    out->tail_error =
        "truncated header at offset 0: expected 7 bytes, got " + std::to_string(head.size());
    return false;
  }
  if (head[6] != kRunFileHeader[6]) {
    throw ValueError("unsupported .wandb version in " + what + ": expected 0, got " +
                     std::to_string(static_cast<unsigned char>(head[6])));
  }
  out->header_ok = true;
  out->valid_bytes = static_cast<int64_t>(kRunFileHeader.size());
  return true;
}

struct Chunk {
  int64_t offset;
  int type;
  std::string_view data;
};

// Walks the chunks after the header; each step returns false once it has
// recorded damage.
class ChunkWalker {
 public:
  ChunkWalker(std::string_view bytes, LogContents* out)
      : bytes_(bytes), size_(static_cast<int64_t>(bytes.size())), out_(out) {}

  void run() {
    while (pos_ < size_) {
      const int64_t left = kRunFileBlockSize - pos_ % kRunFileBlockSize;
      if (left < kChunkHeaderSize) {
        if (!skip_padding(left)) return;
        continue;
      }
      Chunk chunk{};
      if (!read_chunk(left, &chunk) || !take(chunk)) return;
    }
    if (pending_start_ >= 0) {
      fail("truncated record at offset " + std::to_string(pending_start_) +
           ": expected a MIDDLE or LAST chunk at offset " + std::to_string(pos_) +
           ", got end of file");
    }
  }

 private:
  bool fail(std::string message) {
    out_->torn_tail = true;
    out_->tail_error = std::move(message);
    return false;
  }

  bool skip_padding(int64_t left) {
    if (pos_ + left > size_) {
      return fail("truncated padding at offset " + std::to_string(pos_) + ": expected " +
                  std::to_string(left) + " zero bytes, got " + std::to_string(size_ - pos_));
    }
    const std::string_view pad =
        bytes_.substr(static_cast<size_t>(pos_), static_cast<size_t>(left));
    if (pad.find_first_not_of('\0') != std::string_view::npos) {
      return fail("bad padding at offset " + std::to_string(pos_) + ": expected " +
                  std::to_string(left) + " zero bytes, got " + hex_bytes(pad));
    }
    pos_ += left;
    if (pos_ == size_ && pending_start_ < 0) {
      // Padding is only written together with the chunk that follows it.
      return fail("truncated record at offset " + std::to_string(pos_ - left) +
                  ": expected a chunk after " + std::to_string(left) +
                  " bytes of padding, got end of file");
    }
    return true;
  }

  // The chunk at pos_, whose block has `left` bytes from there; checks its
  // header, length and CRC and moves past it.
  bool read_chunk(int64_t left, Chunk* chunk) {
    if (size_ - pos_ < kChunkHeaderSize) {
      return fail("truncated chunk header at offset " + std::to_string(pos_) +
                  ": expected 7 bytes, got " + std::to_string(size_ - pos_));
    }
    const char* h = bytes_.data() + pos_;
    const int64_t length = load_u16(h + 4);
    chunk->offset = pos_;
    chunk->type = static_cast<unsigned char>(h[6]);
    if (chunk->type < 1 || chunk->type > 4) {
      return fail("bad chunk type at offset " + std::to_string(pos_) +
                  ": expected 1 (FULL), 2 (FIRST), 3 (MIDDLE) or 4 (LAST), got " +
                  std::to_string(chunk->type));
    }
    if (length > left - kChunkHeaderSize) {
      return fail("bad chunk length at offset " + std::to_string(pos_) + ": expected at most " +
                  std::to_string(left - kChunkHeaderSize) + " (the rest of the block), got " +
                  std::to_string(length));
    }
    if (pos_ + kChunkHeaderSize + length > size_) {
      return fail("truncated chunk at offset " + std::to_string(pos_) + ": expected " +
                  std::to_string(length) + " payload bytes, got " +
                  std::to_string(size_ - pos_ - kChunkHeaderSize));
    }
    chunk->data = std::string_view(h + kChunkHeaderSize, static_cast<size_t>(length));
    const uint32_t stored = load_u32(h);
    const uint32_t crc = chunk_crc(static_cast<ChunkType>(chunk->type), chunk->data);
    if (crc != stored) {
      return fail("CRC mismatch in chunk at offset " + std::to_string(pos_) + ": expected " +
                  hex32(stored) + ", got " + hex32(crc));
    }
    pos_ += kChunkHeaderSize + length;
    return true;
  }

  // Checks the type sequence and joins FIRST, MIDDLE..., LAST into one payload.
  bool take(const Chunk& chunk) {
    const bool starts = chunk.type == 1 || chunk.type == 2;
    if (starts != (pending_start_ < 0)) {
      return fail(std::string("unexpected ") + chunk_type_name(chunk.type) + " chunk at offset " +
                  std::to_string(chunk.offset) +
                  (pending_start_ < 0 ? ": expected FULL or FIRST"
                                      : ": expected MIDDLE or LAST after FIRST at offset " +
                                            std::to_string(pending_start_)));
    }
    if (chunk.type == 1) {
      emit(chunk.offset, std::string(chunk.data));
    } else if (chunk.type == 2) {
      pending_start_ = chunk.offset;
      pending_.assign(chunk.data);
    } else {
      pending_.append(chunk.data);
      if (chunk.type == 4) {
        emit(pending_start_, std::move(pending_));
        pending_.clear();
        pending_start_ = -1;
      }
    }
    return true;
  }

  void emit(int64_t offset, std::string payload) {
    out_->payloads.push_back(LogPayload{offset, pos_, std::move(payload)});
    out_->valid_bytes = pos_;
  }

  std::string_view bytes_;
  int64_t size_;
  int64_t pos_ = static_cast<int64_t>(kRunFileHeader.size());
  std::string pending_;         // payload split over chunks, so far
  int64_t pending_start_ = -1;  // offset of its FIRST chunk, -1 when none
  LogContents* out_;
};

}  // namespace

void LogContents::cut_at(size_t index, std::string error) {
  if (index >= payloads.size()) return;
  valid_bytes = index == 0 ? static_cast<int64_t>(kRunFileHeader.size()) : payloads[index - 1].end;
  payloads.resize(index);
  torn_tail = true;
  tail_error = std::move(error);
}

LogContents read_log(std::string_view bytes, const std::string& what) {
  LogContents out;
  out.file_bytes = static_cast<int64_t>(bytes.size());
  if (read_header(bytes, what, &out)) ChunkWalker(bytes, &out).run();
  return out;
}

}  // namespace wandb::detail
