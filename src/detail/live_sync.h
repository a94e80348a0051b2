// Live upload of an offline run while it is written: starts the official CLI's
// `wandb beta sync --live <run folder>` (wandb >= 0.24) next to the program.
// The CLI follows the transaction log, treats a torn tail as not yet written
// and exits by itself once it has read the Exit record; on SIGINT it closes
// the run as crashed (exit status 1). So this module never signals the
// uploader: a run that finished must not be marked crashed.
//
// Process group: the uploader stays in the caller's process group, so a
// Ctrl-C in the terminal reaches the program and the uploader together.
//   - A program killed by Ctrl-C (no SIGINT handler: the usual case) writes no
//     Exit record. An uploader out of reach of the keystroke would follow the
//     file forever (the CLI documents that `--live` hangs when the writer dies
//     without finishing): an orphan nobody stops, its run "running" on the
//     server. In the same group it closes the run as crashed, which is what
//     happened, and exits.
//   - The price: a program that catches SIGINT and still calls finish() gets a
//     run marked crashed on the server although its local folder is complete
//     (the uploader stopped at the keystroke); and a Ctrl-C while the program
//     runs on after finish(), before the uploader is done, stops the upload
//     the same way. The folder can be uploaded again by hand.
//   - Neither group helps when the program dies by SIGKILL, an OOM kill or a
//     crash: nothing tells the uploader, which then waits for the Exit record
//     until someone kills it (pid() and command_line() are for that message).
//     Fixing that needs a watchdog process between the two, which this module
//     does not have.
// Terminal job control (Ctrl-Z, SIGHUP to the foreground job) treats the
// uploader as part of the program's job, for the same reasons.
//
// The uploader starts with the signal mask empty and every signal at its
// default action (a program that blocks or ignores SIGINT must not hand that
// to it), stdin from /dev/null, stdout and stderr appended to a log file, and
// no other descriptor of the program (an inherited pipe would keep a reader
// of the program's output waiting for the uploader's end).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

namespace wandb::detail {

struct LiveSyncOptions {
  /// The wandb program. Empty: the first executable regular file named
  /// "wandb" in $PATH (an empty PATH entry is the current folder; no PATH:
  /// none). A name without a slash is looked up in $PATH the same way; a
  /// path with a slash is used as it is.
  std::filesystem::path cli;
  /// Bound for the capability probe (`<cli> beta sync --help`).
  std::chrono::milliseconds probe_timeout{30000};
};

/// One running `wandb beta sync --live` uploader, a child of this process.
/// Not copyable or movable; wait() may be called from any thread.
class LiveSync {
 public:
  /// Finds the CLI, probes it and starts the uploader for the run folder
  /// `root`. Returns nullptr and sets `*why` (when `why` is not null) to a
  /// one-line reason when it cannot; never throws for these:
  ///   "no `wandb` on PATH"
  ///   "cannot start live sync: run folder <root> does not exist"
  ///   "cannot start <cli>: <strerror>"              (spawning failed)
  ///   "wandb at <cli> did not answer `beta sync --help` within <n> ms"
  ///   "wandb at <cli> has no `beta sync --live` (wandb >= 0.24 needed)"
  ///   "cannot open live sync log <log_path>: <strerror>"
  /// Only std::bad_alloc may leave.
  ///
  /// The probe runs `<cli> beta sync --help`, stdout and stderr read through a
  /// pipe, in a process group of its own; the CLI qualifies when the text
  /// mentions "--live" (the exit status is only quoted in the reason). A probe
  /// still running after `probe_timeout` is killed with SIGKILL, with its
  /// whole process group (a script's children too), and reaped. The probe is
  /// done when its process exits, even when a child it left behind still holds
  /// the pipe.
  ///
  /// Then `<cli> beta sync --live <absolute root>` is started with posix_spawn
  /// (no shell: any byte in the path is passed as it is; absolute, so a root
  /// starting with '-' cannot read as an option), in the caller's process
  /// group (see the file comment), its output appended to `log_path` (created
  /// with its parent folders, mode 0644 before the umask).
  static std::unique_ptr<LiveSync> start(const std::filesystem::path& root,
                                         const std::filesystem::path& log_path,
                                         const LiveSyncOptions& options, std::string* why);

  struct Result {
    bool exited = false;  ///< false: still running when the bound passed
    int exit_code = -1;   ///< its exit status when it exited normally
    int signal = 0;       ///< the signal that killed it
    // exited with exit_code -1 and signal 0: it exited but its status is
    // unknown, because something else reaped it (SIGCHLD set to SIG_IGN, or a
    // waitpid(-1) elsewhere in the program).
  };

  /// Waits up to `bound` (zero or less: one look) for the uploader to exit,
  /// looking every 20 ms at most. Once it has exited, every call returns the
  /// same result at once.
  Result wait(std::chrono::milliseconds bound);

  pid_t pid() const noexcept { return pid_; }

  /// The command as a shell would take it, for messages: the CLI's path, then
  /// `beta sync --live` and the root, each word quoted ('...') when it holds
  /// anything but letters, digits and -_./:=,+@%.
  std::string command_line() const;

  /// Never kills the uploader (that would mark the run crashed). If it is
  /// still running it is left to finish on its own and is reaped by a detached
  /// thread that waits for it (all signals blocked, so the program's signal
  /// handlers never run there): no zombie stays while the program runs on, and
  /// if the program exits first the uploader carries on, adopted by init. Only
  /// if that thread cannot be created is the zombie left for the OS to clear at
  /// the program's exit.
  ~LiveSync();

  LiveSync(const LiveSync&) = delete;
  LiveSync& operator=(const LiveSync&) = delete;

 private:
  LiveSync(pid_t pid, std::filesystem::path cli, std::filesystem::path root);

  pid_t pid_;
  std::filesystem::path cli_;
  std::filesystem::path root_;
  std::mutex mu_;  // one waitpid at a time: a second one after the reap could
                   // take another child that reused the pid
  Result result_;
};

}  // namespace wandb::detail
