// What the W&B UI gets from a run's records: an honest exit code, the init
// config in the Run record, a summary after every row, and define_metric's
// Metric records (field names as in the SDK's wandb_internal.proto).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <stdexcept>

#include "run_support.h"
#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/run.h"
#include "wandb/run_file.h"
#include "wandb/version.h"
#include "wandb/warnings.h"

namespace fs = std::filesystem;
using wandb::Json;
using wandb::MetricOptions;
using wandb::RunOptions;
using wandb::test::expect_error;

namespace {

// The records of one kind, as JSON.
std::vector<Json> records_of(const fs::path& root, const std::string& kind) {
  std::vector<Json> out;
  for (const auto& r : wandb::test::read_run_view(root).contents.records) {
    if (r.kind == kind) out.push_back(r.json[kind]);
  }
  return out;
}

int exit_code(const fs::path& root) {
  const std::vector<Json> exits = records_of(root, "exit");
  return exits.size() == 1 ? exits[0].value("exit_code", 0) : -1;
}

// Collects warnings for the scope of a test.
struct Warnings {
  std::vector<std::string> seen;
  Warnings() {
    wandb::set_warning_handler([this](const std::string& m) { seen.push_back(m); });
  }
  ~Warnings() { wandb::set_warning_handler(nullptr); }
};

}  // namespace

TEST(RunExit, AnExceptionLeavingTheRunsScopeRecordsExitCode1) {
  wandb::test::TempDir tmp;
  Warnings warnings;
  fs::path root;
  try {
    wandb::Run run(RunOptions{.dir = tmp.path(), .id = "crashed1"});
    root = run.root();
    run.log({{"loss", 1.5}});
    throw std::runtime_error("training diverged");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(exit_code(root), 1);
  ASSERT_EQ(warnings.seen.size(), 1u);
  EXPECT_EQ(warnings.seen[0], "run crashed1 ends with exit code 1: an exception is leaving its scope");
}

TEST(RunExit, NormalScopeEndAndExplicitFinishKeepTheirCodes) {
  wandb::test::TempDir tmp;
  fs::path ended, finished;
  {
    wandb::Run run(RunOptions{.dir = tmp.path(), .id = "ended001"});
    ended = run.root();
  }
  try {
    wandb::Run run(RunOptions{.dir = tmp.path(), .id = "finished"});
    finished = run.root();
    run.finish(0);  // finished before the exception: the program said it succeeded
    throw std::runtime_error("after the run");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(exit_code(ended), 0);
  EXPECT_EQ(exit_code(finished), 0);
}

// A run made and ended inside a destructor that runs during unwinding: the
// exception in flight is not its own, so it succeeded.
TEST(RunExit, ARunInsideUnwindingCodeCountsOnlyItsOwnExceptions) {
  wandb::test::TempDir tmp;
  fs::path root;
  struct Cleanup {
    const fs::path& dir;
    fs::path& root;
    ~Cleanup() {
      wandb::Run run(RunOptions{.dir = dir, .id = "cleanup1"});
      root = run.root();
    }
  };
  try {
    Cleanup cleanup{tmp.path(), root};
    throw 1;
  } catch (int) {
  }
  EXPECT_EQ(exit_code(root), 0);
}

TEST(RunRecordConfig, InitConfigIsInTheRunRecordAndLaterChangesInConfigRecords) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .config = Json{{"lr", 0.1}, {"arch", "resnet"}}});
  run.log({{"loss", 1.0}});
  run.config({{"batch", 32}});
  run.log({{"loss", 0.5}});
  run.finish();
  const std::vector<Json> runs = records_of(run.root(), "run");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["config"], Json::parse(R"({"update": [{"key": "lr", "value_json": "0.1"},
                                                           {"key": "arch", "value_json": "\"resnet\""}]})"));
  // No Config record for the init config; the change is one, with the whole config.
  const std::vector<Json> configs = records_of(run.root(), "config");
  ASSERT_EQ(configs.size(), 1u);
  EXPECT_EQ(configs[0]["update"].size(), 3u);
  EXPECT_EQ(configs[0]["update"][2]["key"], "batch");
  // config.yaml is there from the start.
  EXPECT_NE(wandb::test::file_text(run.dir() / "config.yaml").find("\"arch\""), std::string::npos);
}

TEST(RunRecordSummary, EveryRowIsFollowedByASummaryOfItsValues) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .metadata = false, .stats_interval = std::chrono::milliseconds(0)});
  run.log({{"loss", 1.0}});
  run.log({{"loss", 0.5}, {"acc", 0.9}});
  run.summary("best", 0.25);
  run.finish();
  const auto& records = wandb::test::read_run_view(run.root()).contents.records;
  std::vector<std::string> kinds;
  for (const auto& r : records) kinds.push_back(r.kind);
  const std::vector<std::string> expected = {"header",  "run",     "history", "summary", "history",
                                             "summary", "summary", "summary", "exit",    "final"};
  EXPECT_EQ(kinds, expected);
  EXPECT_EQ(records[5].json["summary"]["update"][1]["key"], "acc");
  EXPECT_EQ(records[5].json["summary"]["update"][1]["value_json"], "0.9");
  EXPECT_EQ(records[6].json["summary"]["update"][0]["key"], "best");
  // The history copy is beside files/, not in it (sync uploads files/).
  EXPECT_TRUE(fs::exists(run.root() / "history.jsonl"));
  EXPECT_FALSE(fs::exists(run.dir() / "wandb-history.jsonl"));
}

TEST(RunMetrics, DefineMetricWritesTheSdksRecords) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  run.define_metric("epoch", {.hidden = true});
  run.define_metric("val/loss", {.step_metric = "epoch", .summary = "min,max", .goal = "minimize"});
  run.define_metric("acc", {.step_metric = "batch", .step_sync = false, .summary = "best", .goal = "Max"});
  run.finish();
  const std::vector<Json> metrics = records_of(run.root(), "metric");
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_EQ(metrics[0], Json::parse(R"({"name": "epoch", "options": {"hidden": true, "defined": true}})"));
  EXPECT_EQ(metrics[1], Json::parse(R"({"name": "val/loss", "step_metric": "epoch",
      "options": {"step_sync": true, "defined": true}, "summary": {"min": true, "max": true},
      "goal": "GOAL_MINIMIZE"})"));
  // An undefined step metric is defined first, on the metric's behalf.
  EXPECT_EQ(metrics[2], Json::parse(R"({"name": "batch"})"));
  EXPECT_EQ(metrics[3], Json::parse(R"({"name": "acc", "step_metric": "batch",
      "options": {"defined": true}, "summary": {"best": true}, "goal": "GOAL_MAXIMIZE"})"));
}

TEST(RunMetrics, StepSyncAndGlobsApplyToLaterRows) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  run.define_metric("val/*", {.step_metric = "epoch"});
  run.log({{"epoch", 1}, {"val/loss", 0.5}});
  run.log({{"val/loss", 0.4}, {"val/acc", 0.8}});  // no epoch: the last one is added
  run.log({{"train/loss", 0.3}});                  // matches no metric: unchanged
  run.finish();
  const std::vector<Json> rows = wandb::test::read_history_lines(run.dir());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1]["epoch"], 1);
  EXPECT_FALSE(rows[2].contains("epoch"));
  const std::vector<Json> metrics = records_of(run.root(), "metric");
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_EQ(metrics[0], Json::parse(R"({"name": "epoch"})"));
  EXPECT_EQ(metrics[1]["glob_name"], "val/*");
  // Each key a glob matches gets its own record when first logged.
  EXPECT_EQ(metrics[2]["name"], "val/loss");
  EXPECT_EQ(metrics[2]["expanded_from_glob"], true);
  EXPECT_EQ(metrics[2]["step_metric"], "epoch");
  EXPECT_EQ(metrics[3]["name"], "val/acc");
}

TEST(RunMetrics, BadDefinitionsAreValueErrors) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  expect_error<wandb::ValueError>([&] { run.define_metric(""); }, "define_metric: expected a metric name, got \"\"");
  expect_error<wandb::ValueError>([&] { run.define_metric("a", {.summary = "min, max"}); },
                                  "define_metric summary: expected min, max, mean, best, last, copy or none, "
                                  "got \" max\"");
  expect_error<wandb::ValueError>([&] { run.define_metric("a", {.goal = "lowest"}); },
                                  "define_metric goal: expected \"minimize\" or \"maximize\", got \"lowest\"");
  expect_error<wandb::ValueError>([&] { run.define_metric(std::string("a\xff")); }, "UTF-8");
  expect_error<wandb::ValueError>([&] { run.define_metric("a", {.step_metric = ""}); }, "step_metric");
  run.finish();
  expect_error<wandb::StateError>([&] { run.define_metric("a"); }, "finished");
  EXPECT_TRUE(records_of(run.root(), "metric").empty());
}

// ---- the Overview, System and Logs tabs, and live upload ---------------------------

namespace {

std::vector<wandb::RunFileRecord> all_records(const fs::path& root) {
  return wandb::test::read_run_view(root).contents.records;
}

// Reads the run file until a record of `kind` is there (the writer thread
// writes it in the background); false after a minute.
bool wait_for_record(const fs::path& root, const std::string& kind) {
  for (int i = 0; i < 600; ++i) {
    for (const auto& r : all_records(root)) {
      if (r.kind == kind) return true;
    }
    ::usleep(100 * 1000);
  }
  return false;
}

}  // namespace

TEST(RunMetadata, MetadataFileIsWrittenAndNamedByAFilesRecord) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .stats_interval = std::chrono::milliseconds(0)});
  run.finish();
  const Json meta = Json::parse(wandb::test::file_text(run.dir() / "wandb-metadata.json"));
  for (const char* key : {"os", "host", "args", "program", "executable", "startedAt", "cpu_count_logical",
                          "memory", "disk"}) {
    EXPECT_TRUE(meta.contains(key)) << key;
  }
  EXPECT_EQ(meta["state"], "running");
  EXPECT_EQ(meta["wandb_image"]["version"], wandb::version());
  EXPECT_TRUE(meta["wandb_image"].contains("libtorch"));
  const auto records = all_records(run.root());
  ASSERT_GE(records.size(), 3u);
  EXPECT_EQ(records[2].kind, "files");
  EXPECT_EQ(records[2].json["files"]["files"][0],
            Json::parse(R"({"path": "wandb-metadata.json", "type": "WANDB"})"));
}

TEST(RunStats, SamplesBecomeStatsRecordsWithTheSdksKeys) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .stats_interval = std::chrono::milliseconds(50)});
  run.log({{"loss", 1.0}});
  ASSERT_TRUE(wait_for_record(run.root(), "stats"));
  run.finish();
  std::set<std::string> keys;
  for (const auto& r : all_records(run.root())) {
    if (r.kind != "stats") continue;
    EXPECT_TRUE(r.json["stats"].contains("timestamp"));
    for (const auto& item : r.json["stats"]["item"]) keys.insert(item["key"].get<std::string>());
  }
  for (const char* key : {"cpu", "memory", "proc.memory.rssMB", "proc.memory.availableMB", "proc.cpu.threads",
                          "disk.\\.usagePercent", "network.sent"}) {
    EXPECT_TRUE(keys.count(key)) << key;
  }
}

TEST(RunConsole, TeeRecordsStdoutAndStderrAsTheSdkDoes) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .stats_interval = std::chrono::milliseconds(0),
                            .console = wandb::Console::kTee});
  // A second capture in the same process cannot start: nothing is created.
  expect_error<wandb::StateError>(
      [&] { wandb::Run other(RunOptions{.dir = tmp.path() / "other", .console = wandb::Console::kTee}); }, "");
  EXPECT_FALSE(fs::exists(tmp.path() / "other"));
  std::printf("printed by printf\n");
  std::fflush(stdout);
  std::cerr << "printed to stderr" << std::endl;
  ASSERT_EQ(std::system("echo printed by a child"), 0);
  std::printf("no newline at the end");
  std::fflush(stdout);
  run.finish();
  std::printf("\n");  // after finish: not captured
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& r : all_records(run.root())) {
    if (r.kind != "output_raw") continue;
    got.emplace_back(r.json["output_raw"].value("output_type", "STDERR"), r.json["output_raw"]["line"]);
    EXPECT_TRUE(r.json["output_raw"].contains("timestamp"));
  }
  const auto has = [&](const std::string& type, const std::string& line) {
    return std::find(got.begin(), got.end(), std::pair{type, line}) != got.end();
  };
  EXPECT_TRUE(has("STDOUT", "printed by printf"));
  EXPECT_TRUE(has("STDOUT", "\n"));  // the newline is a record of its own
  EXPECT_TRUE(has("STDERR", "printed to stderr"));
  EXPECT_TRUE(has("STDOUT", "printed by a child"));
  EXPECT_TRUE(has("STDOUT", "no newline at the end"));
  // Console records come before the end of the run.
  const auto records = all_records(run.root());
  EXPECT_EQ(records[records.size() - 2].kind, "exit");
}

namespace {

// A stand-in for the wandb CLI: answers the probe with `help` and, when
// started on a run, writes its arguments to <run>/live-args.txt, then waits
// for the run file's Final record and exits with `status`.
fs::path fake_wandb(const fs::path& dir, const std::string& help, int status) {
  fs::create_directories(dir / "bin");  // not dir/wandb: that is the runs' folder
  const fs::path path = dir / "bin" / "wandb";
  std::ofstream(path) << "#!/bin/sh\n"
                      << "if [ \"$1 $2 $3\" = \"beta sync --help\" ]; then echo '" << help << "'; exit 0; fi\n"
                      << "echo \"$@\" > \"$4/live-args.txt\"\n"
                      << "i=0\n"
                      << "while [ $i -lt 1200 ]; do\n"
                      << "  f=$(ls \"$4\"/run-*.wandb)\n"
                      << "  if [ \"$(tail -c 3 \"$f\" | od -An -tx1 | tr -d ' \\n')\" = a20100 ]; then\n"
                      << "    echo final >> \"$4/live-args.txt\"; exit " << status << "\n"
                      << "  fi\n"
                      << "  sleep 0.05; i=$((i+1))\n"
                      << "done\n"
                      << "exit 9\n";
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

}  // namespace

TEST(RunLive, LiveSyncFollowsTheRunToItsEnd) {
  wandb::test::TempDir tmp;
  Warnings warnings;
  const fs::path cli = fake_wandb(tmp.path(), "  --live  upload while the run is written", 0);
  wandb::Run run(RunOptions{.dir = tmp.path(), .stats_interval = std::chrono::milliseconds(0),
                            .sync = wandb::Sync::kLive, .wandb_program = cli});
  run.log({{"loss", 1.0}});
  run.finish();
  EXPECT_EQ(wandb::test::file_text(run.root() / "live-args.txt"),
            "beta sync --live " + fs::absolute(run.root()).string() + "\nfinal\n");
  EXPECT_TRUE(warnings.seen.empty()) << warnings.seen.front();
}

TEST(RunLive, NoLiveCapableWandbWarnsAndStaysOffline) {
  wandb::test::TempDir tmp;
  Warnings warnings;
  const fs::path cli = fake_wandb(tmp.path(), "usage: wandb beta sync [OPTIONS] PATH", 0);
  wandb::Run run(RunOptions{.dir = tmp.path(), .stats_interval = std::chrono::milliseconds(0),
                            .sync = wandb::Sync::kLive, .wandb_program = cli});
  run.log({{"loss", 1.0}});
  run.finish();
  ASSERT_EQ(warnings.seen.size(), 1u);
  EXPECT_NE(warnings.seen[0].find("live upload off: wandb at " + cli.string() + " has no `beta sync --live`"),
            std::string::npos)
      << warnings.seen[0];
  EXPECT_FALSE(fs::exists(run.root() / "live-args.txt"));
  EXPECT_EQ(exit_code(run.root()), 0);
}

TEST(RunLive, AFailedUploadIsReportedAtFinish) {
  wandb::test::TempDir tmp;
  Warnings warnings;
  const fs::path cli = fake_wandb(tmp.path(), "--live", 3);
  wandb::Run run(RunOptions{.dir = tmp.path(), .stats_interval = std::chrono::milliseconds(0),
                            .sync = wandb::Sync::kLive, .wandb_program = cli});
  run.finish();
  ASSERT_EQ(warnings.seen.size(), 1u);
  EXPECT_NE(warnings.seen[0].find("ended with exit status 3"), std::string::npos) << warnings.seen[0];
  EXPECT_NE(warnings.seen[0].find("live-sync.log"), std::string::npos) << warnings.seen[0];
}

TEST(RunOptionsCheck, NegativeDurationsAreValueErrorsAndCreateNothing) {
  wandb::test::TempDir tmp;
  expect_error<wandb::ValueError>(
      [&] { wandb::Run run(RunOptions{.dir = tmp.path(), .stats_interval = std::chrono::milliseconds(-1)}); },
      "stats_interval: expected 0 (off) or a positive duration, got -1 ms");
  expect_error<wandb::ValueError>(
      [&] { wandb::Run run(RunOptions{.dir = tmp.path(), .sync_timeout = std::chrono::milliseconds(-5)}); },
      "sync_timeout: expected 0 or a positive duration, got -5 ms");
  EXPECT_FALSE(fs::exists(tmp.path() / "wandb"));
}
