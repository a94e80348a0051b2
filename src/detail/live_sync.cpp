#include "detail/live_sync.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

namespace wandb::detail {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Hotter polling would cost CPU for nothing: the uploader runs for minutes.
constexpr milliseconds kPollStep{20};
// After SIGKILL a process normally goes at once; one stuck in the kernel (a
// hung network file system) must not hold start() beyond the probe's bound
// for long, so after this it is left to the background reaper.
constexpr milliseconds kKillReapBound{2000};
// Help text beyond this is read and dropped: the probe needs a few kilobytes.
constexpr std::size_t kMaxProbeText = std::size_t{1} << 20;

std::string errno_text(int code) { return std::strerror(code); }

void set_why(std::string* why, std::string text) {
  if (why != nullptr) *why = std::move(text);
}

bool is_executable_file(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The lookup execvp would do, except that a missing PATH finds nothing
// rather than a built-in default: the reason then says "on PATH".
bool find_on_path(const std::string& name, std::filesystem::path* found) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string entries = path;
  std::size_t begin = 0;
  while (true) {
    std::size_t end = entries.find(':', begin);
    std::string dir = entries.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / name;
    if (is_executable_file(candidate)) {
      std::error_code ec;
      std::filesystem::path absolute = std::filesystem::absolute(candidate, ec);
      *found = ec ? candidate : absolute;
      return true;
    }
    if (end == std::string::npos) return false;
    begin = end + 1;
  }
}

LiveSync::Result decode(int status) {
  LiveSync::Result result;
  result.exited = true;
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

// Reaps `pid` from a detached thread. Every signal is blocked in that thread
// (set here and inherited) so that the program's handlers run on its own
// threads. The thread touches nothing but the pid.
void reap_in_background(pid_t pid) noexcept {
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  bool masked = ::pthread_sigmask(SIG_SETMASK, &all, &old) == 0;
  try {
    std::thread([pid] {
      while (::waitpid(pid, nullptr, 0) == -1 && errno == EINTR) {
      }
    }).detach();
  } catch (...) {
    // No thread: the zombie stays until the program exits.
  }
  if (masked) ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

// Polls waitpid until `pid` exits or `deadline` passes. Returns true when it
// has exited; `*status_known` is false when something else reaped it.
bool wait_until(pid_t pid, Clock::time_point deadline, int* status, bool* status_known) {
  while (true) {
    pid_t r = ::waitpid(pid, status, WNOHANG);
    if (r == pid) {
      *status_known = true;
      return true;
    }
    if (r == -1) {
      if (errno == EINTR) continue;
      *status_known = false;  // ECHILD: reaped elsewhere
      return true;
    }
    auto now = Clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(kPollStep, deadline - now));
  }
}

// posix_spawn attributes and file actions, released on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    attr_ok_ = ::posix_spawnattr_init(&attr_) == 0;
    actions_ok_ = ::posix_spawn_file_actions_init(&actions_) == 0;
  }
  ~SpawnSetup() {
    if (attr_ok_) ::posix_spawnattr_destroy(&attr_);
    if (actions_ok_) ::posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // stdout and stderr to `out_fd`, stdin from /dev/null, nothing else open,
  // an empty signal mask and default actions; `own_group`: a process group of
  // its own. Returns 0 or an errno value.
  int configure(int out_fd, bool own_group) {
    if (!attr_ok_ || !actions_ok_) return ENOMEM;
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (own_group) flags |= POSIX_SPAWN_SETPGROUP;
    int rc = 0;
    // The dup2s come before /dev/null is opened on 0, so an out_fd that is
    // itself 0, 1 or 2 (the program had closed its standard streams) is
    // copied before anything replaces it.
    if ((rc = ::posix_spawnattr_setflags(&attr_, flags)) != 0 ||
        (rc = ::posix_spawnattr_setsigmask(&attr_, &none)) != 0 ||
        (rc = ::posix_spawnattr_setsigdefault(&attr_, &all)) != 0 ||
        (own_group && (rc = ::posix_spawnattr_setpgroup(&attr_, 0)) != 0) ||
        (rc = ::posix_spawn_file_actions_adddup2(&actions_, out_fd, STDOUT_FILENO)) != 0 ||
        (rc = ::posix_spawn_file_actions_adddup2(&actions_, out_fd, STDERR_FILENO)) != 0 ||
        (rc = ::posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) != 0 ||
        (rc = ::posix_spawn_file_actions_addclosefrom_np(&actions_, 3)) != 0) {
      return rc;
    }
    return 0;
  }

  int spawn(pid_t* pid, const std::filesystem::path& program, const std::vector<std::string>& args) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    return ::posix_spawn(pid, program.c_str(), &actions_, &attr_, argv.data(), environ);
  }

 private:
  posix_spawnattr_t attr_{};
  posix_spawn_file_actions_t actions_{};
  bool attr_ok_ = false;
  bool actions_ok_ = false;
};

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

enum class ProbeOutcome { kAnswered, kTimedOut, kCannotStart };

struct Probe {
  ProbeOutcome outcome = ProbeOutcome::kCannotStart;
  int spawn_error = 0;
  std::string text;
  bool status_known = false;
  int status = 0;
};

// Reads what is available now; false once the pipe has reached end of file.
bool drain(int fd, std::string* text) {
  char buffer[4096];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      std::size_t keep = std::min<std::size_t>(static_cast<std::size_t>(n), kMaxProbeText - text->size());
      text->append(buffer, keep);
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;  // any other error ends reading like EOF
  }
}

Probe run_probe(const std::filesystem::path& cli, milliseconds timeout) {
  Probe probe;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    probe.spawn_error = errno;
    return probe;
  }
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  ::fcntl(read_end.get(), F_SETFL, ::fcntl(read_end.get(), F_GETFL) | O_NONBLOCK);

  SpawnSetup setup;
  pid_t pid = -1;
  int rc = setup.configure(write_end.get(), /*own_group=*/true);
  if (rc == 0) rc = setup.spawn(&pid, cli, {"beta", "sync", "--help"});
  write_end.reset();  // else the pipe never reaches end of file
  if (rc != 0) {
    probe.spawn_error = rc;
    return probe;
  }

  auto deadline = Clock::now() + timeout;
  bool open = true;
  while (true) {
    if (open) open = drain(read_end.get(), &probe.text);
    // The process's exit ends the probe, not the pipe's end: a child it left
    // behind may hold the pipe open for as long as it lives.
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r == -1 && errno != EINTR)) {
      if (open) drain(read_end.get(), &probe.text);
      probe.outcome = ProbeOutcome::kAnswered;
      probe.status_known = r == pid;
      probe.status = status;
      return probe;
    }
    auto now = Clock::now();
    if (now >= deadline) break;
    auto step = std::chrono::duration_cast<milliseconds>(
        std::min<Clock::duration>(kPollStep, deadline - now));
    if (open) {
      pollfd p{read_end.get(), POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(std::max<milliseconds::rep>(step.count(), 1)));
    } else {
      std::this_thread::sleep_for(step);  // a closed pipe would make poll return at once
    }
  }

  // Its group is its own and named by its pid, which stays taken until the
  // reap below: the signal cannot reach anything else.
  ::kill(-pid, SIGKILL);
  int status = 0;
  bool known = false;
  if (!wait_until(pid, Clock::now() + kKillReapBound, &status, &known)) reap_in_background(pid);
  probe.outcome = ProbeOutcome::kTimedOut;
  return probe;
}

std::string status_text(const Probe& probe) {
  if (!probe.status_known) return "";
  if (WIFEXITED(probe.status)) {
    if (WEXITSTATUS(probe.status) == 0) return "";
    return "; `beta sync --help` exited with status " + std::to_string(WEXITSTATUS(probe.status));
  }
  if (WIFSIGNALED(probe.status)) {
    return "; `beta sync --help` was killed by signal " + std::to_string(WTERMSIG(probe.status));
  }
  return "";
}

std::string shell_word(const std::string& word) {
  bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char c) {
    return std::isalnum(c) || std::strchr("-_./:=,+@%", c) != nullptr;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

LiveSync::LiveSync(pid_t pid, std::filesystem::path cli, std::filesystem::path root)
    : pid_(pid), cli_(std::move(cli)), root_(std::move(root)) {}

std::unique_ptr<LiveSync> LiveSync::start(const std::filesystem::path& root,
                                          const std::filesystem::path& log_path,
                                          const LiveSyncOptions& options, std::string* why) {
  std::filesystem::path cli = options.cli;
  if (cli.empty() || cli.native().find('/') == std::string::npos) {
    std::string name = cli.empty() ? std::string("wandb") : cli.native();
    if (!find_on_path(name, &cli)) {
      set_why(why, "no `" + name + "` on PATH");
      return nullptr;
    }
  }

  std::error_code ec;
  std::filesystem::path absolute_root = std::filesystem::absolute(root, ec);
  if (ec || !std::filesystem::is_directory(absolute_root, ec)) {
    set_why(why, "cannot start live sync: run folder " + root.string() + " does not exist");
    return nullptr;
  }

  Probe probe = run_probe(cli, options.probe_timeout);
  if (probe.outcome == ProbeOutcome::kCannotStart) {
    set_why(why, "cannot start " + cli.string() + ": " + errno_text(probe.spawn_error));
    return nullptr;
  }
  if (probe.outcome == ProbeOutcome::kTimedOut) {
    set_why(why, "wandb at " + cli.string() + " did not answer `beta sync --help` within " +
                     std::to_string(options.probe_timeout.count()) + " ms (killed)");
    return nullptr;
  }
  if (probe.text.find("--live") == std::string::npos) {
    set_why(why, "wandb at " + cli.string() + " has no `beta sync --live` (wandb >= 0.24 needed" +
                     status_text(probe) + ")");
    return nullptr;
  }

  if (log_path.has_parent_path()) std::filesystem::create_directories(log_path.parent_path(), ec);
  Fd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log.get() < 0) {
    set_why(why, "cannot open live sync log " + log_path.string() + ": " + errno_text(errno));
    return nullptr;
  }

  SpawnSetup setup;
  pid_t pid = -1;
  int rc = setup.configure(log.get(), /*own_group=*/false);
  if (rc == 0) rc = setup.spawn(&pid, cli, {"beta", "sync", "--live", absolute_root.string()});
  if (rc != 0) {
    set_why(why, "cannot start " + cli.string() + ": " + errno_text(rc));
    return nullptr;
  }
  return std::unique_ptr<LiveSync>(new LiveSync(pid, std::move(cli), std::move(absolute_root)));
}

LiveSync::Result LiveSync::wait(milliseconds bound) {
  std::lock_guard<std::mutex> lock(mu_);
  if (result_.exited) return result_;
  int status = 0;
  bool known = false;
  if (wait_until(pid_, Clock::now() + std::max(bound, milliseconds{0}), &status, &known)) {
    if (known) {
      result_ = decode(status);
    } else {
      result_ = Result{};
      result_.exited = true;
    }
  }
  return result_;
}

std::string LiveSync::command_line() const {
  return shell_word(cli_.string()) + " beta sync --live " + shell_word(root_.string());
}

LiveSync::~LiveSync() {
  std::lock_guard<std::mutex> lock(mu_);
  if (result_.exited) return;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r == -1 && errno == EINTR);
  if (r == 0) reap_in_background(pid_);
}

}  // namespace wandb::detail
