// Capturing a process's console output (fds 1 and 2) for a run's Logs tab,
// while still printing it where it went before ("tee").
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace wandb::detail {

/// Captures everything written to file descriptors 1 and 2 — printf,
/// std::cout, write(2), C libraries, child processes that inherit the fds —
/// passes it on to the original fds unchanged and hands it, line by line, to a
/// sink.
///
/// How: the constructor flushes C stdio and the standard iostreams, keeps a
/// duplicate of the original fds 1 and 2, and puts the write end of one pipe
/// per stream onto fd 1 and fd 2. One reader thread poll()s both pipes; each
/// read is first written whole to the original fd (short writes, EINTR and
/// EAGAIN on a non-blocking original are retried), then cut into pieces for
/// the sink. Every fd the capture owns is close-on-exec; only fds 1 and 2
/// reach exec'd children.
///
/// Pieces: the sink gets one call per complete line, the text ending with its
/// "\n" (a "\r" is passed through as any other byte: progress bars are the
/// sink's to interpret). Text without a newline yet is held, per stream, until
/// its newline arrives, or until its oldest byte has waited
/// Options::partial_flush_after, or until it reaches Options::max_piece
/// bytes, or until stop() or end of file: then it goes out as a piece without
/// "\n". A line longer than max_piece arrives as several pieces, the last one
/// ending with "\n". A piece cut for its age or size never ends inside a
/// UTF-8 sequence when the bytes are valid UTF-8 (the incomplete sequence
/// stays for the next piece); the bytes are otherwise passed on as they are,
/// valid UTF-8 or not. stdout and stderr are buffered separately; the order of
/// pieces between the two streams is the order in which the reader happened
/// to read them, not necessarily the order of the writes.
///
/// `when` is the time the read() that delivered the piece's last byte
/// returned (system_clock): the same for all pieces of one read, never
/// decreasing along one stream unless the system clock is set back.
///
/// The sink runs on the capture thread, one call at a time, from the
/// constructor until stop() returns and never after. It must be cheap (the
/// pipes fill, and every writer blocks, while it runs) and must not write to
/// fd 1 or 2 — not even through std::cout or a logging library: that text
/// would come back to the sink, over and over, and a write that fills the
/// pipe while the sink waits for it blocks the capture forever. This is not
/// detected. A sink that throws is not called again; the tee goes on and the
/// first exception is kept for stop() and error() (so is a std::bad_alloc
/// from the capture's own line buffers, which ends the sink calls the same
/// way).
///
/// Only one capture may be active in a process at a time (fds 1 and 2 are
/// process-wide): constructing a second one before the first is stopped
/// throws StateError.
///
/// An original fd 1 or 2 that is closed at start (a daemon) is captured all
/// the same; the tee skips it, and stop() closes it again. A tee write that
/// fails (a full disk, a closed pipe reader) drops that chunk for the
/// original and goes on; the signal disposition applies as it would have to
/// the program's own write, so with SIGPIPE not ignored a closed pipe reader
/// (`prog | head`) ends the process just as without the capture. A tee write
/// to an original that never becomes writable (a suspended terminal) blocks
/// the reader, then every writer, as it would have blocked the writer itself.
///
/// What a crash costs: the reader tees and passes on each read at once, so a
/// process killed without unwinding (SIGKILL, abort) loses only what was
/// still in the pipes, unread (at most a pipe's capacity, 64 KiB per stream
/// on Linux by default), plus, for the sink only, the partial lines held for
/// their newline. Output still in a stdio or iostream buffer at that moment
/// is lost with or without the capture.
///
/// stdout's buffering: stdio chooses it at the first output, line-buffered
/// for a terminal. When nothing has been printed to stdout yet and the
/// original fd 1 is a terminal, the constructor makes stdout line-buffered,
/// as it would have been without the capture (it would otherwise see a pipe
/// and buffer fully).
///
/// Threads: the constructor and stop() flush std::cout, std::cerr and
/// std::clog (and the wide ones); with sync_with_stdio(false), another thread
/// writing to those streams at that moment is a data race, as any two
/// unsynchronised users of one stream are. Other members are thread-safe.
///
/// fork(): a child forked without exec shares the pipes (its output is
/// captured by the parent). A ConsoleCapture copied into such a child by fork
/// has no reader thread there: stop() (or the destructor) in the child only
/// restores the child's fds 1 and 2 and closes its copies of the pipes.
class ConsoleCapture {
 public:
  /// The stream a piece came from; the numbers are the W&B SDK's
  /// OutputRawRecord output_type values.
  enum class Stream { kStderr = 0, kStdout = 1 };

  using Sink = std::function<void(Stream stream, std::string text,
                                  std::chrono::system_clock::time_point when)>;

  struct Options {
    /// A partial line (no "\n" yet) whose oldest byte has waited this long is
    /// passed to the sink as it is.
    /// Values beyond a year (here and for stop_grace) count as a year.
    std::chrono::milliseconds partial_flush_after{1000};
    /// Largest piece passed to the sink, in bytes (at least 4: a UTF-8
    /// sequence must fit); longer lines are cut.
    std::size_t max_piece = 64 * 1024;
    /// For pipes that do not reach end of file at stop() because another
    /// process still holds them (a child started in the background that
    /// inherited fds 1 and 2). stop() always reads everything that was in
    /// the pipes when it put the fds back; after that it stops reading at the
    /// first 100 ms of silence, or once this long has passed since it put
    /// the fds back, whichever comes first, and closes the pipes: such a
    /// child's later writes to fd 1 or 2 fail with EPIPE (or SIGPIPE), and
    /// what it wrote after that point is lost.
    std::chrono::milliseconds stop_grace{2000};
  };

  /// Starts capturing (see the class comment). Throws ValueError for an empty
  /// `sink` or options out of range, StateError when another capture is
  /// active, IoError(message, errno) when a pipe, a dup, the eventfd or the
  /// thread cannot be created (EMFILE when out of fds), std::bad_alloc when
  /// out of memory; after a throw, fds 1 and 2 are as they were and nothing
  /// is left open.
  explicit ConsoleCapture(Sink sink);
  ConsoleCapture(Sink sink, Options options);

  /// Calls stop(); never throws (the sink's error, if any, is dropped).
  ~ConsoleCapture();

  ConsoleCapture(const ConsoleCapture&) = delete;
  ConsoleCapture& operator=(const ConsoleCapture&) = delete;

  /// Ends the capture, in this order: flushes C stdio and the standard
  /// iostreams into the pipes; puts the original fds 1 and 2 back with dup2
  /// (the same open file descriptions as before — same file, offset shared,
  /// same status flags such as O_APPEND — and the same FD_CLOEXEC flag; an fd
  /// closed at start is closed again); reads what is left in the pipes (tee
  /// and sink), passes on the last partial lines, and joins the thread. When
  /// it returns, no more sink calls come and a later write to fd 1 or 2 goes
  /// straight to the original.
  ///
  /// Returns the first exception the sink threw (rethrow it with
  /// std::rethrow_exception), or null. Idempotent: later calls only return
  /// that again. Never throws. Called from the sink itself (the capture
  /// thread), it does nothing but return that.
  ///
  /// A sink that never returns makes stop() wait forever.
  std::exception_ptr stop() noexcept;

  /// The first exception the sink threw so far, or null. May be called from
  /// any thread, also while capturing.
  std::exception_ptr error() const;

  /// True from construction until stop().
  bool active() const noexcept { return active_.load(); }

 private:
  struct Pipe {
    Stream stream = Stream::kStdout;
    int target = -1;      // 1 or 2
    int saved = -1;       // duplicate of the original fd, -1 when it was closed
    int saved_flags = 0;  // the original's FD_CLOEXEC
    int read_end = -1;
    int write_end = -1;
  };

  void start();
  static void put_back(const Pipe& pipe) noexcept;  // the original fd, or closed
  void restore_fds() noexcept;
  void close_owned_fds() noexcept;
  void run() noexcept;
  void emit(Stream stream, std::string_view text, std::chrono::system_clock::time_point when) noexcept;

  Sink sink_;
  Options options_;
  Pipe pipes_[2];
  int wake_ = -1;  // eventfd: tells the reader that stop() has restored the fds
  pid_t owner_ = 0;
  std::unique_ptr<char[]> buffer_;  // the reader's
  std::thread thread_;
  std::thread::id reader_id_;  // thread_'s, kept: join() clears thread_'s
  std::atomic<bool> active_{false};
  bool sink_failed_ = false;  // reader thread only
  std::mutex stop_mutex_;
  mutable std::mutex error_mutex_;
  std::exception_ptr error_;
};

}  // namespace wandb::detail
