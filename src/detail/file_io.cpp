#include "detail/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "wandb/errors.h"

namespace fs = std::filesystem;

namespace wandb::detail {

void throw_io_error(const std::string& what, const fs::path& path, int code) {
  throw IoError("cannot " + what + " " + path.string() + ": " + std::strerror(code), code);
}

bool write_fully(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      return false;
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

namespace {

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a pipe";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

template <class Buffer>
Buffer read_whole_file(const std::string& path, std::size_t max_bytes) {
  // O_NONBLOCK: opening a pipe with no writer must not hang before the check.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw_io_error("open file", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int code = errno;
    ::close(fd);
    throw_io_error("read file", path, code);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError("cannot read file " + path + ": expected a regular file, got " + file_kind(st.st_mode),
                  S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
  }
  const auto too_large = [&](std::size_t got) {
    ::close(fd);
    return IoError("cannot read file " + path + ": expected at most " + std::to_string(max_bytes) +
                       " bytes, got " + std::to_string(got),
                   EFBIG);
  };
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) throw too_large(static_cast<std::size_t>(st.st_size));
  Buffer bytes;
  bytes.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int code = errno;
      ::close(fd);
      throw_io_error("read file", path, code);
    }
    if (n == 0) break;
    // The file may grow while it is read.
    if (bytes.size() + static_cast<std::size_t>(n) > max_bytes) throw too_large(bytes.size() + static_cast<std::size_t>(n));
    bytes.insert(bytes.end(), buf, buf + n);
  }
  ::close(fd);
  return bytes;
}

template std::string read_whole_file<std::string>(const std::string& path, std::size_t max_bytes);
template std::vector<uint8_t> read_whole_file<std::vector<uint8_t>>(const std::string& path,
                                                                  std::size_t max_bytes);

namespace {

std::string random_suffix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s(12, 'x');
  for (char& c : s) c = kChars[rng() % 36];
  return s;
}

// Runs `open_in(folder)`; when the folder is missing, creates it and retries.
// Folders are only created below `base` (when given), which must still exist:
// a run folder that was removed is not made again.
// With `sync`, the folder and each one created are added to it.
template <class Open>
int open_creating_folder(const fs::path& folder, const fs::path& base, FolderSync* sync, Open open_in) {
  if (sync) sync->add(folder);
  int fd = open_in();
  if (fd < 0 && errno == ENOENT) {
    std::error_code ec;
    if (!base.empty() && !fs::is_directory(base, ec)) {
      throw IoError("cannot create folder " + folder.string() + ": expected the folder it belongs in, " +
                        base.string() + ", to exist, got none (removed?)",
                    ENOENT);
    }
    fs::path missing = folder;  // the new folders' entries live in their parents
    while (sync && missing.has_parent_path() && !fs::exists(missing, ec)) {
      missing = missing.parent_path();
      sync->add(missing);
    }
    fs::create_directories(folder, ec);
    if (ec) throw_io_error("create folder", folder, ec.value());
    fd = open_in();
  }
  return fd;
}

// The file is written unnamed (O_TMPFILE) and linked in whole: one change to
// the folder instead of create + rename, nothing left behind by a crash. An
// existing file is kept. Returns false when the file system or the kernel
// cannot do this (the caller falls back to a named temporary file).
bool write_new_file_linked(const fs::path& path, const void* data, std::size_t size,
                           const fs::path& base, FolderSync* sync) {
#ifdef O_TMPFILE
  const fs::path folder = path.parent_path();
  const int fd = open_creating_folder(
      folder, base, sync, [&] { return ::open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644); });
  if (fd < 0) {
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) return false;
    throw_io_error("create a file in", folder, errno);
  }
  if (!write_fully(fd, data, size) || (sync && ::fdatasync(fd) != 0)) {
    const int code = errno;
    ::close(fd);
    throw_io_error("write file", path, code);
  }
  const std::string proc_path = "/proc/self/fd/" + std::to_string(fd);
  const int linked = ::linkat(AT_FDCWD, proc_path.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW);
  const int code = errno;
  ::close(fd);
  if (linked == 0 || code == EEXIST) return true;
  // No /proc, or a file system that refuses the link: use the named temporary.
  if (code == ENOENT || code == EPERM || code == EXDEV || code == EOPNOTSUPP) return false;
  throw_io_error("link file", path, code);
#else
  (void)path, (void)data, (void)size, (void)base, (void)sync;
  return false;
#endif
}

}  // namespace

void FolderSync::sync() {
  for (const fs::path& folder : folders_) {
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_io_error("sync folder", folder, errno);
    const int synced = ::fsync(fd);
    const int code = errno;
    ::close(fd);
    if (synced != 0 && code != EINVAL) throw_io_error("sync folder", folder, code);
  }
  folders_.clear();
}

void write_file_atomic(const fs::path& path, const void* data, std::size_t size, Existing existing,
                       const fs::path& base, FolderSync* sync) {
  if (existing == Existing::kKeep) {
    std::error_code ec;
    if (fs::exists(path, ec)) return;
    if (write_new_file_linked(path, data, size, base, sync)) return;
  }
  const fs::path folder = path.parent_path();
  std::string tmp_name(1, '.');  // hidden, and unique in the folder
  tmp_name.append(path.filename().string()).append(".").append(random_suffix()).append(".tmp");
  const fs::path tmp = folder / tmp_name;
  const int fd = open_creating_folder(
      folder, base, sync, [&] { return ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644); });
  if (fd < 0) throw_io_error("create file", tmp, errno);
  if (!write_fully(fd, data, size) || (sync && ::fdatasync(fd) != 0)) {
    const int code = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw_io_error("write file", path, code);
  }
  if (::close(fd) != 0) {
    const int code = errno;
    ::unlink(tmp.c_str());
    throw_io_error("write file", path, code);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int code = errno;
    ::unlink(tmp.c_str());
    throw_io_error("rename into", path, code);
  }
}

}  // namespace wandb::detail
