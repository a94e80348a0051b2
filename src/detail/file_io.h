// File I/O shared by the run, the run file and the codecs: whole-file reads,
// complete writes, atomic file creation and their IoError messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

namespace wandb::detail {

/// Throws IoError("cannot <what> <path>: <strerror(code)>", code).
[[noreturn]] void throw_io_error(const std::string& what, const std::filesystem::path& path, int code);

/// Writes all of `data` to `fd`, retrying short writes and EINTR. Returns false
/// with errno set on failure (ENOSPC when the kernel accepts nothing).
bool write_fully(int fd, const void* data, std::size_t size);

/// Largest image or mask file read (1 GiB): larger ones are refused before
/// anything is read.
inline constexpr std::size_t kMaxImageFileBytes = std::size_t{1} << 30;

/// The whole file, as a std::string or a std::vector<uint8_t>. Only regular
/// files are read: a folder, device, pipe or socket is refused (IoError with
/// EISDIR or EINVAL: /dev/zero would never end), and so is a file of more than
/// `max_bytes` (IoError with EFBIG). IoError when it cannot be opened or read.
template <class Buffer>
Buffer read_whole_file(const std::string& path, std::size_t max_bytes = SIZE_MAX);

/// What write_file_atomic does when `path` already exists.
enum class Existing {
  kReplace,  ///< replace it
  kKeep,     ///< keep it (content-addressed names: it holds the same bytes)
};

/// Folders whose new entries must reach the disk before something that names
/// them does: write_file_atomic adds them, sync() flushes them.
class FolderSync {
 public:
  void add(const std::filesystem::path& folder) { folders_.insert(folder); }
  bool empty() const noexcept { return folders_.empty(); }
  /// fsync()s each folder added since the last call (a file system that cannot
  /// sync a folder, EINVAL, is skipped); IoError on a failure.
  void sync();

 private:
  std::set<std::filesystem::path> folders_;
};

/// Writes `data` to `path` so that the file appears whole or not at all,
/// creating folders (only below `base` when it is given, and only while
/// `base` exists: IoError ENOENT otherwise): through an unnamed file linked in (O_TMPFILE) for kKeep
/// where the kernel and file system allow, else through a named temporary file
/// in the same folder and a rename. Nothing is left behind on failure (IoError).
/// With `sync`, the data reaches the disk (fdatasync) before the name appears,
/// and the folder (and each folder created for it) is added to `sync`.
void write_file_atomic(const std::filesystem::path& path, const void* data, std::size_t size,
                       Existing existing = Existing::kReplace, const std::filesystem::path& base = {},
                       FolderSync* sync = nullptr);

}  // namespace wandb::detail
