// wandb::Run: an offline run that images bind to, laid out as the Python SDK lays
// it out, with encoding and file writes on background threads.
#pragma once

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

/// One value of a logged row: a number, bool, string, JSON, an Image, a list of
/// Images, or a nested Row (a nested dict stays a JSON object, as in the SDK).
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
  Value(Row v);

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

struct RunOptions {
  /// Parent folder: the run goes to <dir>/wandb/offline-run-<YYYYMMDD_HHMMSS>-<id>/.
  std::filesystem::path dir = ".";
  std::string project = "uncategorized";
  std::optional<std::string> entity{};
  /// Display name.
  std::optional<std::string> name{};
  std::optional<std::string> group{};
  std::optional<std::string> job_type{};
  std::optional<std::string> notes{};
  std::vector<std::string> tags{};
  /// 8 characters of [a-z0-9]; generated when unset.
  std::optional<std::string> id{};
  /// Initial config (a JSON object).
  Json config = Json::object();
  /// Background threads that encode and write media; 0 = one per core.
  int workers = 0;
  /// Back-pressure: log() waits while queued images hold more bytes than this.
  std::size_t max_queued_bytes = std::size_t{512} << 20;
  /// Also write, for every logged image, a PNG with its boxes and masks drawn
  /// (wandb::render with default options) under <run folder>/previews/, at the
  /// media file's relative path. Outside files/, so `wandb sync` ignores them.
  bool previews = false;
};

/// Step value used for media bound outside history ("summary").
struct Step {
  Step(int64_t number) : text(std::to_string(number)) {}
  static Step summary() { return Step("summary"); }
  std::string text;

 private:
  explicit Step(std::string t) : text(std::move(t)) {}
};

/// An offline run. Thread-safe: several threads may log to one run.
class WANDB_IMAGE_EXPORT Run {
 public:
  explicit Run(RunOptions options = {});
  Run(Run&&) noexcept;
  Run& operator=(Run&&) noexcept;
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  /// Finishes the run; errors are reported through the warning handler.
  ~Run();

  /// Logs a row at the current step and advances the step (the SDK's
  /// `run.log(row)`). Returns once the row is queued: encoding, hashing and
  /// writing happen on background threads. Throws for invalid keys or values,
  /// references, or an earlier background failure; nothing is written then.
  void log(const Row& row);
  /// Logs at `step` (>= the current step). Rows logged to the same step merge
  /// and are committed when a later step is logged or the run finishes, unless
  /// `commit` is true. A step below the current one is ignored with a warning.
  void log(const Row& row, int64_t step, std::optional<bool> commit = std::nullopt);

  /// Merges top-level keys into the run config.
  void config(const Json& update);
  /// Sets a summary value; images are bound with step "summary".
  void summary(const std::string& key, const Value& value);

  /// Drains the queue, writes the summary and the exit record and syncs the
  /// run's files to disk; idempotent. A log() from another thread that is
  /// still waiting for queue space is drained too; later ones throw
  /// StateError. The worker threads are told to stop and are joined by the
  /// destructor. Rethrows the first background error, if any.
  void finish(int exit_code = 0);

  const std::string& id() const noexcept;
  /// The run's files/ folder (media live below it).
  const std::filesystem::path& dir() const noexcept;
  /// The offline-run-... folder that `wandb sync` takes.
  const std::filesystem::path& root() const noexcept;
  /// The step the next `log(row)` will use.
  int64_t step() const;
  bool finished() const;
  /// Current config and summary (as they will be written).
  Json config() const;
  Json summary() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  friend class Image;
};

/// Starts an offline run (the SDK's `wandb.init(mode="offline")`).
WANDB_IMAGE_EXPORT Run init(RunOptions options = {});

}  // namespace wandb
