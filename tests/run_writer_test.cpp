// The run's threads: log() only queues (no file I/O on the caller's thread),
// one writer thread writes every file, and the warning handler runs with no
// lock held, so a handler may log into the run it is warning about, from the
// caller's thread or from the run's own threads.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <stdexcept>
#include <thread>

#include <opencv2/core.hpp>

#include "detail/file_io.h"
#include "run_support.h"
#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/run.h"
#include "wandb/warnings.h"

namespace fs = std::filesystem;
using wandb::Image;
using wandb::Json;
using wandb::RunOptions;

namespace {

Image small_image(uint8_t value) { return Image(cv::Mat(4, 4, CV_8UC3, cv::Scalar(value, 0, 0))); }

// Runs `body` on another thread; a body that has not returned after a minute
// has deadlocked: the test process ends with a message instead of hanging CI.
void within_a_minute(const std::function<void()>& body) {
  std::packaged_task<void()> task(body);
  std::future<void> done = task.get_future();
  std::thread t(std::move(task));
  if (done.wait_for(std::chrono::minutes(1)) != std::future_status::ready) {
    std::fprintf(stderr, "deadlock: the test body did not return within a minute\n");
    std::_Exit(3);
  }
  t.join();
  done.get();  // rethrows a failure of the body
}

// Per-thread write accounting from the kernel (/proc/thread-self/io).
struct ThreadWrites {
  long long syscalls = 0;
  long long bytes = 0;
};

ThreadWrites thread_writes() {
  std::ifstream in("/proc/thread-self/io");
  ThreadWrites w;
  std::string name;
  long long value = 0;
  while (in >> name >> value) {
    if (name == "syscw:") w.syscalls = value;
    if (name == "wchar:") w.bytes = value;
  }
  return w;
}

// Restores the default handler when a test ends, whatever happens.
struct HandlerScope {
  explicit HandlerScope(wandb::WarningHandler h) { wandb::set_warning_handler(std::move(h)); }
  ~HandlerScope() { wandb::set_warning_handler(nullptr); }
};

}  // namespace

TEST(RunWriter, ScalarLogWritesNoFileOnTheCallersThread) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  ASSERT_TRUE(fs::exists("/proc/thread-self/io")) << "the kernel has no per-thread I/O accounting";
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Their runtimes probe memory by write()ing it to an internal pipe (UBSan's
  // vptr check among others), which this accounting cannot tell from a file.
  GTEST_SKIP() << "sanitizer runtimes issue write calls of their own on every thread";
#endif
  const ThreadWrites before = thread_writes();
  for (int i = 0; i < 50; ++i) run.log({{"loss", 1.0 / (i + 1)}, {"epoch", i / 10}});
  const ThreadWrites after = thread_writes();
  EXPECT_EQ(after.syscalls, before.syscalls) << "log() issued write system calls on the caller's thread";
  EXPECT_EQ(after.bytes, before.bytes);
  run.finish();
  const auto rows = wandb::test::read_history_lines(run.dir());
  ASSERT_EQ(rows.size(), 50u);  // the writer wrote them all
  EXPECT_EQ(rows[49]["_step"], 49);
  EXPECT_EQ(wandb::test::read_run_view(run.root()).history.size(), 50u);
}

TEST(RunWriter, HandlerThatLogsIntoTheSameRunDoesNotDeadlock) {
  wandb::test::TempDir tmp;
  within_a_minute([&] {
    wandb::Run run(RunOptions{.dir = tmp.path(), .workers = 1});
    HandlerScope handler([&](const std::string& m) { run.log({{"warning", m}}); });
    run.log({{"a", 1}}, 5);
    run.log({{"a", 2}}, 3);  // below the current step: warns, and the handler logs at step 5
    std::vector<Image> many;
    for (int i = 0; i < Image::MAX_ITEMS + 1; ++i) many.push_back(small_image(static_cast<uint8_t>(i)));
    run.log({{"many", many}});  // over MAX_ITEMS: warns first, then is logged truncated
    run.finish();
    const auto rows = wandb::test::read_history_lines(run.dir());
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0]["_step"], 5);
    EXPECT_EQ(rows[0]["a"], 1);
    EXPECT_NE(rows[0]["warning"].get<std::string>().find("less than the current step"), std::string::npos);
    EXPECT_EQ(rows[1]["_step"], 6);
    EXPECT_NE(rows[1]["warning"].get<std::string>().find("Only 108 Image"), std::string::npos);
    EXPECT_EQ(rows[2]["_step"], 7);
    EXPECT_EQ(rows[2]["many"]["count"], Image::MAX_ITEMS);
  });
}

TEST(RunWriter, HandlerThatThrowsReachesTheCallerAndLeavesTheRunUsable) {
  wandb::test::TempDir tmp;
  within_a_minute([&] {
    wandb::Run run(RunOptions{.dir = tmp.path()});
    HandlerScope handler([](const std::string& m) { throw std::runtime_error("handler: " + m); });
    run.log({{"a", 1}}, 5);
    EXPECT_THROW(run.log({{"a", 2}}, 3), std::runtime_error);
    std::vector<Image> many(Image::MAX_ITEMS + 1, small_image(1));
    EXPECT_THROW(run.log({{"many", many}}), std::runtime_error);  // refused before it is queued
    run.log({{"b", 2}});  // no lock was left held
    run.finish();
    const auto rows = wandb::test::read_history_lines(run.dir());
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["a"], 1);
    EXPECT_EQ(rows[0]["b"], 2);
    EXPECT_FALSE(rows[0].contains("many"));
  });
}

TEST(RunWriter, HandlerCalledFromTheWriterThreadMayLogIntoTheRun) {
  wandb::test::TempDir tmp;
  within_a_minute([&] {
    wandb::Run run(RunOptions{.dir = tmp.path(), .previews = true});
    // A file where the previews folder should be: the writer cannot write
    // the preview, and warns from its own thread.
    std::ofstream(run.root() / "previews") << "in the way";
    std::promise<std::thread::id> warned_on;
    std::future<std::thread::id> warned = warned_on.get_future();
    std::atomic<bool> first{true};
    HandlerScope handler([&](const std::string& m) {
      if (m.find("preview") == std::string::npos || !first.exchange(false)) return;
      run.log({{"preview_failed", true}});  // from the writer thread: must not wait for itself
      EXPECT_THROW(run.finish(), wandb::StateError);  // finish() there would wait for itself
      warned_on.set_value(std::this_thread::get_id());
    });
    run.log({{"img", small_image(7)}});
    ASSERT_EQ(warned.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_NE(warned.get(), std::this_thread::get_id());
    run.finish();
    const auto rows = wandb::test::read_history_lines(run.dir());
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_TRUE(rows[0].contains("img"));  // the logged image is complete without its preview
    EXPECT_EQ(rows[1]["preview_failed"], true);
  });
}

TEST(RunWriter, HandlerThatThrowsOnABackgroundThreadDoesNotEndTheProcess) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .previews = true});
  std::ofstream(run.root() / "previews") << "in the way";
  HandlerScope handler([](const std::string&) { throw std::runtime_error("handler refused"); });
  testing::internal::CaptureStderr();
  run.log({{"img", small_image(9)}});
  run.finish();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("preview"), std::string::npos) << err;
  EXPECT_NE(err.find("handler refused"), std::string::npos) << err;
  EXPECT_EQ(wandb::test::read_history_lines(run.dir()).size(), 1u);
}

// The exit code of the run's Exit record.
int64_t exit_code_of(const fs::path& root) {
  for (const auto& r : wandb::test::read_run_view(root).contents.records) {
    if (r.kind == "exit") return r.json["exit"].value("exit_code", int64_t{0});
  }
  return -1;
}

TEST(RunWriter, BackgroundFailureKeepsItsTypeAndErrno) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  // A file where the media folder should be: the image's file cannot be written.
  std::ofstream(run.dir() / "media") << "in the way";
  run.log({{"img", small_image(3)}});
  // The next log() after the writer has met the failure reports it, as IoError.
  bool reported = false;
  for (int i = 0; i < 1000 && !reported; ++i) {
    try {
      run.log({{"x", i}});
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } catch (const wandb::IoError& e) {
      reported = true;
      EXPECT_NE(e.code(), 0);
      EXPECT_NE(std::string(e.what()).find("earlier log failed"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(reported);
  try {
    run.finish();
    ADD_FAILURE() << "finish() reported success for a row that was not written";
  } catch (const wandb::IoError& e) {
    EXPECT_NE(e.code(), 0);
  }
  // A failed run stays failed: the row that failed and every row after it
  // are not written; the end records still say how it ended.
  EXPECT_TRUE(wandb::test::read_history_lines(run.dir()).empty());
  EXPECT_EQ(exit_code_of(run.root()), 1);
}

TEST(RunWriter, RemovedRunFolderIsReportedAndNotMadeAgain) {
  wandb::test::TempDir tmp;
  for (const bool with_image : {false, true}) {
    SCOPED_TRACE(with_image ? "image row" : "scalar row");
    wandb::Run run(RunOptions{.dir = tmp.path()});
    run.log({{"before", 1}});
    fs::remove_all(run.root());
    bool reported = false;
    for (int i = 0; i < 1000 && !reported; ++i) {
      try {
        if (with_image) {
          run.log({{"img", small_image(static_cast<uint8_t>(i))}});
        } else {
          run.log({{"x", i}});
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      } catch (const wandb::IoError& e) {
        reported = true;
        EXPECT_EQ(e.code(), ENOENT) << e.what();
      }
    }
    EXPECT_TRUE(reported) << "log() kept reporting success after the run folder was removed";
    EXPECT_THROW(run.finish(), wandb::IoError);
    EXPECT_FALSE(fs::exists(run.root())) << "the removed run folder was made again";
  }
}

// ---- power-loss ordering: media and folders synced before the row -------------

TEST(RunDurability, WritesNoteEveryFolderThatMustReachTheDisk) {
  using wandb::detail::FolderSync;
  wandb::test::TempDir tmp;
  const fs::path base = tmp.path() / "files";
  fs::create_directories(base);
  FolderSync sync;
  const std::string data = "bytes";
  wandb::detail::write_file_atomic(base / "media" / "images" / "a.png", data.data(), data.size(),
                                   wandb::detail::Existing::kKeep, base, &sync);
  // The new folders' entries live in their parents: all three are noted.
  EXPECT_EQ(wandb::test::file_text(base / "media" / "images" / "a.png"), "bytes");
  EXPECT_FALSE(sync.empty());
  sync.sync();
  EXPECT_TRUE(sync.empty());
  // A folder removed before it is synced: the sync fails, typed, with errno.
  wandb::detail::write_file_atomic(base / "media" / "b.png", data.data(), data.size(),
                                   wandb::detail::Existing::kReplace, base, &sync);
  fs::remove_all(base / "media");
  try {
    sync.sync();
    FAIL() << "expected IoError";
  } catch (const wandb::IoError& e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("cannot sync folder"), std::string::npos) << e.what();
  }
}

TEST(RunDurability, RowsAndMediaAreTheSameWithAndWithoutSyncing) {
  wandb::test::TempDir tmp;
  for (bool sync : {true, false}) {
    SCOPED_TRACE(sync);
    wandb::Run run(wandb::RunOptions{.dir = tmp.path(), .id = sync ? "synced01" : "unsynced", .workers = 1,
                                     .sync_media = sync});
    run.log({{"img", wandb::Image(at::zeros({3, 4, 4}))}, {"nested", wandb::Row{{"img", wandb::Image(at::ones({3, 4, 4}))}}}});
    run.finish();
    EXPECT_EQ(wandb::test::read_history_lines(run.dir()).size(), 1u);
    EXPECT_EQ(wandb::test::media_files(run.dir()).size(), 2u);
  }
}
