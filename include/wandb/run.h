// wandb::Run: an offline run that images bind to, laid out as the Python SDK lays
// it out, with encoding and file writes on background threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "wandb/export.h"
#include "wandb/image.h"
#include "wandb/json.h"

namespace wandb {

class Row;
namespace detail {
struct RunAccess;
}  // namespace detail

/// One value of a logged row: a number, bool, string, JSON, an Image, a list of
/// Images, or a nested Row (a nested dict stays a JSON object, as in the SDK).
/// Also made from a one-element tensor (its number), a cv::Mat (an Image) and
/// a brace list of Images, so `run.log({{"loss", loss}, {"img", mat}})` reads
/// as it would in Python.
class WANDB_IMAGE_EXPORT Value {
 public:
  enum class Kind { kJson, kImage, kImages, kRow };

  Value() : json_(nullptr) {}
  Value(std::nullptr_t) : json_(nullptr) {}
  Value(bool v) : json_(v) {}
  template <class T, std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T v) : json_(v) {}
  Value(const char* v) : json_(v) {}
  Value(std::string v) : json_(std::move(v)) {}
  Value(Json v) : json_(std::move(v)) {}
  Value(Image v);
  Value(std::vector<Image> v);
  /// `{a, b, ...}`: a list of two or more images, as std::vector<Image>{a, b, ...}.
  /// Not an initializer_list constructor, on purpose: braces around one value
  /// keep their meaning (`{a}` is the image a; a list of one is
  /// std::vector<Image>{a}), and so do `{"s"}` and `{}`.
  template <class... More,
            std::enable_if_t<(std::is_convertible_v<More&&, Image> && ...), int> = 0>
  Value(Image first, Image second, More&&... more)
      : Value(std::vector<Image>{std::move(first), std::move(second),
                                 Image(std::forward<More>(more))...}) {}
  Value(Row v);
  /// The number in a tensor of one element (0-d or any shape of numel 1, such
  /// as a loss), on any device: bool -> bool, integer dtypes -> int64,
  /// floating dtypes -> double. TypeError for an undefined tensor, another
  /// dtype, or more than one element (images go through wandb::Image and
  /// wandb::images_from_batch). The caller includes LibTorch.
  Value(const at::Tensor& scalar);
  /// An image of the Mat: the same as Value(Image(mat)). The caller includes
  /// <opencv2/core.hpp>.
  Value(const cv::Mat& image);

  Kind kind() const noexcept { return kind_; }
  const Json& json() const noexcept { return json_; }
  const std::vector<Image>& images() const noexcept { return images_; }
  const Row& row() const;

 private:
  Kind kind_ = Kind::kJson;
  Json json_;
  std::vector<Image> images_;  // one for kImage
  std::shared_ptr<const Row> row_;
};

/// An insertion-ordered dict of values (Python dict semantics: a repeated key
/// replaces the value and keeps its first position).
class WANDB_IMAGE_EXPORT Row {
 public:
  using Item = std::pair<std::string, Value>;
  Row() = default;
  Row(std::initializer_list<Item> items);
  void set(std::string key, Value value);
  bool empty() const noexcept { return items_.empty(); }
  std::size_t size() const noexcept { return items_.size(); }
  auto begin() const noexcept { return items_.begin(); }
  auto end() const noexcept { return items_.end(); }
  const Value* find(const std::string& key) const;

 private:
  std::vector<Item> items_{};
};

/// How a run reaches W&B.
enum class Sync {
  /// Written to disk only; upload it later with `wandb sync <run folder>`.
  kOffline,
  /// Also uploaded while it is written: init starts `wandb beta sync --live
  /// <run folder>` (wandb 0.24 or later) beside the program, and finish()
  /// waits for it. Without such a wandb the run stays offline, with a warning.
  kLive,
  /// Not at all (the SDK's mode="disabled"): every call is checked as usual
  /// and then dropped; no folder, file, thread or console capture is made.
  /// For unit tests and for switching logging off in production
  /// (WANDB_MODE=disabled). dir() and root() are empty.
  kDisabled,
};

/// Console capture for the Logs tab of the W&B UI.
enum class Console {
  kOff,  ///< not captured (the default)
  /// The process's stdout and stderr (file descriptors 1 and 2: printf,
  /// std::cout, libraries, child processes) are recorded line by line and
  /// still printed; restored as they were at finish().
  kTee,
};

/// What a run is and where it goes. Fields marked (env) that are left unset
/// take the SDK's environment variable when it is set and non-empty; a value
/// given here always wins over the environment.
struct RunOptions {
  /// Parent folder: the run goes to <dir>/wandb/offline-run-<YYYYMMDD_HHMMSS>-<id>/.
  /// (env) WANDB_DIR; otherwise the current folder.
  std::optional<std::filesystem::path> dir{};
  /// (env) WANDB_PROJECT; otherwise "uncategorized".
  std::optional<std::string> project{};
  /// (env) WANDB_ENTITY.
  std::optional<std::string> entity{};
  /// Display name. (env) WANDB_NAME.
  std::optional<std::string> name{};
  /// (env) WANDB_RUN_GROUP.
  std::optional<std::string> group{};
  /// (env) WANDB_JOB_TYPE.
  std::optional<std::string> job_type{};
  /// (env) WANDB_NOTES.
  std::optional<std::string> notes{};
  /// Empty: (env) WANDB_TAGS, split at commas, each tag trimmed of spaces.
  std::vector<std::string> tags{};
  /// 1 to 64 characters of [a-z0-9]; (env) WANDB_RUN_ID; generated (8
  /// characters) when neither is set.
  std::optional<std::string> id{};
  /// Initial config (a JSON object).
  Json config = Json::object();
  /// Encoder threads (pixels to PNG/JPEG bytes, hashes); 0 = one per CPU the
  /// process may use (its affinity mask, lowered to a cgroup CPU quota).
  /// Every file of the run is written by one more thread, the run's writer.
  int workers = 0;
  /// Back-pressure: log() waits while queued images hold more bytes than this.
  std::size_t max_queued_bytes = std::size_t{512} << 20;
  /// Also write, for every logged image, a PNG with its boxes and masks drawn
  /// (wandb::render with default options) under <run folder>/previews/, at the
  /// media file's relative path. Outside files/, so `wandb sync` ignores them.
  bool previews = false;
  /// Power-loss safety: each media file reaches the disk (fdatasync), and so
  /// do the folders holding it, before the row that names it is written, so
  /// no row can outlive its media. Costs one fdatasync per media file on the
  /// writer thread (not on log()'s caller). false: files reach the disk when
  /// the kernel writes them back or at finish(), as with the SDK.
  bool sync_media = true;
  /// files/wandb-metadata.json at init, for the Overview tab: OS, host,
  /// program and arguments, CPUs, memory, disk, NVIDIA GPUs, and this
  /// library's, LibTorch's and OpenCV's versions.
  bool metadata = true;
  /// System metrics for the System tab (CPU, memory, disk, network, NVIDIA
  /// GPUs): one sample every `stats_interval`, the first about 2 s after init
  /// (sooner when the interval is shorter); zero turns sampling off.
  std::chrono::milliseconds stats_interval{15000};
  Console console = Console::kOff;
  /// (env) WANDB_MODE: "offline" (or "dryrun") is kOffline, "online" (or
  /// "run") kLive, "disabled" kDisabled; otherwise kOffline. Another
  /// WANDB_MODE value is a ValueError at init.
  std::optional<Sync> sync{};
  /// No messages on stderr: by default init prints where the run is written,
  /// finish() the `wandb sync` command that uploads it, and a finish() that
  /// waits more than a second for queued images how many remain. (env)
  /// WANDB_SILENT ("true", "1", "yes" or "on", any case, silences).
  /// Warnings still reach the warning handler.
  std::optional<bool> silent{};
  /// For Sync::kLive: the wandb program; empty: the first `wandb` on PATH.
  std::filesystem::path wandb_program{};
  /// For Sync::kLive: how long finish() waits for the upload to end; after
  /// that it carries on in the background, with a warning.
  std::chrono::milliseconds sync_timeout{120000};
};

/// How Run::define_metric plots and summarises a metric (the SDK's
/// `run.define_metric` arguments).
struct MetricOptions {
  /// The metric to plot it against (its x-axis), e.g. "epoch"; defined too
  /// if it was not yet.
  std::optional<std::string> step_metric{};
  /// Add the step metric's last logged value to rows that have this metric
  /// but not the step metric. Unset: true when step_metric is set.
  std::optional<bool> step_sync{};
  /// Hide the metric from the default charts.
  bool hidden = false;
  /// Summary statistics the W&B UI should show, comma-separated as in the
  /// SDK: any of "min", "max", "mean", "best", "last", "copy", "none".
  std::string summary{};
  /// "minimize" or "maximize" (only the first three letters are read, in any
  /// case, as the SDK does): which value is "best".
  std::optional<std::string> goal{};
};

/// An offline run. Thread-safe: several threads may log to one run.
///
/// log(), summary() and config() only validate and queue: encoding runs on
/// the encoder threads and every file is written by the run's writer thread,
/// in log() order. The warning handler is never called while the run holds a
/// lock, so a handler may log into the run it warns about; warnings found in
/// the background (a preview that cannot be written) reach it from the
/// run's own threads, where an exception it throws is printed to stderr.
class WANDB_IMAGE_EXPORT Run {
 public:
  explicit Run(RunOptions options = {});
  Run(Run&&) noexcept;
  Run& operator=(Run&&) noexcept;
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  /// Finishes the run, with exit code 1 when an exception is leaving the
  /// run's scope (the run did not succeed) and 0 otherwise; errors are
  /// reported through the warning handler.
  ~Run();

  /// Logs a row at the current step and advances the step (the SDK's
  /// `run.log(row)`). Returns once the row is queued: encoding, hashing and
  /// writing happen on background threads; no file is touched on the
  /// caller's thread. Throws for invalid keys or values, references, or an
  /// earlier background failure (with that failure's type: IoError keeps its
  /// errno); nothing is queued then. An exception thrown by the warning
  /// handler for this row's warnings propagates, and the row is not queued.
  void log(const Row& row);
  /// Logs at `step` (>= the current step). Rows logged to the same step merge
  /// and are committed when a later step is logged or the run finishes, unless
  /// `commit` is true. A step below the current one is ignored with a warning.
  void log(const Row& row, int64_t step, std::optional<bool> commit = std::nullopt);

  /// Merges top-level keys into the run config.
  void config(const Json& update);
  /// Sets a summary value; images are bound with step "summary". Queued
  /// after the rows logged before it, like a row: summary() shows it once
  /// the writer has applied it.
  void summary(const std::string& key, const Value& value);

  /// Defines how a metric is plotted and summarised: writes a Metric record,
  /// in log() order, that `wandb sync` turns into the run's metric settings.
  /// `name` ending in '*' is a glob ("val/*"): each logged key it matches
  /// gets its own record when first logged. ValueError for an empty name,
  /// an unknown summary statistic or goal, or text that is not UTF-8.
  void define_metric(const std::string& name, const MetricOptions& options = {});

  /// Drains the queue, writes the summary and the exit record and syncs the
  /// run's files to disk; idempotent. A log() from another thread that is
  /// still waiting for queue space is drained too; later ones throw
  /// StateError. The encoder threads are told to stop and are joined by the
  /// destructor. Rethrows the first background error, if any. StateError
  /// when called from the run's own threads (a warning handler there).
  void finish(int exit_code = 0);

  const std::string& id() const noexcept;
  /// The run's files/ folder (media live below it).
  const std::filesystem::path& dir() const noexcept;
  /// The offline-run-... folder that `wandb sync` takes.
  const std::filesystem::path& root() const noexcept;
  /// The step the next `log(row)` will use.
  int64_t step() const;
  bool finished() const;
  /// The config as set so far, and the summary as written so far (rows and
  /// summary() calls still queued are not in it yet).
  Json config() const;
  Json summary() const;

  struct Impl;  // opaque

 private:
  std::unique_ptr<Impl> impl_;
  friend struct detail::RunAccess;
};

/// Starts an offline run (the SDK's `wandb.init(mode="offline")`).
WANDB_IMAGE_EXPORT Run init(RunOptions options = {});

}  // namespace wandb
