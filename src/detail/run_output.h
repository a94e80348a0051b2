// What a run writes besides media: history, summary, config (and, with the
// run-file layer, the .wandb transaction log). Calls are serialised by the Run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "detail/run_impl.h"

namespace wandb::detail {

class RunOutput {
 public:
  explicit RunOutput(const Run::Impl& run);
  ~RunOutput();
  RunOutput(const RunOutput&) = delete;
  RunOutput& operator=(const RunOutput&) = delete;

  /// The whole config after a change.
  void config(const Json& config);
  /// One committed history row; `files` are the media it references (and files
  /// bound since the last row), all already complete on disk.
  void history(int64_t step, const Json& row, const std::vector<std::string>& files);
  /// The whole summary after a change.
  void summary(const Json& summary);
  /// Run end: pending config and files, the final summary, the exit record.
  void finish(const Json* config, const Json& summary, const std::vector<std::string>& files,
              int exit_code, double runtime_seconds);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wandb::detail
