#include "detail/log_writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "detail/file_io.h"
#include "detail/log_format.h"
#include "detail/log_reader.h"
#include "wandb/errors.h"

namespace wandb::detail {
namespace {

// Writes all of `bytes` at `offset`, retrying short writes; returns errno, or 0.
int pwrite_all(int fd, std::string_view bytes, int64_t offset, size_t* written) {
  *written = 0;
  while (*written < bytes.size()) {
    const ssize_t n = ::pwrite(fd, bytes.data() + *written, bytes.size() - *written,
                               static_cast<off_t>(offset + static_cast<int64_t>(*written)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;  // no progress and no errno: never loop forever
    *written += static_cast<size_t>(n);
  }
  return 0;
}

void put_chunk(std::string* out, ChunkType type, std::string_view part) {
  const uint32_t crc = chunk_crc(type, part);
  const auto length = static_cast<uint16_t>(part.size());
  const char header[kChunkHeaderSize] = {static_cast<char>(crc & 0xff),
                                         static_cast<char>((crc >> 8) & 0xff),
                                         static_cast<char>((crc >> 16) & 0xff),
                                         static_cast<char>((crc >> 24) & 0xff),
                                         static_cast<char>(length & 0xff),
                                         static_cast<char>((length >> 8) & 0xff),
                                         static_cast<char>(type)};
  out->append(header, sizeof(header));
  out->append(part);
}

}  // namespace

std::string encode_chunks(int64_t offset, std::string_view payload) {
  if (offset < static_cast<int64_t>(kRunFileHeader.size())) {
    throw ValueError("encode_chunks: expected an offset of at least 7, got " +
                     std::to_string(offset));
  }
  constexpr int64_t kData = kRunFileBlockSize - kChunkHeaderSize;
  std::string out;
  out.reserve(payload.size() +
              static_cast<size_t>(kChunkHeaderSize) * (payload.size() / kData + 3));
  const int64_t padding = chunk_padding(offset);
  out.append(static_cast<size_t>(padding), '\0');
  const int64_t left = kRunFileBlockSize - (offset + padding) % kRunFileBlockSize;
  const auto size = static_cast<int64_t>(payload.size());
  if (size + kChunkHeaderSize <= left) {
    put_chunk(&out, ChunkType::kFull, payload);
    return out;
  }
  // As the SDK does: FIRST fills the block (it may carry no data when exactly
  // 7 bytes are left), MIDDLEs fill whole blocks, LAST takes the rest.
  int64_t used = left - kChunkHeaderSize;
  put_chunk(&out, ChunkType::kFirst, payload.substr(0, static_cast<size_t>(used)));
  while (size - used > kData) {
    put_chunk(&out, ChunkType::kMiddle, payload.substr(static_cast<size_t>(used), kData));
    used += kData;
  }
  put_chunk(&out, ChunkType::kLast, payload.substr(static_cast<size_t>(used)));
  return out;
}

RunFileWriter::RunFileWriter(std::string path, Mode mode, PayloadCheck check)
    : path_(std::move(path)) {
  // O_EXCL first, to know whether this writer created the file.
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ >= 0) {
    created_ = true;
  } else if (errno == EEXIST) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
  }
  if (fd_ < 0) throw_io_error("open file", path_, errno);
  try {
    prepare(mode, check);
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    if (created_) ::unlink(path_.c_str());
    throw;
  }
}

RunFileWriter::~RunFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void RunFileWriter::prepare(Mode mode, PayloadCheck check) {
  // Two writers interleaving chunks would corrupt the file.
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    const int err = errno;
    throw IoError("cannot lock file " + path_ + ": expected no other writer, got one (" +
                      std::strerror(err) + ")",
                  err);
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw_io_error("stat file", path_, errno);
  if (st.st_size > 0 && mode == Mode::kCreate) {
    throw IoError("refusing to overwrite " + path_ + ": expected an empty or absent file, got " +
                      std::to_string(st.st_size) + " bytes",
                  EEXIST);
  }
  if (st.st_size > 0) cut_damaged_tail(check);
  if (size_ == 0) write_locked(std::string(kRunFileHeader));
}

void RunFileWriter::cut_damaged_tail(PayloadCheck check) {
  // ValueError for a foreign file, which is left alone.
  LogContents log = read_log(read_whole_file<std::string>(path_), path_);
  for (size_t i = 0; check && i < log.payloads.size(); ++i) {
    if (!check(log.payloads[i].bytes)) {
      log.cut_at(i, "payload refused");
      break;
    }
  }
  if (log.valid_bytes < log.file_bytes) {
    if (::ftruncate(fd_, static_cast<off_t>(log.valid_bytes)) != 0) {
      const int err = errno;
      throw IoError("cannot truncate file " + path_ + " to its last complete record at " +
                        std::to_string(log.valid_bytes) + " bytes: " + std::strerror(err),
                    err);
    }
    dropped_bytes_ = log.file_bytes - log.valid_bytes;
  }
  size_ = log.valid_bytes;
}

void RunFileWriter::check_open_locked(const char* what) const {
  if (fd_ < 0) {
    throw StateError(std::string("cannot ") + what + " run file " + path_ +
                     ": expected an open writer, got a closed one");
  }
}

void RunFileWriter::write_locked(const std::string& bytes) {
  if (truncate_pending_) {
    // A failed write left bytes that could not be cut off then: cut them now,
    // or a shorter append would leave some of them behind it.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      const int err = errno;
      throw IoError("cannot truncate file " + path_ + " back to " + std::to_string(size_) +
                        " bytes after a failed write: " + std::strerror(err),
                    err);
    }
    truncate_pending_ = false;
  }
  size_t written = 0;
  const int err = pwrite_all(fd_, bytes, size_, &written);
  if (err != 0) {
    std::string message = "cannot write file " + path_ + ": " + std::strerror(err) + " (wrote " +
                          std::to_string(written) + " of " + std::to_string(bytes.size()) +
                          " bytes at offset " + std::to_string(size_) + ")";
    // Never leave part of a chunk behind: cut back to the last complete payload.
    if (written > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      truncate_pending_ = true;
      message += "; truncating back to " + std::to_string(size_) +
                 " bytes failed: " + std::strerror(errno);
    }
    throw IoError(message, err);
  }
  size_ += static_cast<int64_t>(bytes.size());
}

int64_t RunFileWriter::write_chunks_locked(const std::string& bytes) {
  if (bytes.empty()) return size_;
  const int64_t first = size_ + chunk_padding(size_);
  write_locked(bytes);
  return first;
}

int64_t RunFileWriter::append(std::string_view payload) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_open_locked("append to");
  return write_chunks_locked(encode_chunks(size_, payload));
}

int64_t RunFileWriter::append_all(const std::vector<std::string>& payloads) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_open_locked("append to");
  std::string bytes;
  for (const std::string& payload : payloads) {
    bytes += encode_chunks(size_ + static_cast<int64_t>(bytes.size()), payload);
  }
  return write_chunks_locked(bytes);
}

void RunFileWriter::sync() {
  std::lock_guard<std::mutex> lock(mutex_);
  check_open_locked("sync");
  if (::fsync(fd_) != 0) throw_io_error("sync file", path_, errno);
  if (created_ && !dir_synced_) {
    // A new file's directory entry is only durable once its folder is synced.
    std::filesystem::path dir = std::filesystem::path(path_).parent_path();
    if (dir.empty()) dir = ".";
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) throw_io_error("open folder", dir, errno);
    // Some file systems cannot sync a folder (EINVAL); the file itself is synced.
    if (::fsync(dir_fd) != 0 && errno != EINVAL) {
      const int err = errno;
      ::close(dir_fd);
      throw_io_error("sync folder", dir, err);
    }
    ::close(dir_fd);
    dir_synced_ = true;
  }
}

void RunFileWriter::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ < 0) return;
  const int fd = fd_;
  fd_ = -1;  // released even when close reports an error
  if (::close(fd) != 0) throw_io_error("close file", path_, errno);
}

bool RunFileWriter::is_open() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fd_ >= 0;
}

int64_t RunFileWriter::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return size_;
}

}  // namespace wandb::detail
