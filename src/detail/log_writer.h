// Writing the framing of a `.wandb` run file: the header, then each payload
// (a serialised record, opaque here) as chunks laid out by log_format.h.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace wandb::detail {

/// The bytes that put `payload` into a file currently `offset` bytes long:
/// zero padding when fewer than 7 bytes remain in the block, then a FULL
/// chunk, or FIRST, MIDDLE..., LAST when the payload does not fit. `offset`
/// must be at least the header size (ValueError otherwise).
std::string encode_chunks(int64_t offset, std::string_view payload);

/// Appends payloads to a `.wandb` file.
///
/// Every append issues one pwrite of the payloads' complete chunks (padding
/// included) straight to the OS, so a process killed at any moment leaves a
/// file whose complete payloads all read back; at most the tail is torn. A
/// failed or short write (disk full) truncates the file back to its last good
/// size before throwing IoError. sync() adds fsync for machine crashes.
///
/// Thread-safe: appends from several threads are serialised by an internal
/// mutex, each append's chunks staying contiguous. The file is flock'ed so a
/// second writer fails to open it.
class RunFileWriter {
 public:
  enum class Mode {
    /// Create the file, or take an empty one; refuse a non-empty file.
    kCreate,
    /// Continue an existing file (creating it when absent or empty). The
    /// header must be valid (ValueError otherwise); a torn or corrupt tail is
    /// cut off at the end of the last complete payload (see dropped_bytes()).
    kAppend,
  };

  /// Tells whether a complete payload is one the caller can read back.
  using PayloadCheck = bool (*)(std::string_view payload);

  /// Opens `path` and writes the header when the file is new or empty.
  /// Throws IoError (with errno) when the file cannot be opened or written,
  /// and IoError(EEXIST) for a non-empty file in Mode::kCreate. In
  /// Mode::kAppend, the first payload that `check` (when given) refuses counts
  /// as damage too: appending after it would hide the new payloads from a
  /// reader that stops there.
  explicit RunFileWriter(std::string path, Mode mode = Mode::kCreate,
                         PayloadCheck check = nullptr);
  /// Closes the file without syncing; close errors are ignored here.
  ~RunFileWriter();
  RunFileWriter(const RunFileWriter&) = delete;
  RunFileWriter& operator=(const RunFileWriter&) = delete;

  /// Writes one payload; returns the file offset of its first chunk.
  int64_t append(std::string_view payload);
  /// Writes several payloads with a single write; after a write error none of
  /// them is kept. Returns the offset of the first payload's first chunk
  /// (size() when empty).
  int64_t append_all(const std::vector<std::string>& payloads);

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
  void prepare(Mode mode, PayloadCheck check);  // lock, check, header
  void cut_damaged_tail(PayloadCheck check);
  int64_t write_chunks_locked(const std::string& bytes);
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
