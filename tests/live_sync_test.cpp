// The live uploader: finding and probing the CLI, starting `beta sync --live`,
// waiting for it, and leaving it alone on destruction. No real wandb here:
// each test writes a stand-in `wandb` shell script.
#include "detail/live_sync.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "test_support.h"

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using wandb::detail::LiveSync;
using wandb::detail::LiveSyncOptions;
using wandb::test::file_text;
using wandb::test::TempDir;

namespace {

// Generous: only a broken implementation waits this long.
constexpr milliseconds kLong{60000};

const char* const kHelpWithLive =
    "printf '%s\\n' 'Usage: wandb beta sync [OPTIONS] [PATHS]...' "
    "'  --live  Sync a run while it is being logged.'\n"
    "exit 0\n";

// Waits for `<root>/done`, then leaves a marker. Also ends when the root is
// gone, so a failed test leaves no process behind.
const char* const kLiveUntilDone =
    "echo uploader started\n"
    "echo uploader warning >&2\n"
    "while [ ! -e \"$4/done\" ] && [ -d \"$4\" ]; do sleep 0.02; done\n"
    "echo finished > \"$here/finished\"\n"
    "echo uploader done\n"
    "exit 0\n";

// A stand-in CLI at dir/wandb: `beta sync --help` runs `help`; `beta sync
// --live ...` writes its arguments, one a line, to dir/args, then runs `live`.
fs::path write_cli(const fs::path& dir, const std::string& help, const std::string& live) {
  fs::create_directories(dir);
  fs::path path = dir / "wandb";
  std::ofstream out(path);
  out << "#!/bin/sh\n"
         "here=$(dirname \"$0\")\n"
         "if [ \"$#\" -eq 3 ] && [ \"$1\" = beta ] && [ \"$2\" = sync ] && [ \"$3\" = --help ]; then\n"
      << help
      << "fi\n"
         "if [ \"$1\" = beta ] && [ \"$2\" = sync ] && [ \"$3\" = --live ]; then\n"
         "printf '%s\\n' \"$@\" > \"$here/args.tmp\" && mv \"$here/args.tmp\" \"$here/args\"\n"
      << live
      << "fi\n"
         "echo \"unexpected arguments: $*\" >&2\n"
         "exit 2\n";
  out.close();
  fs::permissions(path, fs::perms(0755));
  return path;
}

bool eventually(const std::function<bool()>& condition, milliseconds bound = kLong) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

// The state letter from /proc/<pid>/stat, or nullopt when there is no such
// process.
std::optional<char> process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return std::nullopt;
  return stat[close + 2];
}

// Dead: gone, or a zombie waiting for a parent that is not this test (an
// orphan adopted by a PID 1 that may not reap promptly in a container).
bool dead(pid_t pid) {
  auto state = process_state(pid);
  return !state || *state == 'Z';
}

pid_t read_pid(const fs::path& file) {
  return static_cast<pid_t>(std::stol(file_text(file)));
}

// Sets PATH for the test's lifetime (nullopt: unset) and restores it.
class PathGuard {
 public:
  explicit PathGuard(const std::optional<std::string>& value) {
    if (const char* old = std::getenv("PATH")) old_ = old;
    if (value) {
      ::setenv("PATH", value->c_str(), 1);
    } else {
      ::unsetenv("PATH");
    }
  }
  ~PathGuard() {
    if (old_) {
      ::setenv("PATH", old_->c_str(), 1);
    } else {
      ::unsetenv("PATH");
    }
  }

 private:
  std::optional<std::string> old_;
};

TEST(LiveSync, ProbesStartsAndWaitsForTheUploader) {
  TempDir tmp;
  fs::path cli = write_cli(tmp / "bin", kHelpWithLive, kLiveUntilDone);
  // No shell between: a space and a quote in the path reach the CLI as they are.
  fs::path root = tmp / "wandb" / "offline-run-20260101_000000-ab c'd";
  fs::create_directories(root);
  fs::path log = tmp / "logs" / "nested" / "live-sync.log";

  std::string why;
  auto live = LiveSync::start(root, log, {cli, milliseconds(30000)}, &why);
  ASSERT_NE(live, nullptr) << why;
  EXPECT_GT(live->pid(), 0);
  EXPECT_EQ(live->command_line(), cli.string() + " beta sync --live '" +
                                      (tmp / "wandb").string() +
                                      "/offline-run-20260101_000000-ab c'\\''d'");

  ASSERT_TRUE(eventually([&] { return fs::exists(tmp / "bin" / "args"); }));
  EXPECT_EQ(file_text(tmp / "bin" / "args"), "beta\nsync\n--live\n" + root.string() + "\n");
  // Same process group as the program: a Ctrl-C reaches both.
  EXPECT_EQ(::getpgid(live->pid()), ::getpgrp());

  LiveSync::Result before = live->wait(milliseconds(200));
  EXPECT_FALSE(before.exited);
  EXPECT_FALSE(fs::exists(tmp / "bin" / "finished"));

  wandb::test::write_bytes(root / "done", "");
  LiveSync::Result after = live->wait(kLong);
  EXPECT_TRUE(after.exited);
  EXPECT_EQ(after.exit_code, 0);
  EXPECT_EQ(after.signal, 0);
  EXPECT_TRUE(fs::exists(tmp / "bin" / "finished"));

  LiveSync::Result again = live->wait(milliseconds(0));
  EXPECT_TRUE(again.exited);
  EXPECT_EQ(again.exit_code, 0);

  std::string text = file_text(log);
  EXPECT_NE(text.find("uploader started\n"), std::string::npos) << text;
  EXPECT_NE(text.find("uploader warning\n"), std::string::npos) << text;
  EXPECT_NE(text.find("uploader done\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("unexpected arguments"), std::string::npos) << text;
}

TEST(LiveSync, RefusesACliWithoutLive) {
  TempDir tmp;
  fs::create_directories(tmp / "run");
  fs::path cli = write_cli(tmp / "bin",
                           "printf '%s\\n' 'Usage: wandb beta sync [OPTIONS] WANDB_DIR' "
                           "'  --skip-console  Skip console logs'\n"
                           "exit 0\n",
                           kLiveUntilDone);
  std::string why;
  auto live = LiveSync::start(tmp / "run", tmp / "log", {cli}, &why);
  EXPECT_EQ(live, nullptr);
  EXPECT_EQ(why, "wandb at " + cli.string() + " has no `beta sync --live` (wandb >= 0.24 needed)");
  EXPECT_FALSE(fs::exists(tmp / "bin" / "args"));
  EXPECT_FALSE(fs::exists(tmp / "log"));
}

TEST(LiveSync, RefusesACliWithoutBetaAndQuotesItsStatus) {
  TempDir tmp;
  fs::create_directories(tmp / "run");
  fs::path cli = write_cli(tmp / "bin", "echo \"Error: No such command 'beta'.\" >&2\nexit 2\n",
                           kLiveUntilDone);
  std::string why;
  EXPECT_EQ(LiveSync::start(tmp / "run", tmp / "log", {cli}, &why), nullptr);
  EXPECT_NE(why.find("wandb at " + cli.string() + " has no `beta sync --live` (wandb >= 0.24 needed"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("exited with status 2"), std::string::npos) << why;
}

TEST(LiveSync, NoWandbOnPath) {
  TempDir tmp;
  fs::create_directories(tmp / "run");
  fs::create_directories(tmp / "empty");
  {
    PathGuard path((tmp / "empty").string());
    std::string why;
    EXPECT_EQ(LiveSync::start(tmp / "run", tmp / "log", {}, &why), nullptr);
    EXPECT_EQ(why, "no `wandb` on PATH");
  }
  {
    PathGuard path(std::nullopt);
    std::string why;
    EXPECT_EQ(LiveSync::start(tmp / "run", tmp / "log", {}, &why), nullptr);
    EXPECT_EQ(why, "no `wandb` on PATH");
  }
  // A null `why` is allowed.
  PathGuard path((tmp / "empty").string());
  EXPECT_EQ(LiveSync::start(tmp / "run", tmp / "log", {}, nullptr), nullptr);
}

TEST(LiveSync, TakesTheFirstExecutableWandbOnPath) {
  TempDir tmp;
  fs::path root = tmp / "run";
  fs::create_directories(root);
  fs::create_directories(tmp / "plain");
  wandb::test::write_bytes(tmp / "plain" / "wandb", "#!/bin/sh\nexit 0\n");  // not executable
  fs::create_directories(tmp / "folder" / "wandb");                          // not a file
  fs::path first = write_cli(tmp / "first", kHelpWithLive, kLiveUntilDone);
  write_cli(tmp / "second", kHelpWithLive, kLiveUntilDone);

  std::unique_ptr<LiveSync> live;
  std::string why;
  {
    // The system's folders last, for the script's own commands (no real
    // wandb is installed there).
    const char* system = std::getenv("PATH");
    PathGuard path((tmp / "plain").string() + ":" + (tmp / "folder").string() + ":" +
                   (tmp / "first").string() + ":" + (tmp / "second").string() + ":" +
                   (system ? system : "/usr/bin:/bin"));
    live = LiveSync::start(root, tmp / "log", {}, &why);
  }
  ASSERT_NE(live, nullptr) << why;
  EXPECT_EQ(live->command_line(), first.string() + " beta sync --live " + root.string());
  ASSERT_TRUE(eventually([&] { return fs::exists(tmp / "first" / "args"); }));
  EXPECT_FALSE(fs::exists(tmp / "second" / "args"));
  wandb::test::write_bytes(root / "done", "");
  EXPECT_EQ(live->wait(kLong).exit_code, 0);
}

TEST(LiveSync, KillsAProbeThatHangs) {
  TempDir tmp;
  fs::create_directories(tmp / "run");
  // The script and a child of it (which holds the pipe too) record their pids
  // and hang.
  fs::path cli = write_cli(tmp / "bin",
                           "echo $$ > \"$here/prober\"\n"
                           "sleep 600 &\n"
                           "echo $! > \"$here/sleeper.tmp\" && mv \"$here/sleeper.tmp\" \"$here/sleeper\"\n"
                           "wait\n",
                           kLiveUntilDone);
  std::string why;
  auto live = LiveSync::start(tmp / "run", tmp / "log", {cli, milliseconds(500)}, &why);
  EXPECT_EQ(live, nullptr);
  EXPECT_EQ(why, "wandb at " + cli.string() + " did not answer `beta sync --help` within 500 ms (killed)");
  EXPECT_FALSE(fs::exists(tmp / "bin" / "args"));

  ASSERT_TRUE(fs::exists(tmp / "bin" / "prober"));
  pid_t prober = read_pid(tmp / "bin" / "prober");
  // Reaped already: not a child of this process any more (a zombie child
  // would be returned, a live one would give 0).
  errno = 0;
  EXPECT_EQ(::waitpid(prober, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_TRUE(dead(prober));

  // Its child went with it (the kill reaches the probe's process group).
  ASSERT_TRUE(eventually([&] { return fs::exists(tmp / "bin" / "sleeper"); }));
  pid_t sleeper = read_pid(tmp / "bin" / "sleeper");
  EXPECT_TRUE(eventually([&] { return dead(sleeper); }));
  if (!dead(sleeper)) ::kill(sleeper, SIGKILL);
}

TEST(LiveSync, ProbeEndsWhenItsProcessExitsEvenIfAChildHoldsThePipe) {
  TempDir tmp;
  fs::path root = tmp / "run";
  fs::create_directories(root);
  // Waiting for the end of the pipe would take the 120 s of the sleep and
  // so overrun the 20 s bound.
  fs::path cli = write_cli(tmp / "bin",
                           "printf '%s\\n' '  --live  Sync a run while it is being logged.'\n"
                           "sleep 120 &\n"
                           "echo $! > \"$here/sleeper\"\n"
                           "exit 0\n",
                           "exit 0\n");
  std::string why;
  auto live = LiveSync::start(root, tmp / "log", {cli, milliseconds(20000)}, &why);
  if (fs::exists(tmp / "bin" / "sleeper")) ::kill(read_pid(tmp / "bin" / "sleeper"), SIGKILL);
  ASSERT_NE(live, nullptr) << why;
  EXPECT_EQ(live->wait(kLong).exit_code, 0);
}

TEST(LiveSync, ReportsTheExitStatusAndAppendsToTheLog) {
  TempDir tmp;
  fs::path root = tmp / "run";
  fs::create_directories(root);
  wandb::test::write_bytes(tmp / "log", "from an earlier start\n");
  fs::path cli = write_cli(tmp / "bin", kHelpWithLive, "echo failing\nexit 3\n");
  std::string why;
  auto live = LiveSync::start(root, tmp / "log", {cli}, &why);
  ASSERT_NE(live, nullptr) << why;
  LiveSync::Result result = live->wait(kLong);
  EXPECT_TRUE(result.exited);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.signal, 0);
  EXPECT_EQ(file_text(tmp / "log"), "from an earlier start\nfailing\n");
}

TEST(LiveSync, ReportsTheSignalThatKilledIt) {
  TempDir tmp;
  fs::path root = tmp / "run";
  fs::create_directories(root);
  fs::path cli = write_cli(tmp / "bin", kHelpWithLive, "kill -TERM $$\nsleep 5\nexit 0\n");
  std::string why;
  auto live = LiveSync::start(root, tmp / "log", {cli}, &why);
  ASSERT_NE(live, nullptr) << why;
  LiveSync::Result result = live->wait(kLong);
  EXPECT_TRUE(result.exited);
  EXPECT_EQ(result.signal, SIGTERM);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_EQ(live->wait(milliseconds(0)).signal, SIGTERM);
}

TEST(LiveSync, DestructorLeavesTheUploaderToFinishAndReapsIt) {
  TempDir tmp;
  fs::path root = tmp / "run";
  fs::create_directories(root);
  fs::path cli = write_cli(tmp / "bin", kHelpWithLive, kLiveUntilDone);
  std::string why;
  auto live = LiveSync::start(root, tmp / "log", {cli}, &why);
  ASSERT_NE(live, nullptr) << why;
  pid_t pid = live->pid();
  ASSERT_TRUE(eventually([&] { return fs::exists(tmp / "bin" / "args"); }));
  live.reset();

  auto state = process_state(pid);
  ASSERT_TRUE(state.has_value());
  EXPECT_NE(*state, 'Z');  // still running, not killed
  wandb::test::write_bytes(root / "done", "");
  EXPECT_TRUE(eventually([&] { return fs::exists(tmp / "bin" / "finished"); }));
  // Reaped by the background thread: no zombie stays (the test never waits
  // for it itself).
  EXPECT_TRUE(eventually([&] { return !process_state(pid).has_value(); }));
}

TEST(LiveSync, UploaderStartsWithCleanSignalsAndOnlyItsOwnDescriptors) {
  TempDir tmp;
  fs::path root = tmp / "run";
  fs::create_directories(root);
  fs::path cli = write_cli(tmp / "bin", kHelpWithLive,
                           "for f in /proc/$$/fd/*; do readlink \"$f\"; done > \"$here/fds\"\n"
                           // What the shell was given, read after exec: the shell
                           // itself blocks signals for a while around each command.
                           "exec grep -E '^Sig(Blk|Ign)' /proc/self/status > \"$here/signals\"\n");

  // This thread blocks SIGTERM, the program ignores SIGINT, and a pipe is open
  // without close-on-exec: none of it may reach the uploader.
  sigset_t term;
  sigset_t old_mask;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &term, &old_mask), 0);
  struct sigaction ignore {};
  struct sigaction old_int {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGINT, &ignore, &old_int), 0);
  int leaked[2];
  ASSERT_EQ(::pipe(leaked), 0);

  std::string why;
  auto live = LiveSync::start(root, tmp / "log", {cli}, &why);

  ::sigaction(SIGINT, &old_int, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  struct stat pipe_stat {};
  ::fstat(leaked[1], &pipe_stat);
  ::close(leaked[0]);
  ::close(leaked[1]);

  ASSERT_NE(live, nullptr) << why;
  EXPECT_EQ(live->wait(kLong).exit_code, 0);
  std::string signals = file_text(tmp / "bin" / "signals");
  EXPECT_NE(signals.find("SigBlk:\t0000000000000000"), std::string::npos) << signals;
  auto ign = signals.find("SigIgn:\t");
  ASSERT_NE(ign, std::string::npos) << signals;
  unsigned long long ignored = std::stoull(signals.substr(ign + 8, 16), nullptr, 16);
  EXPECT_EQ(ignored & (1ull << (SIGINT - 1)), 0u) << signals;

  std::string fds = file_text(tmp / "bin" / "fds");
  EXPECT_EQ(fds.find("pipe:[" + std::to_string(pipe_stat.st_ino) + "]"), std::string::npos) << fds;
  EXPECT_NE(fds.find("/dev/null\n"), std::string::npos) << fds;
  EXPECT_NE(fds.find((tmp / "log").string() + "\n"), std::string::npos) << fds;
}

TEST(LiveSync, ReasonsForWhatCannotStart) {
  TempDir tmp;
  fs::create_directories(tmp / "run");
  std::string why;

  EXPECT_EQ(LiveSync::start(tmp / "run", tmp / "log", {tmp / "missing" / "wandb"}, &why), nullptr);
  EXPECT_EQ(why, "cannot start " + (tmp / "missing" / "wandb").string() + ": No such file or directory");

  fs::path cli = write_cli(tmp / "bin", kHelpWithLive, kLiveUntilDone);
  EXPECT_EQ(LiveSync::start(tmp / "absent", tmp / "log", {cli}, &why), nullptr);
  EXPECT_EQ(why, "cannot start live sync: run folder " + (tmp / "absent").string() + " does not exist");

  wandb::test::write_bytes(tmp / "file", "");
  EXPECT_EQ(LiveSync::start(tmp / "run", tmp / "file" / "log", {cli}, &why), nullptr);
  EXPECT_EQ(why, "cannot open live sync log " + (tmp / "file" / "log").string() + ": Not a directory");
  EXPECT_FALSE(fs::exists(tmp / "bin" / "args"));
}

}  // namespace
