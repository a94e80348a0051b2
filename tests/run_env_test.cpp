// The SDK's habits: WANDB_* environment variables, WANDB_MODE=disabled, and
// the one-line messages at init and finish.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <thread>

#include "detail/run_env.h"
#include "run_support.h"
#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/run.h"
#include "wandb/warnings.h"

namespace fs = std::filesystem;
using wandb::Json;
using wandb::RunOptions;
using wandb::Sync;
using wandb::test::expect_error;

namespace {

// A fake environment: with_environment never sees the process's own.
wandb::detail::Getenv fake(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

// Everything written to stderr (fd 2) while it lives, for the messages.
class StderrCapture {
 public:
  explicit StderrCapture(fs::path file) : file_(std::move(file)) {
    std::fflush(stderr);
    saved_ = dup(2);
    const int fd = open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
  }
  ~StderrCapture() { restore(); }
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  std::string text() const {
    std::ifstream in(file_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  fs::path file_;
  int saved_ = -1;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST(RunEnvironment, UnsetOptionsComeFromTheSdksVariables) {
  const RunOptions o = wandb::detail::with_environment(
      RunOptions{}, fake({{"WANDB_DIR", "/data/runs"},
                          {"WANDB_PROJECT", "proj"},
                          {"WANDB_ENTITY", "team"},
                          {"WANDB_NAME", "nightly"},
                          {"WANDB_RUN_GROUP", "grp"},
                          {"WANDB_JOB_TYPE", "eval"},
                          {"WANDB_NOTES", "some notes"},
                          {"WANDB_TAGS", " a, b c ,,d "},
                          {"WANDB_RUN_ID", "abc123"},
                          {"WANDB_MODE", "Disabled"},
                          {"WANDB_SILENT", "TRUE"}}));
  EXPECT_EQ(*o.dir, fs::path("/data/runs"));
  EXPECT_EQ(*o.project, "proj");
  EXPECT_EQ(*o.entity, "team");
  EXPECT_EQ(*o.name, "nightly");
  EXPECT_EQ(*o.group, "grp");
  EXPECT_EQ(*o.job_type, "eval");
  EXPECT_EQ(*o.notes, "some notes");
  EXPECT_EQ(o.tags, (std::vector<std::string>{"a", "b c", "d"}));
  EXPECT_EQ(*o.id, "abc123");
  EXPECT_EQ(*o.sync, Sync::kDisabled);
  EXPECT_TRUE(*o.silent);
}

TEST(RunEnvironment, ExplicitOptionsWinAndEmptyVariablesCountAsUnset) {
  const RunOptions o = wandb::detail::with_environment(
      RunOptions{.dir = "here", .project = "mine", .name = "explicit", .tags = {"t"}, .id = "given",
                 .sync = Sync::kOffline, .silent = false},
      fake({{"WANDB_DIR", "/elsewhere"},
            {"WANDB_PROJECT", "theirs"},
            {"WANDB_NAME", "env"},
            {"WANDB_TAGS", "x,y"},
            {"WANDB_RUN_ID", "envid"},
            {"WANDB_MODE", "disabled"},
            {"WANDB_SILENT", "true"},
            {"WANDB_ENTITY", ""}}));
  EXPECT_EQ(*o.dir, fs::path("here"));
  EXPECT_EQ(*o.project, "mine");
  EXPECT_EQ(*o.name, "explicit");
  EXPECT_EQ(o.tags, std::vector<std::string>{"t"});
  EXPECT_EQ(*o.id, "given");
  EXPECT_EQ(*o.sync, Sync::kOffline);
  EXPECT_FALSE(*o.silent);
  EXPECT_FALSE(o.entity.has_value());  // set but empty: unset
}

TEST(RunEnvironment, DefaultsWithoutAnyVariable) {
  const RunOptions o = wandb::detail::with_environment(RunOptions{}, fake({}));
  EXPECT_EQ(*o.dir, fs::path("."));
  EXPECT_EQ(*o.project, "uncategorized");
  EXPECT_FALSE(o.entity || o.name || o.group || o.job_type || o.notes || o.id);
  EXPECT_TRUE(o.tags.empty());
  EXPECT_EQ(*o.sync, Sync::kOffline);
  EXPECT_FALSE(*o.silent);
}

TEST(RunEnvironment, ModeNamesAndBadValuesNameTheVariable) {
  const auto mode = [](const std::string& value) {
    return *wandb::detail::with_environment(RunOptions{}, fake({{"WANDB_MODE", value}})).sync;
  };
  EXPECT_EQ(mode("offline"), Sync::kOffline);
  EXPECT_EQ(mode("dryrun"), Sync::kOffline);
  EXPECT_EQ(mode("online"), Sync::kLive);
  EXPECT_EQ(mode("run"), Sync::kLive);
  EXPECT_EQ(mode("disabled"), Sync::kDisabled);
  expect_error<wandb::ValueError>([&] { mode("cloud"); }, "WANDB_MODE: expected offline, online or disabled, got \"cloud\"");
  expect_error<wandb::ValueError>(
      [&] { wandb::detail::with_environment(RunOptions{}, fake({{"WANDB_SILENT", "maybe"}})); },
      "WANDB_SILENT: expected true or false, got \"maybe\"");
  EXPECT_FALSE(*wandb::detail::with_environment(RunOptions{}, fake({{"WANDB_SILENT", "off"}})).silent);
}

TEST(RunEnvironment, TheProcessEnvironmentReachesTheRun) {
  // The one test that sets the real environment: ctest runs each test in its
  // own process, so no other thread reads it meanwhile.
  wandb::test::TempDir tmp;
  setenv("WANDB_DIR", tmp.path().c_str(), 1);
  setenv("WANDB_PROJECT", "from-env", 1);
  setenv("WANDB_RUN_ID", "envrun1", 1);
  setenv("WANDB_SILENT", "true", 1);
  {
    wandb::Run run(RunOptions{.metadata = false, .stats_interval = std::chrono::milliseconds(0)});
    EXPECT_EQ(run.id(), "envrun1");
    EXPECT_EQ(run.root().parent_path(), tmp.path() / "wandb");
    run.finish();
    const auto view = wandb::test::read_run_view(run.root());
    EXPECT_EQ(view.contents.records[1].json["run"]["project"], "from-env");
  }
  setenv("WANDB_MODE", "sometimes", 1);
  expect_error<wandb::ValueError>([&] { wandb::Run run(RunOptions{.dir = tmp.path() / "other"}); }, "WANDB_MODE");
  EXPECT_FALSE(fs::exists(tmp.path() / "other"));
  for (const char* name : {"WANDB_DIR", "WANDB_PROJECT", "WANDB_RUN_ID", "WANDB_SILENT", "WANDB_MODE"}) unsetenv(name);
}

TEST(RunDisabled, AcceptsEveryCallChecksThemAndWritesNothing) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .console = wandb::Console::kTee, .sync = Sync::kDisabled});
  EXPECT_EQ(run.id().size(), 8u);
  EXPECT_TRUE(run.root().empty());
  EXPECT_TRUE(run.dir().empty());
  const wandb::Image img(at::rand({3, 16, 16}));
  run.log({{"img", img}, {"imgs", std::vector<wandb::Image>{img, img}}, {"loss", 0.5}});
  EXPECT_EQ(run.step(), 1);
  run.log({{"a", 1}}, 5);
  EXPECT_EQ(run.step(), 5);  // open until a later step, as in a real run
  run.log({{"a", 2}}, 7, true);
  EXPECT_EQ(run.step(), 8);
  run.summary("best", img);
  run.config({{"lr", 0.1}});
  EXPECT_EQ(run.config()["lr"], 0.1);
  run.define_metric("val/*", {.step_metric = "epoch"});
  // Still checked: a bad call fails as in a real run.
  expect_error<wandb::ValueError>([&] { run.log({{"bad\xff", 1}}); }, "UTF-8");
  expect_error<wandb::ValueError>([&] { run.define_metric(""); }, "define_metric");
  run.finish();
  EXPECT_TRUE(run.finished());
  expect_error<wandb::StateError>([&] { run.log({{"a", 1}}); }, "finished");
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(RunMessages, InitSaysWhereAndFinishSaysHowToSync) {
  wandb::test::TempDir tmp;
  StderrCapture err(tmp.path() / "stderr.txt");
  fs::path root;
  {
    wandb::Run run(RunOptions{.dir = tmp.path() / "runs", .metadata = false,
                              .stats_interval = std::chrono::milliseconds(0), .silent = false});
    root = fs::absolute(run.root()).lexically_normal();
    run.log({{"a", 1}});
    run.finish();
  }
  {
    wandb::Run quiet(RunOptions{.dir = tmp.path() / "runs", .metadata = false,
                                .stats_interval = std::chrono::milliseconds(0), .silent = true});
    quiet.finish();
  }
  err.restore();
  const std::vector<std::string> lines = lines_of(err.text());
  ASSERT_EQ(lines.size(), 2u) << err.text();
  EXPECT_EQ(lines[0], "wandb: offline run, saved in " + root.string());
  EXPECT_EQ(lines[1], "wandb: upload this run to W&B with: wandb sync " + root.string());
}

TEST(RunMessages, AFinishThatWaitsSaysHowManyImagesRemain) {
  // The writer is held inside the warning handler (a preview it cannot write,
  // because previews/ is a file) until finish() has said what it waits for.
  wandb::test::TempDir tmp;
  StderrCapture err(tmp.path() / "stderr.txt");
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  wandb::set_warning_handler([released](const std::string&) { released.wait(); });
  wandb::Run run(RunOptions{.dir = tmp.path() / "runs", .workers = 1, .previews = true,
                            .metadata = false, .stats_interval = std::chrono::milliseconds(0), .silent = false});
  std::ofstream(run.root() / "previews") << "not a folder";
  const wandb::Image img(at::rand({3, 8, 8}));
  run.log({{"img", img}, {"more", std::vector<wandb::Image>{wandb::Image(at::rand({3, 8, 8}))}}});
  std::thread watcher([&] {
    for (int i = 0; i < 400 && err.text().find("finishing") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    release.set_value();
  });
  run.finish();
  watcher.join();
  wandb::set_warning_handler(nullptr);
  err.restore();
  const std::string text = err.text();
  EXPECT_NE(text.find("wandb: finishing: writing "), std::string::npos) << text;
  EXPECT_NE(text.find(" queued image"), std::string::npos) << text;
}
