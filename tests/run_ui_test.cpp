// What the W&B UI gets from a run's records: an honest exit code, the init
// config in the Run record, a summary after every row, and define_metric's
// Metric records (field names as in the SDK's wandb_internal.proto).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "run_support.h"
#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/run.h"
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
  wandb::Run run(RunOptions{.dir = tmp.path()});
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
