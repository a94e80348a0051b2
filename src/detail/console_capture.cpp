#include "detail/console_capture.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio_ext.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <new>
#include <string_view>
#include <system_error>

#include "wandb/errors.h"

namespace wandb::detail {
namespace {

using SteadyClock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;

// fds 1 and 2 are process-wide: one capture at a time. An atomic rather than
// a mutex, so that a child forked while another thread held it is not stuck.
std::atomic<bool> g_capturing{false};

// One read's worth; a pipe holds 64 KiB by default, so one read usually empties it.
constexpr std::size_t kReadSize = 64 * 1024;
// While stopping without end of file (a background child holds the pipe):
// this long without data means the pipes are drained.
constexpr auto kStopQuiet = std::chrono::milliseconds(100);

[[noreturn]] void throw_errno(const std::string& what, int code) {
  throw IoError("console capture: cannot " + what + ": " + std::strerror(code), code);
}

// Moves `fd` to a number above 2, keeping close-on-exec: with fd 0, 1 or 2
// closed at start, pipe() would hand out that slot, and the dup2 onto fds 1
// and 2 would then close our own pipe end.
int lift(int fd) {
  if (fd < 0 || fd > 2) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  const int code = errno;
  ::close(fd);
  errno = code;
  return moved;
}

void close_fd(int* fd) noexcept {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

// dup2 can fail with EBUSY while another thread is opening into `to`.
int dup2_retry(int from, int to) noexcept {
  for (int attempt = 0;; ++attempt) {
    if (::dup2(from, to) >= 0) return 0;
    if ((errno != EINTR && errno != EBUSY) || attempt >= 1000) return errno;
  }
}

template <class Stream>
void flush_quietly(Stream& stream) noexcept {
  try {
    stream.flush();
  } catch (...) {
    // A stream whose exceptions() mask reports a failed flush: it is the
    // program's to notice on its next write.
  }
}

// So that text printed before start or before stop reaches the fds it was
// meant for. iostreams first: unsynchronised ones write to the fd themselves,
// synchronised ones write into stdio's buffers.
void flush_streams() noexcept {
  flush_quietly(std::cout);
  flush_quietly(std::cerr);
  flush_quietly(std::clog);
  flush_quietly(std::wcout);
  flush_quietly(std::wcerr);
  flush_quietly(std::wclog);
  std::fflush(stdout);
  std::fflush(stderr);
}

// Writes all of it to `fd` (the original fd 1 or 2), whatever its mode.
// Failures drop the rest: the tee must not stop the reader.
void tee(int fd, const char* data, std::size_t size) noexcept {
  if (fd < 0) return;
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // A non-blocking original (its file description is shared with
      // whoever set O_NONBLOCK): wait until it takes more.
      pollfd out{fd, POLLOUT, 0};
      const int ready = ::poll(&out, 1, -1);
      if (ready < 0 && errno != EINTR) return;
      if (ready > 0 && (out.revents & (POLLERR | POLLNVAL))) return;
      continue;
    }
    return;
  }
}

// The length, at most `size`, of a prefix of `data` that does not end inside
// a UTF-8 sequence whose remaining bytes may still come; `size` itself when
// the cut would leave nothing or the tail is not UTF-8.
std::size_t utf8_cut(const char* data, std::size_t size) {
  std::size_t lead = size;
  while (lead > 0 && size - lead < 3 && (static_cast<unsigned char>(data[lead - 1]) & 0xC0) == 0x80) {
    --lead;
  }
  if (lead == 0) return size;
  --lead;
  const auto byte = static_cast<unsigned char>(data[lead]);
  const std::size_t length = byte >= 0xF8 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
  if (length > size - lead && lead > 0) return lead;
  return size;
}

int wait_ms(SteadyClock::duration duration) {
  if (duration <= SteadyClock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(duration).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, 1 << 30));
}

}  // namespace

ConsoleCapture::ConsoleCapture(Sink sink) : ConsoleCapture(std::move(sink), Options{}) {}

ConsoleCapture::ConsoleCapture(Sink sink, Options options)
    : sink_(std::move(sink)), options_(options) {
  pipes_[0].stream = Stream::kStdout;
  pipes_[0].target = STDOUT_FILENO;
  pipes_[1].stream = Stream::kStderr;
  pipes_[1].target = STDERR_FILENO;
  if (!sink_) throw ValueError("console capture: expected a sink, got an empty function");
  if (options_.max_piece < 4) {
    throw ValueError("console capture: expected max_piece of at least 4, got " +
                     std::to_string(options_.max_piece));
  }
  if (options_.partial_flush_after.count() <= 0) {
    throw ValueError("console capture: expected a positive partial_flush_after, got " +
                     std::to_string(options_.partial_flush_after.count()) + " ms");
  }
  // Longer than a year is as good as never, and keeps the clock arithmetic
  // (in nanoseconds) from overflowing.
  const std::chrono::milliseconds year = std::chrono::hours(24 * 365);
  options_.partial_flush_after = std::min(options_.partial_flush_after, year);
  options_.stop_grace = std::min(options_.stop_grace, year);
  if (options_.stop_grace.count() < 0) {
    throw ValueError("console capture: expected a stop_grace of at least 0, got " +
                     std::to_string(options_.stop_grace.count()) + " ms");
  }
  if (g_capturing.exchange(true)) {
    throw StateError("console capture: expected no other active capture, got one capturing fds 1 and 2");
  }
  try {
    start();
  } catch (...) {
    close_owned_fds();
    g_capturing = false;
    throw;
  }
  active_ = true;
}

ConsoleCapture::~ConsoleCapture() { stop(); }

void ConsoleCapture::start() {
  owner_ = ::getpid();
  // Look at both targets before any pipe exists: a pipe may take a closed slot.
  for (Pipe& pipe : pipes_) {
    const int flags = ::fcntl(pipe.target, F_GETFD);
    if (flags < 0) {
      if (errno != EBADF) throw_errno("inspect fd " + std::to_string(pipe.target), errno);
      continue;  // closed: captured all the same, closed again at stop
    }
    pipe.saved_flags = flags;
    pipe.saved = ::fcntl(pipe.target, F_DUPFD_CLOEXEC, 3);
    if (pipe.saved < 0) throw_errno("duplicate fd " + std::to_string(pipe.target), errno);
  }
  for (Pipe& pipe : pipes_) {
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) throw_errno("create a pipe", errno);
    pipe.read_end = ends[0];
    pipe.write_end = ends[1];
    pipe.read_end = lift(pipe.read_end);
    if (pipe.read_end < 0) throw_errno("duplicate a pipe end", errno);
    pipe.write_end = lift(pipe.write_end);
    if (pipe.write_end < 0) throw_errno("duplicate a pipe end", errno);
    // Only our end: the writers' end stays blocking, as programs expect of fd 1.
    if (::fcntl(pipe.read_end, F_SETFL, ::fcntl(pipe.read_end, F_GETFL) | O_NONBLOCK) != 0) {
      throw_errno("make a pipe non-blocking", errno);
    }
  }
  buffer_ = std::make_unique<char[]>(kReadSize);
  wake_ = lift(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (wake_ < 0) throw_errno("create an eventfd", errno);
  try {
    thread_ = std::thread(&ConsoleCapture::run, this);
    reader_id_ = thread_.get_id();  // before any sink call: no text until the dup2 below
  } catch (const std::system_error& e) {
    throw_errno("start a thread", e.code().value());
  }

  flush_streams();
  // stdio picks stdout's buffering at its first output, from isatty(1): a
  // program that starts the capture before printing anything would otherwise
  // get a fully buffered stdout (a pipe), and its terminal would see printf
  // lines in bursts. A buffer not allocated yet means no output yet, when
  // setvbuf is still allowed.
  if (pipes_[0].saved >= 0 && ::isatty(pipes_[0].saved) && __fbufsize(stdout) == 0) {
    std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
  }
  int failed = 0;
  int code = 0;
  for (; failed < 2; ++failed) {
    code = dup2_retry(pipes_[failed].write_end, pipes_[failed].target);
    if (code != 0) break;
  }
  for (int i = 0; failed < 2 && i < failed; ++i) put_back(pipes_[i]);
  // From here fds 1 and 2 hold the only write ends (in this process): once
  // they are put back, the reader sees end of file.
  for (Pipe& pipe : pipes_) close_fd(&pipe.write_end);
  if (failed < 2) {
    const std::uint64_t one = 1;
    (void)!::write(wake_, &one, sizeof(one));
    thread_.join();
    throw_errno("redirect fd " + std::to_string(pipes_[failed].target), code);
  }
}

void ConsoleCapture::put_back(const Pipe& pipe) noexcept {
  if (pipe.saved >= 0) {
    dup2_retry(pipe.saved, pipe.target);
    // dup2 clears FD_CLOEXEC; the original may have had it.
    if (pipe.saved_flags & FD_CLOEXEC) ::fcntl(pipe.target, F_SETFD, pipe.saved_flags);
  } else {
    ::close(pipe.target);
  }
}

void ConsoleCapture::restore_fds() noexcept {
  flush_streams();
  for (const Pipe& pipe : pipes_) put_back(pipe);
}

void ConsoleCapture::close_owned_fds() noexcept {
  for (Pipe& pipe : pipes_) {
    close_fd(&pipe.saved);
    close_fd(&pipe.read_end);
    close_fd(&pipe.write_end);
  }
  close_fd(&wake_);
}

std::exception_ptr ConsoleCapture::stop() noexcept {
  // From the sink, joining would wait for itself.
  if (std::this_thread::get_id() == reader_id_) return error();
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (!active_) return error();
  if (::getpid() != owner_) {
    // A forked child: the reader thread lives in the parent only. The
    // std::thread object must neither be joined nor destroyed (joinable:
    // std::terminate); it is moved into storage that is never destroyed.
    restore_fds();
    close_owned_fds();
    alignas(std::thread) static unsigned char orphan[sizeof(std::thread)];
    new (orphan) std::thread(std::move(thread_));
    active_ = false;
    g_capturing = false;
    return error_;  // no lock: a parent thread may have held it at fork time
  }
  restore_fds();
  const std::uint64_t one = 1;
  (void)!::write(wake_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  close_owned_fds();
  active_ = false;
  g_capturing = false;
  return error();
}

std::exception_ptr ConsoleCapture::error() const {
  std::lock_guard<std::mutex> lock(error_mutex_);
  return error_;
}

void ConsoleCapture::emit(Stream stream, std::string_view text, SystemClock::time_point when) noexcept {
  if (sink_failed_ || text.empty()) return;
  try {
    sink_(stream, std::string(text), when);
  } catch (...) {
    sink_failed_ = true;
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (!error_) error_ = std::current_exception();
  }
}

void ConsoleCapture::run() noexcept {
  struct State {
    const Pipe* pipe = nullptr;
    bool open = true;
    std::string pending;          // bytes read, not yet passed to the sink
    SteadyClock::time_point since;  // when the oldest pending byte was read
    SystemClock::time_point last;   // when the newest pending byte was read
  };
  State states[2];
  states[0].pipe = &pipes_[0];
  states[1].pipe = &pipes_[1];
  const std::size_t max_piece = options_.max_piece;

  auto flush_all = [&](State& s) {
    emit(s.pipe->stream, s.pending, s.last);
    s.pending.clear();
  };
  // Passes on complete lines and pieces of max_piece bytes.
  auto feed = [&](State& s, const char* data, std::size_t size, SteadyClock::time_point now,
                  SystemClock::time_point when) {
    if (s.pending.empty()) s.since = now;
    std::size_t scan = s.pending.size();
    s.pending.append(data, size);
    s.last = when;
    std::size_t start = 0;
    for (;;) {
      const std::size_t newline = s.pending.find('\n', scan);
      const bool complete = newline != std::string::npos;
      const std::size_t end = complete ? newline + 1 : s.pending.size();
      // A complete line may be exactly max_piece long; a partial one that
      // long goes out now, as it cannot grow into a valid piece.
      while (end - start > max_piece || (!complete && end - start == max_piece)) {
        const std::size_t cut = utf8_cut(s.pending.data() + start, max_piece);
        emit(s.pipe->stream, std::string_view(s.pending).substr(start, cut), when);
        start += cut;
      }
      if (!complete) break;
      emit(s.pipe->stream, std::string_view(s.pending).substr(start, end - start), when);
      start = end;
      scan = end;
    }
    if (start > 0) {
      s.pending.erase(0, start);
      // What remains came with this read.
      s.since = now;
    }
  };

  bool stopping = false;
  SteadyClock::time_point deadline{};
  SteadyClock::time_point last_data{};
  std::size_t owed[2] = {0, 0};  // bytes that were in each pipe when stopping began
  for (;;) {
    auto now = SteadyClock::now();
    int timeout = -1;
    for (State& s : states) {
      if (s.pending.empty()) continue;
      if (sink_failed_) {
        s.pending.clear();
        continue;
      }
      if (now - s.since >= options_.partial_flush_after) {
        // Too old to wait for its newline; an incomplete UTF-8 sequence at
        // its end waits another period for the rest.
        const std::size_t cut = utf8_cut(s.pending.data(), s.pending.size());
        emit(s.pipe->stream, std::string_view(s.pending).substr(0, cut), s.last);
        s.pending.erase(0, cut);
        s.since = now;
        if (s.pending.empty()) continue;
      }
      const int wait = wait_ms(s.since + options_.partial_flush_after - now);
      timeout = timeout < 0 ? wait : std::min(timeout, wait);
    }
    if (stopping) {
      if (!states[0].open && !states[1].open) break;
      // Past the grace period, once what was in the pipes when stop() put
      // the fds back has been read (a background child may still write).
      if (now >= deadline && owed[0] == 0 && owed[1] == 0) break;
      const int wait = wait_ms(std::min(deadline, last_data + kStopQuiet) - now);
      timeout = timeout < 0 ? wait : std::min(timeout, wait);
    }

    pollfd fds[3] = {{states[0].open ? states[0].pipe->read_end : -1, POLLIN, 0},
                     {states[1].open ? states[1].pipe->read_end : -1, POLLIN, 0},
                     {stopping ? -1 : wake_, POLLIN, 0}};
    const int ready = ::poll(fds, 3, timeout);
    now = SteadyClock::now();
    if (ready == 0 && stopping && now - last_data >= kStopQuiet) break;  // drained, quiet
    if (ready <= 0) continue;  // a timeout, EINTR or a transient ENOMEM: look again
    if (fds[2].revents != 0) {
      std::uint64_t count;
      (void)!::read(wake_, &count, sizeof(count));
      stopping = true;
      deadline = now + options_.stop_grace;
      last_data = now;
      for (int i = 0; i < 2; ++i) {
        int queued = 0;
        if (states[i].open && ::ioctl(states[i].pipe->read_end, FIONREAD, &queued) == 0 && queued > 0) {
          owed[i] = static_cast<std::size_t>(queued);
        }
      }
    }
    for (int i = 0; i < 2; ++i) {
      State& s = states[i];
      if (!s.open || fds[i].revents == 0) continue;
      const ssize_t n = ::read(s.pipe->read_end, buffer_.get(), kReadSize);
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) {
        // End of file: no process holds fd 1 (or 2) of this pipe any more.
        s.open = false;
        owed[i] = 0;
        flush_all(s);
        continue;
      }
      const auto when = SystemClock::now();
      last_data = now;
      owed[i] -= std::min(owed[i], static_cast<std::size_t>(n));
      tee(s.pipe->saved, buffer_.get(), static_cast<std::size_t>(n));
      if (sink_failed_) continue;
      try {
        feed(s, buffer_.get(), static_cast<std::size_t>(n), now, when);
      } catch (...) {
        // Out of memory for a line buffer: give up on the sink, keep the tee.
        sink_failed_ = true;
        s.pending.clear();
        std::lock_guard<std::mutex> lock(error_mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }
  for (State& s : states) flush_all(s);
}

}  // namespace wandb::detail
