// What a run writes besides media: history, summary, config and the .wandb
// transaction log. Used by one thread at a time: the constructor on the thread
// that makes the run, then only the run's writer thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "wandb/run.h"

namespace wandb::detail {

/// One MetricRecord (Run::define_metric); docs/run-file.md#metrics.
struct MetricDef {
  std::string name;          // a metric name, or a glob when `glob`
  bool glob = false;
  std::string step_metric;   // empty: none
  bool step_sync = false;
  bool hidden = false;
  bool defined = true;       // false for a step metric defined on its behalf
  bool expanded_from_glob = false;
  std::vector<std::string> summary;  // "min", "max", "mean", "best", "last", "copy", "none"
  int goal = 0;              // 0 unset, 1 minimize, 2 maximize
};

/// What the run's files need to know about the run.
struct RunIdentity {
  std::string id;
  std::filesystem::path root;   // offline-run-...
  std::filesystem::path files;  // root/files
  std::chrono::system_clock::time_point start;
};

class RunOutput {
 public:
  /// Opens the history and `.wandb` files, writes the Header and Run records
  /// (the Run record holding `config`, the config at init) and config.yaml
  /// (IoError when they cannot be written).
  RunOutput(const RunIdentity& run, const RunOptions& options, const Json& config);
  ~RunOutput();
  RunOutput(const RunOutput&) = delete;
  RunOutput& operator=(const RunOutput&) = delete;

  /// IoError (ENOENT) when the run folder was removed or replaced, or the
  /// history file unlinked, since the run began: what would be written next
  /// would be lost.
  void check_intact() const;
  /// The whole config after a change.
  void config(const Json& config);
  /// One committed history row, then a Summary record with its values;
  /// `files` are the media it references (and files bound since the last
  /// row), all already complete on disk.
  void history(int64_t step, const Json& row, const std::vector<std::string>& files);
  /// Summary values set outside a row (Run::summary), after the Files
  /// records of the media they name.
  void summary_update(const Json& values, const std::vector<std::string>& files);
  /// Metric records, in one write.
  void metrics(const std::vector<MetricDef>& metrics);
  /// files/wandb-metadata.json and the Files record naming it.
  void metadata(const Json& metadata);
  /// One Stats record (a system-metrics sample).
  void stats(const Json& sample, std::chrono::system_clock::time_point when);
  /// One piece of console output: `stream` 0 stderr, 1 stdout.
  struct Output {
    int stream = 1;
    std::string text;
    std::chrono::system_clock::time_point when;
  };
  /// OutputRaw records, in one write, as the SDK writes them: a line's text
  /// and its newline as two records.
  void output(const std::vector<Output>& pieces);
  /// The whole summary after a change (wandb-summary.json).
  void summary(const Json& summary);
  /// Run end: pending config and files, the final summary, the exit record.
  void finish(const Json* config, const Json& summary, const std::vector<std::string>& files,
              int exit_code, double runtime_seconds);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wandb::detail
