// The capture takes over this process's fds 1 and 2, which gtest prints to:
// each test first points them at files of its own (the tee targets), and
// puts gtest's back afterwards, printing the files when the test failed.
#include "detail/console_capture.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio_ext.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "wandb/errors.h"

namespace wandb::detail {
namespace {

using Stream = ConsoleCapture::Stream;
using Clock = std::chrono::system_clock;
constexpr auto kPatience = std::chrono::seconds(60);  // for things that must arrive

struct Piece {
  Stream stream;
  std::string text;
  Clock::time_point when;
};

// A sink that keeps every piece, and waits for them.
class Recorder {
 public:
  ConsoleCapture::Sink sink() {
    return [this](Stream stream, std::string text, Clock::time_point when) {
      std::lock_guard<std::mutex> lock(mutex_);
      pieces_.push_back({stream, std::move(text), when});
      changed_.notify_all();
    };
  }
  std::vector<Piece> pieces() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pieces_;
  }
  std::vector<std::string> texts(Stream stream) const {
    std::vector<std::string> out;
    for (const Piece& p : pieces()) {
      if (p.stream == stream) out.push_back(p.text);
    }
    return out;
  }
  std::string joined(Stream stream) const {
    std::string out;
    for (const std::string& t : texts(stream)) out += t;
    return out;
  }
  // Waits until a piece of `stream` equals `text`; false after kPatience.
  bool wait_for(Stream stream, const std::string& text) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] {
      return std::any_of(pieces_.begin(), pieces_.end(),
                         [&](const Piece& p) { return p.stream == stream && p.text == text; });
    });
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<Piece> pieces_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ASSERT_GT(n, 0) << std::strerror(errno);
    done += static_cast<std::size_t>(n);
  }
}

bool contains(const std::vector<std::string>& texts, const std::string& text) {
  return std::find(texts.begin(), texts.end(), text) != texts.end();
}

struct FdIdentity {
  dev_t dev;
  ino_t ino;
  int status_flags;
  int fd_flags;
  bool operator==(const FdIdentity&) const = default;
};

FdIdentity identity(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0) << "fd " << fd;
  return {st.st_dev, st.st_ino, ::fcntl(fd, F_GETFL), ::fcntl(fd, F_GETFD)};
}

std::set<int> open_fds() {
  std::set<int> fds;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    fds.insert(std::stoi(entry.path().filename().string()));
  }
  return fds;
}

class ConsoleCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/console-capture-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    out_path_ = dir_ + "/stdout.txt";
    err_path_ = dir_ + "/stderr.txt";
    std::cout.flush();
    std::fflush(stdout);
    std::fflush(stderr);
    saved_out_ = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
    saved_err_ = ::fcntl(2, F_DUPFD_CLOEXEC, 3);
    ASSERT_GE(saved_out_, 0);
    ASSERT_GE(saved_err_, 0);
    // O_APPEND: a flag that restoring must keep (it lives in the file description).
    const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(out, 0);
    ASSERT_GE(err, 0);
    ASSERT_EQ(::dup2(out, 1), 1);
    ASSERT_EQ(::dup2(err, 2), 2);
    ::close(out);
    ::close(err);
  }

  void TearDown() override {
    std::cout.flush();
    std::fflush(stdout);
    std::fflush(stderr);
    if (saved_out_ >= 0) ::dup2(saved_out_, 1);
    if (saved_err_ >= 0) ::dup2(saved_err_, 2);
    if (saved_out_ >= 0) ::close(saved_out_);
    if (saved_err_ >= 0) ::close(saved_err_);
    if (HasFailure()) {
      const std::string out = read_file(out_path_);
      const std::string err = read_file(err_path_);
      std::fprintf(stderr, "--- tee target of stdout (first 4000 bytes):\n%s\n--- tee target of stderr:\n%s\n---\n",
                   out.substr(0, 4000).c_str(), err.substr(0, 4000).c_str());
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string out_file() const { return read_file(out_path_); }
  std::string err_file() const { return read_file(err_path_); }

  std::string dir_, out_path_, err_path_;
  int saved_out_ = -1;
  int saved_err_ = -1;
};

TEST_F(ConsoleCaptureTest, EverySourceReachesTheSinkAndTheOriginal) {
  Recorder rec;
  const auto before = Clock::now();
  ConsoleCapture capture(rec.sink());
  EXPECT_TRUE(capture.active());
  std::printf("from printf\n");
  std::cout << "from cout" << std::endl;
  std::fprintf(stderr, "from fprintf stderr\n");
  std::cerr << "from cerr\n";
  write_all(2, "from write 2\n");
  write_all(1, "from write 1\n");
  EXPECT_EQ(std::system("echo from child; echo child error >&2"), 0);
  EXPECT_EQ(capture.stop(), nullptr);
  EXPECT_FALSE(capture.active());
  const auto after = Clock::now();

  const std::vector<std::string> out = rec.texts(Stream::kStdout);
  const std::vector<std::string> err = rec.texts(Stream::kStderr);
  for (const char* line : {"from printf\n", "from cout\n", "from write 1\n", "from child\n"}) {
    EXPECT_TRUE(contains(out, line)) << line;
    EXPECT_NE(out_file().find(line), std::string::npos) << line;
    EXPECT_EQ(err_file().find(line), std::string::npos) << line;
  }
  for (const char* line : {"from fprintf stderr\n", "from cerr\n", "from write 2\n", "child error\n"}) {
    EXPECT_TRUE(contains(err, line)) << line;
    EXPECT_NE(err_file().find(line), std::string::npos) << line;
    EXPECT_EQ(out_file().find(line), std::string::npos) << line;
  }
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(err.size(), 4u);
  // Everything the sink got is exactly what the originals got.
  EXPECT_EQ(rec.joined(Stream::kStdout).size(), out_file().size());
  EXPECT_EQ(rec.joined(Stream::kStderr).size(), err_file().size());
  for (const Piece& p : rec.pieces()) {
    EXPECT_GE(p.when, before - std::chrono::minutes(1));
    EXPECT_LE(p.when, after + std::chrono::minutes(1));
  }
}

TEST_F(ConsoleCaptureTest, PartialLinesArePassedOnAtStop) {
  Recorder rec;
  ConsoleCapture capture(rec.sink());
  write_all(1, "no newline on stdout");
  std::fprintf(stderr, "nor on stderr");  // unbuffered, but stop() flushes anyway
  std::printf("buffered in stdio");       // only stop()'s fflush sends this
  capture.stop();
  EXPECT_EQ(rec.joined(Stream::kStdout), "no newline on stdoutbuffered in stdio");
  EXPECT_EQ(rec.joined(Stream::kStderr), "nor on stderr");
  EXPECT_EQ(out_file(), "no newline on stdoutbuffered in stdio");
  EXPECT_EQ(err_file(), "nor on stderr");
}

TEST_F(ConsoleCaptureTest, ALineWrittenInManyPiecesIsOneSinkCall) {
  Recorder rec;
  ConsoleCapture::Options options;
  options.partial_flush_after = std::chrono::hours(1);  // only newlines end pieces here
  ConsoleCapture capture(rec.sink(), options);
  const std::string out_line = "a line written one byte at a time\n";
  const std::string err_line = "and one on stderr, in between\n";
  for (std::size_t i = 0; i < std::max(out_line.size(), err_line.size()); ++i) {
    if (i < out_line.size()) write_all(1, out_line.substr(i, 1));
    if (i < err_line.size()) write_all(2, err_line.substr(i, 1));
  }
  write_all(1, "second\nthird\nfour");
  write_all(1, "th\n");
  capture.stop();
  EXPECT_EQ(rec.texts(Stream::kStdout),
            (std::vector<std::string>{out_line, "second\n", "third\n", "fourth\n"}));
  EXPECT_EQ(rec.texts(Stream::kStderr), std::vector<std::string>{err_line});
  EXPECT_EQ(out_file(), out_line + "second\nthird\nfourth\n");
}

TEST_F(ConsoleCaptureTest, AnOldPartialLineIsPassedOnWithoutWaitingForStop) {
  Recorder rec;
  ConsoleCapture::Options options;
  options.partial_flush_after = std::chrono::milliseconds(10);
  ConsoleCapture capture(rec.sink(), options);
  write_all(1, "progress 10%");
  ASSERT_TRUE(rec.wait_for(Stream::kStdout, "progress 10%"));
  EXPECT_TRUE(capture.active());
  write_all(1, "\n");
  ASSERT_TRUE(rec.wait_for(Stream::kStdout, "\n"));
  capture.stop();
  EXPECT_EQ(rec.texts(Stream::kStdout), (std::vector<std::string>{"progress 10%", "\n"}));
}

TEST_F(ConsoleCaptureTest, LongLinesAreCutWithoutSplittingUtf8) {
  Recorder rec;
  ConsoleCapture::Options options;
  options.partial_flush_after = std::chrono::hours(1);
  options.max_piece = 8;
  ConsoleCapture capture(rec.sink(), options);
  // "€" is 3 bytes; it would straddle the 8-byte limit.
  write_all(1, "abcdefg\xE2\x82\xACh\n");
  write_all(2, "ab\xE2\x82\xAC\xE2\x82\xAC");  // exactly 8 bytes, no newline: passed on at once
  ASSERT_TRUE(rec.wait_for(Stream::kStderr, "ab\xE2\x82\xAC\xE2\x82\xAC"));
  write_all(1, "0123456789abcdefghij\n");
  capture.stop();
  EXPECT_EQ(rec.texts(Stream::kStdout),
            (std::vector<std::string>{"abcdefg", "\xE2\x82\xACh\n", "01234567", "89abcdef", "ghij\n"}));
  EXPECT_EQ(rec.texts(Stream::kStderr), std::vector<std::string>{"ab\xE2\x82\xAC\xE2\x82\xAC"});
}

TEST_F(ConsoleCaptureTest, StopPutsTheOriginalFdsBackExactly) {
  ASSERT_EQ(::fcntl(2, F_SETFD, FD_CLOEXEC), 0);  // restoring must keep fd flags too
  const FdIdentity out_before = identity(1);
  const FdIdentity err_before = identity(2);
  ASSERT_TRUE(out_before.status_flags & O_APPEND);
  const std::set<int> fds_before = open_fds();

  Recorder rec;
  ConsoleCapture capture(rec.sink());
  struct stat st {};
  ASSERT_EQ(::fstat(1, &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  // Children must inherit fds 1 and 2, and nothing else of the capture's.
  EXPECT_EQ(::fcntl(1, F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(::fcntl(2, F_GETFD) & FD_CLOEXEC, 0);
  for (int fd : open_fds()) {
    if (fd > 2 && fds_before.count(fd) == 0 && ::fcntl(fd, F_GETFD) >= 0) {
      EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC) << "fd " << fd;
    }
  }
  write_all(1, "during\n");
  capture.stop();
  EXPECT_EQ(capture.stop(), nullptr);  // idempotent

  EXPECT_EQ(identity(1), out_before);
  EXPECT_EQ(identity(2), err_before);
  EXPECT_EQ(open_fds(), fds_before);  // nothing leaked
  const std::size_t pieces = rec.pieces().size();
  write_all(1, "after stop\n");
  write_all(2, "after stop on stderr\n");
  std::printf("printf after stop\n");
  std::fflush(stdout);
  EXPECT_EQ(rec.pieces().size(), pieces);
  EXPECT_EQ(out_file(), "during\nafter stop\nprintf after stop\n");
  EXPECT_EQ(err_file(), "after stop on stderr\n");
}

TEST_F(ConsoleCaptureTest, AnUnusedStdoutStaysLineBufferedForATerminal) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) GTEST_SKIP() << "no pseudo-terminal";
  const int terminal = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(terminal, 0);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // This process's stdout has printed already; a fresh stream stands in
    // for the one of a program that has not.
    ::dup2(terminal, 1);
    FILE* fresh = ::fdopen(1, "w");
    if (fresh == nullptr) ::_exit(2);
    stdout = fresh;
    int result = 3;
    {
      ConsoleCapture capture([](Stream, std::string, Clock::time_point) {});
      std::printf("to a terminal\n");
      result = __flbf(stdout) != 0 ? 0 : 1;
    }
    ::_exit(result);
  }
  ::close(terminal);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ::close(master);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

TEST_F(ConsoleCaptureTest, OnlyOneCaptureAtATime) {
  Recorder rec;
  {
    ConsoleCapture first(rec.sink());
    EXPECT_THROW(ConsoleCapture second(rec.sink()), StateError);
    write_all(1, "still the first\n");
    first.stop();
    EXPECT_EQ(rec.texts(Stream::kStdout), std::vector<std::string>{"still the first\n"});
    ConsoleCapture third(rec.sink());  // allowed once the first is stopped
    write_all(1, "the third\n");
  }  // the destructor stops it
  ConsoleCapture fourth(rec.sink());
  fourth.stop();
  EXPECT_EQ(rec.texts(Stream::kStdout), (std::vector<std::string>{"still the first\n", "the third\n"}));
  EXPECT_EQ(out_file(), "still the first\nthe third\n");
}

TEST_F(ConsoleCaptureTest, BadArgumentsAreRefusedBeforeAnythingChanges) {
  const FdIdentity out_before = identity(1);
  EXPECT_THROW(ConsoleCapture(ConsoleCapture::Sink{}), ValueError);
  ConsoleCapture::Options options;
  options.max_piece = 3;
  EXPECT_THROW(ConsoleCapture([](Stream, std::string, Clock::time_point) {}, options), ValueError);
  options = {};
  options.partial_flush_after = std::chrono::milliseconds(0);
  EXPECT_THROW(ConsoleCapture([](Stream, std::string, Clock::time_point) {}, options), ValueError);
  EXPECT_EQ(identity(1), out_before);
  ConsoleCapture capture([](Stream, std::string, Clock::time_point) {});  // not left marked active
}

TEST_F(ConsoleCaptureTest, AThrowingSinkIsDroppedButTheTeeGoesOn) {
  int calls = 0;
  ConsoleCapture capture([&](Stream, std::string, Clock::time_point) {
    ++calls;
    throw std::runtime_error("sink failed");
  });
  write_all(1, "one\n");
  write_all(1, "two\n");
  write_all(2, "three\n");
  std::printf("four\n");
  const std::exception_ptr error = capture.stop();
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(capture.error(), error);
  EXPECT_EQ(capture.stop(), error);
  try {
    std::rethrow_exception(error);
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "sink failed");
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(out_file(), "one\ntwo\nfour\n");
  EXPECT_EQ(err_file(), "three\n");
}

TEST_F(ConsoleCaptureTest, StopFromTheSinkDoesNothing) {
  std::atomic<ConsoleCapture*> self{nullptr};
  std::atomic<int> calls{0};
  ConsoleCapture capture([&](Stream, std::string, Clock::time_point) {
    ++calls;
    if (ConsoleCapture* c = self.load()) c->stop();  // would join its own thread
  });
  self = &capture;
  write_all(1, "one\n");
  write_all(1, "two\n");
  EXPECT_TRUE(capture.active());
  EXPECT_EQ(capture.stop(), nullptr);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(out_file(), "one\ntwo\n");
}

TEST_F(ConsoleCaptureTest, TenMegabytesNeitherBlockNorLoseBytes) {
  std::string data;
  for (int i = 0; data.size() < 10'000'000; ++i) {
    data += "line " + std::to_string(i) + " " + std::string(static_cast<std::size_t>(i % 300), 'x') + "\n";
    if (i == 5000) data += std::string(200'000, 'y');  // a long run without a newline
  }
  std::size_t largest = 0;
  std::string received;
  std::mutex mutex;
  ConsoleCapture capture([&](Stream stream, std::string text, Clock::time_point) {
    std::lock_guard<std::mutex> lock(mutex);
    if (stream == Stream::kStdout) {
      largest = std::max(largest, text.size());
      received += text;
    }
  });
  for (std::size_t at = 0; at < data.size(); at += 4096) write_all(1, data.substr(at, 4096));
  EXPECT_EQ(capture.stop(), nullptr);
  EXPECT_TRUE(out_file() == data) << "the tee target differs";
  EXPECT_TRUE(received == data) << "the sink's text differs";
  EXPECT_LE(largest, std::size_t{64 * 1024});
}

TEST_F(ConsoleCaptureTest, ANonBlockingPipeAsTheOriginalGetsEveryByte) {
  // Short writes and EAGAIN: a pipe of 4 KiB, non-blocking, read slowly.
  int ends[2];
  ASSERT_EQ(::pipe2(ends, O_CLOEXEC), 0);
  ::fcntl(ends[1], F_SETPIPE_SZ, 4096);
  ASSERT_EQ(::fcntl(ends[1], F_SETFL, O_NONBLOCK), 0);
  ASSERT_EQ(::dup2(ends[1], 1), 1);
  ::close(ends[1]);
  std::string teed;
  std::thread drain([&] {
    char buffer[1000];
    for (;;) {
      const ssize_t n = ::read(ends[0], buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      teed.append(buffer, static_cast<std::size_t>(n));
    }
  });
  std::string data;
  for (int i = 0; data.size() < 2'000'000; ++i) data += "record " + std::to_string(i) + "\n";
  std::string received;
  {
    ConsoleCapture capture([&](Stream stream, std::string text, Clock::time_point) {
      if (stream == Stream::kStdout) received += text;
    });
    write_all(1, data);
    EXPECT_EQ(capture.stop(), nullptr);
    EXPECT_EQ(::fcntl(1, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  }
  ::dup2(saved_out_, 1);  // the last write end: the drain sees end of file
  drain.join();
  ::close(ends[0]);
  EXPECT_TRUE(teed == data) << teed.size() << " of " << data.size() << " bytes teed";
  EXPECT_TRUE(received == data) << received.size() << " of " << data.size() << " bytes in the sink";
}

TEST_F(ConsoleCaptureTest, LinesFromManyThreadsArriveWhole) {
  Recorder rec;
  ConsoleCapture::Options options;
  options.partial_flush_after = std::chrono::hours(1);
  ConsoleCapture capture(rec.sink(), options);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 2000; ++i) {
        // A write of at most PIPE_BUF bytes to a pipe is atomic.
        const std::string line = "thread " + std::to_string(t) + " line " + std::to_string(i) + "\n";
        write_all(t % 2 == 0 ? 1 : 2, line);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  capture.stop();
  std::map<Stream, std::multiset<std::string>> got;
  for (const Piece& p : rec.pieces()) got[p.stream].insert(p.text);
  for (int t = 0; t < 4; ++t) {
    const Stream stream = t % 2 == 0 ? Stream::kStdout : Stream::kStderr;
    for (int i = 0; i < 2000; ++i) {
      const std::string line = "thread " + std::to_string(t) + " line " + std::to_string(i) + "\n";
      EXPECT_EQ(got[stream].count(line), 1u) << line;
    }
  }
  EXPECT_EQ(got[Stream::kStdout].size(), 4000u);
  EXPECT_EQ(got[Stream::kStderr].size(), 4000u);
}

TEST_F(ConsoleCaptureTest, ClosedOriginalsAreCapturedAndClosedAgain) {
  ::close(1);
  ::close(2);
  Recorder rec;
  {
    // The pipes must not take the free slots 1 and 2 for themselves.
    ConsoleCapture capture(rec.sink());
    std::printf("to a closed stdout\n");
    write_all(2, "to a closed stderr\n");
    EXPECT_EQ(std::system("echo child to a closed stdout"), 0);
    capture.stop();
  }
  errno = 0;
  EXPECT_EQ(::fcntl(1, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
  errno = 0;
  EXPECT_EQ(::fcntl(2, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
  // printf's line leaves stdio at stop() or at once (a line-buffered stdout): either order.
  std::vector<std::string> out = rec.texts(Stream::kStdout);
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, (std::vector<std::string>{"child to a closed stdout\n", "to a closed stdout\n"}));
  EXPECT_EQ(rec.texts(Stream::kStderr), std::vector<std::string>{"to a closed stderr\n"});
}

TEST_F(ConsoleCaptureTest, RunningOutOfFdsThrowsIoErrorAndChangesNothing) {
#if defined(__SANITIZE_ADDRESS__)  // scripts/dev.sh asan builds ASan and UBSan together
  // UBSan's vptr check reads memory through a pipe it opens on demand; with no
  // descriptor left it reports a false error and ends the process (seen with
  // strace in scripts/dev.sh asan).
  GTEST_SKIP() << "UBSan needs file descriptors of its own";
#endif
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old_limit), 0);
  const std::set<int> fds_before = open_fds();
  rlimit low = old_limit;
  low.rlim_cur = std::min<rlim_t>(old_limit.rlim_cur, static_cast<rlim_t>(*fds_before.rbegin() + 64));
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  const FdIdentity out_before = identity(1);
  const FdIdentity err_before = identity(2);
  // The capture needs 7 fds (2 copies, 2 pipes, 1 eventfd): every shortfall
  // is refused.
  for (int free_fds = 0; free_fds < 7; ++free_fds) {
    std::vector<int> filler;
    for (;;) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      filler.push_back(fd);
    }
    for (int i = 0; i < free_fds && !filler.empty(); ++i) {
      ::close(filler.back());
      filler.pop_back();
    }
    int code = 0;
    try {
      ConsoleCapture capture([](Stream, std::string, Clock::time_point) {});
    } catch (const IoError& e) {
      code = e.code();
    }
    for (int fd : filler) ::close(fd);
    EXPECT_EQ(code, EMFILE) << free_fds << " free fds";
    EXPECT_EQ(identity(1), out_before);
    EXPECT_EQ(identity(2), err_before);
    EXPECT_EQ(open_fds(), fds_before) << free_fds << " free fds";
  }
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old_limit), 0);
  Recorder rec;
  ConsoleCapture capture(rec.sink());  // the failures left no capture marked active
  write_all(1, "works again\n");
  capture.stop();
  EXPECT_EQ(rec.texts(Stream::kStdout), std::vector<std::string>{"works again\n"});
}

TEST_F(ConsoleCaptureTest, StopIsBoundedWhenABackgroundChildHoldsThePipe) {
  const FdIdentity out_before = identity(1);
  Recorder rec;
  ConsoleCapture::Options options;
  options.stop_grace = std::chrono::milliseconds(200);
  ConsoleCapture capture(rec.sink(), options);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const char line[] = "from a background child\n";
    (void)!::write(1, line, sizeof(line) - 1);
    for (;;) ::pause();  // holds the pipe until killed
  }
  EXPECT_TRUE(rec.wait_for(Stream::kStdout, "from a background child\n"));
  write_all(1, "from the parent\nand a partial line");
  capture.stop();  // returns although the child still holds the write end
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_EQ(identity(1), out_before);
  EXPECT_EQ(rec.texts(Stream::kStdout), (std::vector<std::string>{"from a background child\n", "from the parent\n",
                                                                  "and a partial line"}));
  EXPECT_EQ(out_file(), "from a background child\nfrom the parent\nand a partial line");
}

TEST_F(ConsoleCaptureTest, AForkedChildStopsOnlyItsOwnCopy) {
  const FdIdentity out_before = identity(1);
  Recorder rec;
  ConsoleCapture capture(rec.sink());
  std::fflush(nullptr);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    capture.stop();  // no reader thread here: must neither hang nor abort
    const bool restored = identity(1) == out_before;
    const char line[] = "child after its stop\n";
    (void)!::write(1, line, sizeof(line) - 1);
    ::_exit(restored ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  // Longer than a stopping reader waits for quiet pipes: had the child's
  // stop() reached the parent's reader, it would have ended by now.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  write_all(1, "parent still captured\n");
  EXPECT_TRUE(rec.wait_for(Stream::kStdout, "parent still captured\n"));
  capture.stop();
  EXPECT_EQ(rec.texts(Stream::kStdout), std::vector<std::string>{"parent still captured\n"});
  EXPECT_EQ(out_file(), "child after its stop\nparent still captured\n");
}

}  // namespace
}  // namespace wandb::detail
