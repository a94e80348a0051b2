// Writing the `.wandb` run file: a 7-byte header, then each serialised
// wandb_internal.Record as LevelDB-log chunks (SEMANTICS.md §9). Also the
// protobuf-facing half of the reader, for the library and its tests.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "wandb/json.h"
#include "wandb_internal.pb.h"

namespace wandb::detail {

/// The file header: ":W&B", 0xBEE1 little-endian, version 0.
inline constexpr std::string_view kRunFileHeader{"\x3A\x57\x26\x42\xE1\xBE\x00", 7};
/// Chunks never straddle these blocks, counted from file offset 0.
inline constexpr int64_t kRunFileBlockSize = 32768;
/// crc32 (u32 LE) | length (u16 LE) | type (u8).
inline constexpr int64_t kChunkHeaderSize = 7;

enum class ChunkType : uint8_t { kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };

/// Zero bytes that come before a chunk written at `offset`: the rest of the
/// block when fewer than 7 bytes remain in it, else none.
int64_t chunk_padding(int64_t offset);

/// The bytes that put `payload` into a file currently `offset` bytes long:
/// zero padding when fewer than 7 bytes remain in the block, then a FULL
/// chunk, or FIRST, MIDDLE..., LAST when the payload does not fit. `offset`
/// must be at least the header size.
std::string encode_chunks(int64_t offset, std::string_view payload);

/// zlib crc32 over the type byte followed by the payload (not masked).
uint32_t chunk_crc(ChunkType type, std::string_view payload);

/// Serialises `record`; throws ValueError when protobuf cannot (over 2 GiB).
std::string serialize_record(const wandb_internal::Record& record);

/// Parses a payload; false when the bytes are not a Record.
bool parse_record(std::string_view payload, wandb_internal::Record* record);

/// The record's kind: the name of its `record_type` field ("header", "run",
/// "history", ...), "control" when only `control` is set, else "unknown".
std::string record_kind(const wandb_internal::Record& record);

/// JSON rendering of any message: fields in field-number order with their
/// .proto names, only the ones set; integers (also 64-bit) as numbers, enums
/// by name, strings (value_json too) as strings; the Record's `num` is always
/// present. Field numbers this schema lacks go to "unknown_fields".
Json message_to_json(const google::protobuf::Message& message);

/// Appends records to a `.wandb` file.
///
/// Every append issues one pwrite of the record's complete chunks (padding
/// included) straight to the OS, so a process killed at any moment leaves a
/// file whose complete records all read back; at most the tail is torn. A
/// failed or short write (disk full) truncates the file back to its last good
/// size before throwing IoError. sync() adds fsync for machine crashes.
///
/// Thread-safe: appends from several threads are serialised by an internal
/// mutex, each record's chunks staying contiguous. The caller assigns
/// Record.num. The file is flock'ed so a second writer fails to open it.
class RunFileWriter {
 public:
  enum class Mode {
    /// Create the file, or take an empty one; refuse a non-empty file.
    kCreate,
    /// Continue an existing file (creating it when absent or empty). The
    /// header must be valid (ValueError otherwise); a torn or corrupt tail is
    /// cut off at the end of the last complete record (see dropped_bytes()).
    kAppend,
  };

  /// Opens `path` and writes the header when the file is new or empty.
  /// Throws IoError (with errno) when the file cannot be opened or written,
  /// and IoError(EEXIST) for a non-empty file in Mode::kCreate.
  explicit RunFileWriter(std::string path, Mode mode = Mode::kCreate);
  /// Closes the file without syncing; close errors are ignored here.
  ~RunFileWriter();
  RunFileWriter(const RunFileWriter&) = delete;
  RunFileWriter& operator=(const RunFileWriter&) = delete;

  /// Writes one record; returns the file offset of its first chunk.
  int64_t append(const wandb_internal::Record& record);
  /// Writes several records with a single write; after a write error none of
  /// them is kept.
  /// Returns the offset of the first record's first chunk (size() when empty).
  int64_t append_all(const std::vector<wandb_internal::Record>& records);

  /// fsync of the file (and, once, of the folder that holds a new file).
  void sync();
  /// Closes the file; later calls throw StateError. Idempotent.
  void close();
  bool is_open() const;

  /// Bytes in the file: the header plus every chunk written so far.
  int64_t size() const;
  const std::string& path() const noexcept { return path_; }
  /// Bytes of a damaged tail that Mode::kAppend cut off when opening.
  int64_t dropped_bytes() const noexcept { return dropped_bytes_; }

 private:
  int64_t append_payloads(const std::vector<std::string>& payloads);
  void write_locked(const std::string& bytes);
  void check_open_locked(const char* what) const;

  std::string path_;
  mutable std::mutex mutex_;
  int fd_ = -1;
  int64_t size_ = 0;
  int64_t dropped_bytes_ = 0;
  bool created_ = false;
  bool dir_synced_ = false;
  bool truncate_pending_ = false;  // a failed write's bytes are still past size_
};

}  // namespace wandb::detail
