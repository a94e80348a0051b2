// wandb::Run: steps, rows, background encoding and the run's files.
#include "wandb/run.h"

#include <unistd.h>

#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <ctime>
#include <random>
#include <regex>
#include <set>

#include "detail/run_impl.h"
#include "detail/run_output.h"
#include "wandb/render.h"
#include "wandb/errors.h"
#include "wandb/warnings.h"

namespace fs = std::filesystem;

namespace wandb {

namespace {

// Sets `key` in insertion-ordered `items`: replaced in place, or appended.
template <class T>
void upsert(std::vector<std::pair<std::string, T>>& items, std::string key, T value) {
  for (auto& item : items) {
    if (item.first == key) {
      item.second = std::move(value);
      return;
    }
  }
  items.emplace_back(std::move(key), std::move(value));
}

}  // namespace

// ---- Value and Row ------------------------------------------------------------

Value::Value(Image v) : kind_(Kind::kImage), images_{std::move(v)} {}
Value::Value(std::vector<Image> v) : kind_(Kind::kImages), images_(std::move(v)) {}
Value::Value(Row v) : kind_(Kind::kRow), row_(std::make_shared<const Row>(std::move(v))) {}

const Row& Value::row() const {
  if (kind_ != Kind::kRow) throw TypeError("value: expected a nested row, got another kind");
  return *row_;
}

Row::Row(std::initializer_list<Item> items) {
  for (const auto& item : items) set(item.first, item.second);
}

void Row::set(std::string key, Value value) { upsert(items_, std::move(key), std::move(value)); }

const Value* Row::find(const std::string& key) const {
  for (const auto& item : items_) {
    if (item.first == key) return &item.second;
  }
  return nullptr;
}

// ---- internal state -------------------------------------------------------------

namespace {

struct Slot {
  std::shared_ptr<const Image::Binding> binding;
  std::exception_ptr error;
};

// A logged value waiting for its media: JSON now, or images whose files are
// being written on the workers.
struct Node {
  Value::Kind kind = Value::Kind::kJson;
  Json json;
  std::vector<Image> images;
  std::vector<std::shared_ptr<Slot>> slots;
  std::vector<std::pair<std::string, Node>> row;
};

using Entries = std::vector<std::pair<std::string, Node>>;

// One history row: the merge of every log() call for its step.
struct Commit {
  int64_t step = 0;
  Entries entries;
  int pending = 0;  // media jobs not finished
  bool sealed = false;
  double runtime = 0;
  double timestamp = 0;
};

struct Job {
  std::function<void()> run;
  std::size_t bytes = 0;
};

std::string random_run_id() {
  std::mt19937_64 rng{std::random_device{}()};
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string id(8, 'x');
  for (char& c : id) c = kChars[rng() % 36];
  return id;
}

std::string local_time_stamp(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d_%H%M%S", &tm);
  return buf;
}

// Bytes a queued image holds until its job runs (the back-pressure measure).
std::size_t queued_size(const Image& image) {
  if (image.is_file()) return image.encoded().size();
  return static_cast<std::size_t>(image.width()) * static_cast<std::size_t>(image.height()) * 4;
}

void check_value_keys(const Row& row) {
  for (const auto& [key, value] : row) {
    detail::check_key(key);
    if (value.kind() == Value::Kind::kRow) check_value_keys(value.row());
    if (value.kind() == Value::Kind::kImage || value.kind() == Value::Kind::kImages) {
      detail::safe_media_key(key);
      for (const Image& image : value.images()) {
        if (image.is_reference()) {
          throw ValueError(
              "Image media created by a reference to external storage cannot currently be "
              "added to a run: expected a tensor, Mat or file image for key \"" + key +
              "\", got " + image.source_path());
        }
      }
    }
  }
}

}  // namespace

struct Run::Impl::State {
  std::mutex mu;  // everything below up to write_mu
  std::condition_variable work_cv, space_cv, idle_cv;
  std::deque<Job> jobs;
  std::vector<std::thread> workers;
  bool stopping = false;
  std::size_t queued_bytes = 0;
  int running = 0;
  int admitting = 0;  // log() calls waiting for queue space
  int64_t step = 0;
  std::deque<std::shared_ptr<Commit>> commits;  // in log() order
  std::shared_ptr<Commit> open;                 // the unsealed commit, if any
  bool finished = false;
  std::exception_ptr error;

  std::mutex write_mu;  // serialises output, in commit order

  mutable std::mutex meta_mu;  // config, summary, announced files
  Json config = Json::object();
  bool config_dirty = false;  // changed since the last Config record
  Json summary = Json::object();
  std::vector<std::string> announced;

  std::unique_ptr<detail::RunOutput> output;

  // finish() only tells the workers to stop: the threads wind down while it
  // writes the run's last records, and are joined here.
  ~State() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
    }
    work_cv.notify_all();
    for (std::thread& t : workers) {
      if (t.joinable()) t.join();
    }
  }
};

Run::Impl::~Impl() = default;

double Run::Impl::runtime_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_steady).count();
}

double Run::Impl::timestamp_seconds() const {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void Run::Impl::add_singletons(const Image::Binding& binding) const {
  std::lock_guard<std::mutex> lock(state->meta_mu);
  for (const auto& s : binding.singletons) {
    Json& slot = state->config["_wandb"][s.type][s.key];
    Json entry{{"type", s.type}, {"key", s.key}, {"value", s.labels.to_json()}};
    if (slot != entry) {
      slot = std::move(entry);
      state->config_dirty = true;
    }
  }
}

void Run::Impl::announce(const std::vector<std::string>& paths) const {
  std::lock_guard<std::mutex> lock(state->meta_mu);
  state->announced.insert(state->announced.end(), paths.begin(), paths.end());
}

namespace {

void record_error(Run::Impl::State& s, std::exception_ptr error) {
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.error) s.error = std::move(error);
}

// Builds a row's JSON from finished media jobs; collects the files written and
// the class labels to register, in row order.
Json assemble(const Entries& entries, std::vector<std::string>& files,
              std::vector<const Image::Binding*>& bindings_in_order) {
  Json out = Json::object();
  for (const auto& [key, node] : entries) {
    for (const auto& slot : node.slots) {
      if (slot->error) std::rethrow_exception(slot->error);
      files.insert(files.end(), slot->binding->files.begin(), slot->binding->files.end());
      bindings_in_order.push_back(slot->binding.get());
    }
    switch (node.kind) {
      case Value::Kind::kJson: out[key] = node.json; break;
      case Value::Kind::kImage: out[key] = detail::image_json(node.images[0], *node.slots[0]->binding); break;
      case Value::Kind::kImages: {
        if (node.images.empty()) {
          out[key] = Json::array();
          break;
        }
        std::vector<std::shared_ptr<const Image::Binding>> bindings;
        for (const auto& slot : node.slots) bindings.push_back(slot->binding);
        out[key] = detail::images_json(node.images, bindings);
        break;
      }
      case Value::Kind::kRow: out[key] = assemble(node.row, files, bindings_in_order); break;
    }
  }
  return out;
}

void write_commit(Run::Impl* impl, Commit& c) {
  auto& s = *impl->state;
  std::vector<std::string> files;
  std::vector<const Image::Binding*> bindings;
  Json row;
  try {
    row = assemble(c.entries, files, bindings);
  } catch (...) {
    record_error(s, std::current_exception());
    return;  // a row whose media failed is not written
  }
  for (const Image::Binding* b : bindings) impl->add_singletons(*b);
  row["_step"] = c.step;
  row["_runtime"] = c.runtime;
  row["_timestamp"] = c.timestamp;
  Json config;
  bool config_changed = false;
  Json summary;
  {
    std::lock_guard<std::mutex> lock(s.meta_mu);
    files.insert(files.begin(), s.announced.begin(), s.announced.end());
    s.announced.clear();
    // One Files record per file, even when several images share it.
    std::set<std::string> seen;
    files.erase(std::remove_if(files.begin(), files.end(),
                               [&](const std::string& f) { return !seen.insert(f).second; }),
                files.end());
    if (s.config_dirty) {
      config = s.config;
      config_changed = true;
      s.config_dirty = false;
    }
    for (auto it = row.begin(); it != row.end(); ++it) s.summary[it.key()] = it.value();
    summary = s.summary;
  }
  try {
    if (config_changed) s.output->config(config);
    s.output->history(c.step, row, files);
    s.output->summary(summary);
  } catch (...) {
    record_error(s, std::current_exception());
  }
}

// Writes every sealed commit at the front whose media are done, in order.
void flush_ready(Run::Impl* impl) {
  auto& s = *impl->state;
  std::lock_guard<std::mutex> write_lock(s.write_mu);
  for (;;) {
    std::shared_ptr<Commit> c;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      if (s.commits.empty() || !s.commits.front()->sealed || s.commits.front()->pending > 0) {
        s.idle_cv.notify_all();
        return;
      }
      c = std::move(s.commits.front());
      s.commits.pop_front();
    }
    write_commit(impl, *c);
  }
}

void worker_loop(Run::Impl* impl) {
  auto& s = *impl->state;
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(s.mu);
      s.work_cv.wait(lock, [&] { return s.stopping || !s.jobs.empty(); });
      if (s.jobs.empty()) return;
      job = std::move(s.jobs.front());
      s.jobs.pop_front();
      ++s.running;
    }
    job.run();
    {
      std::lock_guard<std::mutex> lock(s.mu);
      --s.running;
      s.queued_bytes -= job.bytes;
    }
    s.space_cv.notify_all();
    flush_ready(impl);
  }
}

// A rendered copy of a logged image; a failure here only warns, since the
// logged data itself is complete.
void write_preview(const Run::Impl& impl, const Image& image, const Image::Binding& binding) {
  try {
    std::vector<uint8_t> png;
    if (!cv::imencode(".png", render(image), png)) throw Error("OpenCV could not encode the preview");
    fs::path path = impl.root / "previews" / binding.path;
    path.replace_extension(".png");
    detail::write_file_atomic(path, png.data(), png.size());
  } catch (const std::exception& e) {
    warn("cannot write preview of " + binding.path + ": " + e.what());
  }
}

// Turns a logged value into a node, queueing one job per image.
Node make_node(Run::Impl* impl, const std::string& key, const Value& value, const std::string& step,
               const std::shared_ptr<Commit>& commit, std::vector<Job>& jobs) {
  Node node;
  node.kind = value.kind();
  switch (value.kind()) {
    case Value::Kind::kJson: node.json = value.json(); break;
    case Value::Kind::kRow:
      for (const auto& [k, v] : value.row()) upsert(node.row, k, make_node(impl, k, v, step, commit, jobs));
      break;
    case Value::Kind::kImage:
    case Value::Kind::kImages:
      node.images = value.kind() == Value::Kind::kImages ? detail::truncate_images(value.images())
                                                         : value.images();
      for (const Image& image : node.images) {
        auto slot = std::make_shared<Slot>();
        node.slots.push_back(slot);
        ++commit->pending;
        jobs.push_back(Job{[impl, slot, image, key, step, commit] {
                             try {
                               slot->binding = impl->bind(image, key, step, std::nullopt);
                               if (impl->options.previews) write_preview(*impl, image, *slot->binding);
                             } catch (...) {
                               slot->error = std::current_exception();
                             }
                             std::lock_guard<std::mutex> lock(impl->state->mu);
                             --commit->pending;
                           },
                           queued_size(image)});
      }
      break;
  }
  return node;
}

void seal(Run::Impl::State& s, Run::Impl& impl) {
  if (!s.open) return;
  s.open->sealed = true;
  s.open->runtime = impl.runtime_seconds();
  s.open->timestamp = impl.timestamp_seconds();
  s.open.reset();
}

void throw_if_unusable(Run::Impl::State& s) {
  if (s.finished) throw StateError("run: expected a running run, got a finished one");
  if (s.error) {
    try {
      std::rethrow_exception(s.error);
    } catch (const std::exception& e) {
      throw Error(std::string("run: an earlier log failed in the background: ") + e.what());
    }
  }
}

void log_row(Run::Impl* impl, const Row& row, std::optional<int64_t> step, std::optional<bool> commit) {
  auto& s = *impl->state;
  check_value_keys(row);
  std::vector<Job> jobs;
  {
    std::unique_lock<std::mutex> lock(s.mu);
    throw_if_unusable(s);
    int64_t target = s.step;
    if (step) {
      if (*step < s.step) {
        warn("Tried to log to step " + std::to_string(*step) + " that is less than the current step " +
             std::to_string(s.step) + ". Steps must be monotonically increasing, so this data will be ignored.");
        return;
      }
      if (*step > s.step) {
        seal(s, *impl);
        s.step = *step;
      }
      target = *step;
    }
    if (!s.open) {
      s.open = std::make_shared<Commit>();
      s.open->step = target;
      s.commits.push_back(s.open);
    }
    const std::string step_text = std::to_string(target);
    for (const auto& [key, value] : row) {
      upsert(s.open->entries, key, make_node(impl, key, value, step_text, s.open, jobs));
    }
    if (step ? commit.value_or(false) : commit.value_or(true)) {
      seal(s, *impl);
      s.step = target + 1;
    }
    // Back-pressure: wait while the queue holds too many bytes (one oversized
    // row is always admitted when the queue is empty).
    std::size_t bytes = 0;
    for (const Job& j : jobs) bytes += j.bytes;
    ++s.admitting;  // finish() waits for this row's jobs to be queued
    s.space_cv.wait(lock, [&] {
      return s.queued_bytes == 0 || s.queued_bytes + bytes <= impl->options.max_queued_bytes;
    });
    --s.admitting;
    s.queued_bytes += bytes;
    for (Job& j : jobs) s.jobs.push_back(std::move(j));
  }
  s.work_cv.notify_all();
  s.idle_cv.notify_all();
  flush_ready(impl);
}

}  // namespace

// ---- Run ---------------------------------------------------------------------------

Run::Run(RunOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& impl = *impl_;
  if (!options.config.is_object()) {
    throw TypeError(std::string("config: expected a JSON object, got ") + options.config.type_name());
  }
  if (options.id) {
    static const std::regex kId("^[a-z0-9]{1,64}$");
    if (!std::regex_match(*options.id, kId)) {
      throw ValueError("run id: expected lower-case letters and digits, got \"" + *options.id + "\"");
    }
  }
  if (options.workers < 0) {
    throw ValueError("workers: expected 0 (one per core) or more, got " + std::to_string(options.workers));
  }
  impl.id = options.id.value_or(random_run_id());
  impl.start_wall = std::chrono::system_clock::now();
  impl.start_steady = std::chrono::steady_clock::now();
  const fs::path base = options.dir / "wandb";
  impl.root = base / ("offline-run-" + local_time_stamp(impl.start_wall) + "-" + impl.id);
  impl.files = impl.root / "files";
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) throw IoError("cannot create folder " + base.string() + ": " + ec.message(), ec.value());
  if (!fs::create_directory(impl.root, ec)) {
    throw IoError("cannot create run folder " + impl.root.string() + ": " +
                      (ec ? ec.message() : std::string("it already exists")),
                  ec ? ec.value() : EEXIST);
  }
  fs::create_directories(impl.files, ec);
  if (ec) throw IoError("cannot create folder " + impl.files.string() + ": " + ec.message(), ec.value());
  // latest-run points at the newest run, as the SDK's does.
  const fs::path link = base / "latest-run";
  const fs::path tmp_link = base / (".latest-run." + impl.id);
  fs::create_directory_symlink(impl.root.filename(), tmp_link, ec);
  if (!ec) fs::rename(tmp_link, link, ec);
  if (ec) fs::remove(tmp_link, ec);

  impl.state = std::make_unique<Impl::State>();
  Impl::State& s = *impl.state;
  s.config = options.config;
  impl.options = std::move(options);
  s.output = std::make_unique<detail::RunOutput>(impl);
  s.output->config(s.config);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int workers = impl.options.workers > 0 ? impl.options.workers : static_cast<int>(cores);
  Impl* raw = impl_.get();
  for (int i = 0; i < workers; ++i) s.workers.emplace_back([raw] { worker_loop(raw); });
}

Run::Run(Run&&) noexcept = default;
Run& Run::operator=(Run&& other) noexcept {
  if (this != &other) {
    if (impl_) {
      try {
        finish();
      } catch (const std::exception& e) {
        warn(std::string("run finished with an error: ") + e.what());
      }
    }
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Run::~Run() {
  if (!impl_) return;
  try {
    finish();
  } catch (const std::exception& e) {
    warn(std::string("run ") + impl_->id + " finished with an error: " + e.what());
  }
}

void Run::log(const Row& row) { log_row(impl_.get(), row, std::nullopt, std::nullopt); }

void Run::log(const Row& row, int64_t step, std::optional<bool> commit) {
  log_row(impl_.get(), row, step, commit);
}

void Run::config(const Json& update) {
  if (!update.is_object()) {
    throw TypeError(std::string("config: expected a JSON object, got ") + update.type_name());
  }
  auto& s = *impl_->state;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    throw_if_unusable(s);
  }
  for (auto it = update.begin(); it != update.end(); ++it) {
    detail::check_key(it.key());
    if (it.key() == "_wandb") throw ValueError("config: expected user keys, got the reserved key \"_wandb\"");
  }
  {
    std::lock_guard<std::mutex> lock(s.meta_mu);
    for (auto it = update.begin(); it != update.end(); ++it) s.config[it.key()] = it.value();
    s.config_dirty = true;
  }
}

void Run::summary(const std::string& key, const Value& value) {
  auto& s = *impl_->state;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    throw_if_unusable(s);
  }
  detail::check_key(key);
  Json json;
  switch (value.kind()) {
    case Value::Kind::kJson: json = value.json(); break;
    case Value::Kind::kImage: {
      Image image = value.images()[0];
      image.bind_to_run(*this, key, Step::summary());
      json = image.to_json(*this);
      break;
    }
    case Value::Kind::kImages:
      json = value.images().empty() ? Json::array()
                                    : Image::seq_to_json(value.images(), *this, key, Step::summary());
      break;
    case Value::Kind::kRow:
      throw TypeError("summary value: expected a number, string, JSON or image(s), got a nested row");
  }
  std::lock_guard<std::mutex> lock(s.meta_mu);
  s.summary[key] = std::move(json);
}

void Run::finish(int exit_code) {
  if (!impl_) throw StateError("run: expected a live run, got a moved-from one");
  Impl* impl = impl_.get();
  auto& s = *impl->state;
  {
    std::unique_lock<std::mutex> lock(s.mu);
    if (s.finished) return;
    seal(s, *impl);
    s.idle_cv.wait(lock, [&] { return s.jobs.empty() && s.running == 0 && s.admitting == 0; });
    // Under the same lock: no log() can queue work after this point.
    s.stopping = true;
    s.finished = true;
  }
  s.work_cv.notify_all();
  // Workers are idle from here on (they only exit); the rows whose media are
  // done are written in order.
  flush_ready(impl);
  std::exception_ptr error;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    error = s.error;
    if (!s.commits.empty() && !error) {
      error = std::make_exception_ptr(Error("run: rows were left unwritten at finish"));
    }
  }
  try {
    std::lock_guard<std::mutex> write_lock(s.write_mu);
    Json config, summary;
    std::vector<std::string> files;
    bool config_changed;
    {
      std::lock_guard<std::mutex> lock(s.meta_mu);
      config = s.config;
      config_changed = s.config_dirty;
      summary = s.summary;
      files.swap(s.announced);
    }
    s.output->finish(config_changed ? &config : nullptr, summary, files,
                     error ? (exit_code ? exit_code : 1) : exit_code, impl->runtime_seconds());
  } catch (...) {
    if (!error) error = std::current_exception();
  }
  if (error) std::rethrow_exception(error);
}

const std::string& Run::id() const noexcept { return impl_->id; }
const fs::path& Run::dir() const noexcept { return impl_->files; }
const fs::path& Run::root() const noexcept { return impl_->root; }

int64_t Run::step() const {
  std::lock_guard<std::mutex> lock(impl_->state->mu);
  return impl_->state->step;
}

bool Run::finished() const {
  std::lock_guard<std::mutex> lock(impl_->state->mu);
  return impl_->state->finished;
}

Json Run::config() const {
  std::lock_guard<std::mutex> lock(impl_->state->meta_mu);
  return impl_->state->config;
}

Json Run::summary() const {
  std::lock_guard<std::mutex> lock(impl_->state->meta_mu);
  return impl_->state->summary;
}

Run init(RunOptions options) { return Run(std::move(options)); }

}  // namespace wandb
