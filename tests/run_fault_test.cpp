// Runs on a real file system that fills up or turns read-only mid-run: a
// small tmpfs mounted in the test process's own mount namespace. Each fault is
// reported as an IoError with the kernel's errno, the process goes on, and
// every row the run reported as written is whole, with its media.
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "run_support.h"
#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/run.h"
#include "wandb/run_file.h"

namespace fs = std::filesystem;
using wandb::Image;
using wandb::Json;

using wandb::RunOptions;

namespace {

// A tmpfs of `bytes` on a fresh folder, visible to this process only (its own
// mount namespace), unmounted at the end. Needs root or user namespaces.
class SmallFileSystem {
 public:
  explicit SmallFileSystem(size_t bytes) {
    static const std::string namespace_error = [] {
      if (::unshare(CLONE_NEWNS) != 0) return std::string("unshare: ") + std::strerror(errno);
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        return std::string("mount --make-rprivate /: ") + std::strerror(errno);
      }
      return std::string();
    }();
    error_ = namespace_error;
    if (!error_.empty()) return;
    const std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = std::string("mount tmpfs: ") + std::strerror(errno);
      return;
    }
    mounts_ = 1;
  }
  ~SmallFileSystem() {
    for (; mounts_ > 0; --mounts_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  SmallFileSystem(const SmallFileSystem&) = delete;
  SmallFileSystem& operator=(const SmallFileSystem&) = delete;

  /// Empty when mounted, else why not.
  const std::string& error() const { return error_; }
  const fs::path& path() const { return dir_.path(); }
  /// Covers the folder with a read-only view of itself (a read-only bind
  /// mount): files opened before keep their access, as after a chmod; every
  /// new file fails with EROFS, for root too.
  void make_read_only() {
    const char* path = dir_.path().c_str();
    ASSERT_EQ(::mount(path, path, nullptr, MS_BIND, nullptr), 0) << std::strerror(errno);
    ++mounts_;
    ASSERT_EQ(::mount(nullptr, path, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr), 0)
        << std::strerror(errno);
  }

 private:
  wandb::test::TempDir dir_;
  std::string error_;
  int mounts_ = 0;
};

// Noise compresses badly: each is a PNG of about 3 * side^2 bytes.
Image noisy(int side, int seed) {
  at::manual_seed(seed);
  return Image(at::randint(0, 256, {3, side, side}, at::kByte));
}

// What a reader finds: every history row whole, every media file it names
// present and decodable, the .wandb file readable up to its last whole record.
// Returns the number of rows.
size_t check_readable(const wandb::Run& run) {
  const std::vector<Json> rows = wandb::test::read_history_lines(run.dir());
  for (const Json& row : rows) {
    for (const auto& [key, value] : row.items()) {
      if (!value.is_object() || !value.contains("path")) continue;
      const fs::path media = run.dir() / value["path"].get<std::string>();
      EXPECT_TRUE(fs::exists(media)) << media;
      EXPECT_FALSE(cv::imread(media.string(), cv::IMREAD_UNCHANGED).empty()) << media;
    }
  }
  const wandb::test::RunFileView view = wandb::test::read_run_view(run.root());
  EXPECT_LE(view.history.size(), rows.size() + 1);
  for (const auto& entry : fs::recursive_directory_iterator(run.root())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos)
        << "temporary file left: " << entry.path();
  }
  return rows.size();
}

}  // namespace

TEST(RunFaults, DiskFullIsAnIoErrorAndWhatWasWrittenStaysReadable) {
  SmallFileSystem disk(1 << 20);
  if (!disk.error().empty()) GTEST_SKIP() << "cannot mount a tmpfs here: " << disk.error();
  wandb::Run run(RunOptions{.dir = disk.path(), .id = "diskfull", .workers = 1});
  run.log({{"loss", 0.5}, {"small", noisy(8, 1)}});
  // Each 256 x 256 noise image takes about 197 KB: the sixth cannot fit.
  int code = 0;
  std::string message;
  int logged = 1;
  try {
    for (int i = 0; i < 20; ++i) {
      run.log({{"loss", 0.1 * i}, {"noise", noisy(256, i + 2)}});
      ++logged;
    }
    run.finish();
  } catch (const wandb::IoError& e) {
    code = e.code();
    message = e.what();
  }
  EXPECT_EQ(code, ENOSPC) << message;
  EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
  // The run stays failed: finish() reports the failure too when log() did
  // first; then the run has ended, and the process goes on.
  if (!run.finished()) {
    EXPECT_THROW(run.finish(), wandb::IoError);
  }
  EXPECT_TRUE(run.finished());
  EXPECT_THROW(run.log({{"after", 1}}), wandb::StateError);
  EXPECT_NO_THROW(run.finish());
  const size_t rows = check_readable(run);
  EXPECT_GE(rows, 1u);
  EXPECT_LT(rows, static_cast<size_t>(logged) + 1);
}

TEST(RunFaults, FolderTurnedReadOnlyIsAnIoError) {
  SmallFileSystem disk(8 << 20);
  if (!disk.error().empty()) GTEST_SKIP() << "cannot mount a tmpfs here: " << disk.error();
  wandb::Run run(RunOptions{.dir = disk.path(), .id = "readonly", .workers = 1});
  run.log({{"loss", 0.5}, {"img", noisy(16, 1)}});
  run.log({{"loss", 0.4}, {"img", noisy(16, 2)}}, 1, true);
  // The commit above is written by the writer thread; wait for it to land.
  for (int i = 0; i < 500 && wandb::test::read_history_lines(run.dir()).size() < 2; ++i) {
    ::usleep(10000);
  }
  ASSERT_EQ(wandb::test::read_history_lines(run.dir()).size(), 2u);
  disk.make_read_only();
  int code = 0;
  try {
    run.log({{"loss", 0.3}, {"img", noisy(16, 3)}});
    run.finish();
  } catch (const wandb::IoError& e) {
    code = e.code();
  }
  EXPECT_EQ(code, EROFS);
  EXPECT_EQ(check_readable(run), 2u);
}

TEST(RunFaults, RunInAReadOnlyFolderFailsAtInit) {
  SmallFileSystem disk(1 << 20);
  if (!disk.error().empty()) GTEST_SKIP() << "cannot mount a tmpfs here: " << disk.error();
  disk.make_read_only();
  try {
    wandb::Run run(RunOptions{.dir = disk.path(), .id = "initro"});
    FAIL() << "expected IoError";
  } catch (const wandb::IoError& e) {
    EXPECT_EQ(e.code(), EROFS) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(disk.path()));
}
