// wandb::Run: steps and rows, a pool of encoder threads, and one writer thread
// that owns every file of the run.
//
// Who does what:
//   caller threads  log(), summary(), config(): validate, snapshot, queue. No
//                   file I/O, and the warning handler (or any user code) is
//                   only called with no lock held, so a handler may log into
//                   the same run.
//   encoders (N)    prepare_media(): pixels to file bytes, hashes, file names;
//                   the bytes go to the writer's queue.
//   writer (1)      writes media files as they arrive, then every ordered
//                   entry (history row, summary update) once the files it
//                   names are on disk, then the run's end. The only thread
//                   that touches the run's files after init.
// Locks (a thread holds at most one; none is held while user code runs):
//   Impl::mu        the queues, steps and the run's state: GUARDED_BY(mu).
//   Impl::meta_mu   config and summary: GUARDED_BY(meta_mu); a leaf lock.
// Fields marked WRITER are touched only by the writer thread (and by the
// constructor before the writer starts).
#include "wandb/run.h"
#include "wandb/version.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <future>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include <opencv2/core/version.hpp>

#include "detail/console_capture.h"
#include "detail/file_io.h"
#include "detail/guard.h"
#include "detail/live_sync.h"
#include "detail/media.h"
#include "detail/run_env.h"
#include "detail/run_impl.h"
#include "detail/run_output.h"
#include "detail/system_info.h"
#include "detail/text.h"
#include "detail/torch_pixels.h"
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

Value::Value(Image v) try : kind_(Kind::kImage), images_{std::move(v)} {
} WANDB_PUBLIC_CALL("Value")
Value::Value(std::vector<Image> v) : kind_(Kind::kImages), images_(std::move(v)) {}  // moves only
Value::Value(Row v) try : kind_(Kind::kRow), row_(std::make_shared<const Row>(std::move(v))) {
} WANDB_PUBLIC_CALL("Value")

const Row& Value::row() const try {
  if (kind_ != Kind::kRow) throw TypeError("value: expected a nested row, got another kind");
  return *row_;
} WANDB_PUBLIC_CALL("Value::row")

Row::Row(std::initializer_list<Item> items) try {
  for (const auto& item : items) set(item.first, item.second);
} WANDB_PUBLIC_CALL("Row")

void Row::set(std::string key, Value value) try {
  upsert(items_, std::move(key), std::move(value));
} WANDB_PUBLIC_CALL("Row::set")

const Value* Row::find(const std::string& key) const {
  for (const auto& item : items_) {
    if (item.first == key) return &item.second;
  }
  return nullptr;
}

// ---- internal state -------------------------------------------------------------

namespace {

// One image of a logged value. Set by its encoder, or by the writer when its
// file cannot be written, always under Impl::mu; read by the writer once the
// entry's pending count is zero.
struct Slot {
  std::optional<detail::Binding> binding;
  std::exception_ptr error;
};

// A logged value: JSON, or images whose files are on their way to disk.
struct Node {
  Value::Kind kind = Value::Kind::kJson;
  Json json;
  std::vector<Image> images;
  std::vector<std::shared_ptr<Slot>> slots;
  std::vector<std::pair<std::string, Node>> row;
};

using Nodes = std::vector<std::pair<std::string, Node>>;

// One ordered piece of output: a history row (the merge of every log() call
// for its step) or a summary update. The writer writes entries in order, each
// once it is sealed and the files it names are written.
struct Entry {
  enum class Kind { kRow, kSummary, kMetric };
  Kind kind = Kind::kRow;
  std::vector<detail::MetricDef> metrics;  // kMetric
  int64_t step = 0;
  Nodes nodes;
  int pending = 0;  // images whose files are not written yet
  bool sealed = false;
  double runtime = 0;
  double timestamp = 0;
};

// What the writer writes outside the order of rows: system-metrics samples and
// console output, as they come.
struct SideRecord {
  std::optional<Json> stats;                  // a sample, or
  std::optional<detail::RunOutput::Output> output;  // a piece of console output
  std::chrono::system_clock::time_point when;
};

// An image to encode, for the encoder threads.
struct EncodeJob {
  Image image;
  std::string key;
  std::string step;
  std::shared_ptr<Slot> slot;
  std::shared_ptr<Entry> entry;
  std::size_t bytes = 0;  // counted against max_queued_bytes until written
};

// Files to write, for the writer thread.
struct WriteJob {
  std::vector<detail::MediaFile> files;
  std::optional<detail::MediaFile> preview;  // a failure here only warns
  std::shared_ptr<Slot> slot;                // with entry: an image of an entry
  std::shared_ptr<Entry> entry;
  std::size_t bytes = 0;
  // A bind outside history (detail::bind_to_run): announced in the next Files
  // record, its class labels registered, `done` fulfilled once written.
  std::optional<detail::Binding> announce;
  std::shared_ptr<std::promise<void>> done;
};

// The run whose background thread this is (null on other threads): log() from
// a warning handler running there must not wait for queue space that only
// that thread can free, and finish() there would wait for itself.
thread_local const Run::Impl* t_background_run = nullptr;

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

// Bytes a queued image holds until its files are written (the back-pressure measure).
std::size_t queued_size(const Image& image) {
  if (image.is_file()) return image.encoded().size();
  return static_cast<std::size_t>(image.width()) * static_cast<std::size_t>(image.height()) * 4;
}

void check_value(const std::string& key, const Value& value);

void check_row(const Row& row) {
  for (const auto& [key, value] : row) check_value(key, value);
}

void check_value(const std::string& key, const Value& value) {
  detail::check_key(key);
  if (value.kind() == Value::Kind::kJson) detail::check_json_text("value of \"" + key + "\"", value.json());
  if (value.kind() == Value::Kind::kRow) check_row(value.row());
  if (value.kind() == Value::Kind::kImage || value.kind() == Value::Kind::kImages) {
    detail::safe_media_key(key);
    for (const Image& image : value.images()) detail::check_loggable(image, key);
  }
}

// A logged value as a node, with one encode job per image (their step and
// entry are filled in under the lock) and the SDK's warnings for lists.
Node make_node(const std::string& key, const Value& value, std::vector<EncodeJob>& jobs,
               std::vector<std::string>& warnings) {
  Node node;
  node.kind = value.kind();
  switch (value.kind()) {
    case Value::Kind::kJson: node.json = value.json(); break;
    case Value::Kind::kRow:
      for (const auto& [k, v] : value.row()) upsert(node.row, k, make_node(k, v, jobs, warnings));
      break;
    case Value::Kind::kImage: node.images = value.images(); break;
    case Value::Kind::kImages: {
      std::vector<std::string> w = detail::list_warnings(value.images());
      warnings.insert(warnings.end(), w.begin(), w.end());
      node.images = detail::truncate_images(value.images());
      break;
    }
  }
  for (const Image& image : node.images) {
    auto slot = std::make_shared<Slot>();
    node.slots.push_back(slot);
    jobs.push_back(EncodeJob{image, key, "", slot, nullptr, queued_size(image)});
  }
  return node;
}

// A row's (or summary update's) JSON from its written media, in row order,
// with the files it names and its bindings; rethrows an image's failure.
Json assemble(const Nodes& nodes, std::vector<std::string>& files,
              std::vector<const detail::Binding*>& bindings) {
  Json out = Json::object();
  for (const auto& [key, node] : nodes) {
    std::vector<const detail::Binding*> own;
    for (const auto& slot : node.slots) {
      if (slot->error) std::rethrow_exception(slot->error);
      files.insert(files.end(), slot->binding->files.begin(), slot->binding->files.end());
      own.push_back(&*slot->binding);
    }
    bindings.insert(bindings.end(), own.begin(), own.end());
    switch (node.kind) {
      case Value::Kind::kJson: out[key] = node.json; break;
      case Value::Kind::kImage: out[key] = detail::image_json(node.images[0], *own[0]); break;
      case Value::Kind::kImages:
        out[key] = node.images.empty() ? Json::array() : detail::images_json(node.images, own);
        break;
      case Value::Kind::kRow: out[key] = assemble(node.row, files, bindings); break;
    }
  }
  return out;
}

// Emits a warning from a background thread: a handler that throws there has
// nobody to throw to, so its message goes to stderr with the warning.
void warn_from_background(const std::string& message) {
  try {
    detail::emit_warning(message);
  } catch (const std::exception& e) {
    std::cerr << "wandb: WARNING " << message << " (the warning handler threw: " << e.what() << ")\n";
  } catch (...) {
    std::cerr << "wandb: WARNING " << message << " (the warning handler threw)\n";
  }
}

// A background failure, rethrown to the caller with its type and errno kept.
[[noreturn]] void throw_background_error(const std::exception_ptr& error) {
  const std::string prefix = "run: an earlier log failed in the background: ";
  try {
    std::rethrow_exception(error);
  } catch (const IoError& e) {
    throw IoError(prefix + e.what(), e.code());
  } catch (const ValueError& e) {
    throw ValueError(prefix + e.what());
  } catch (const TypeError& e) {
    throw TypeError(prefix + e.what());
  } catch (const StateError& e) {
    throw StateError(prefix + e.what());
  } catch (const MemoryError& e) {
    throw MemoryError(prefix + e.what());
  } catch (const std::bad_alloc& e) {
    throw MemoryError(prefix + "expected enough memory, got an allocation failure (" + e.what() + ")");
  } catch (const std::exception& e) {
    throw Error(prefix + e.what());
  } catch (...) {
    throw Error(prefix + "an unknown error");
  }
}

}  // namespace

struct Run::Impl {
  RunOptions options;
  detail::RunIdentity run;
  std::chrono::steady_clock::time_point start_steady;

  std::mutex mu;
  std::condition_variable encode_cv;  // encoders: a job, or stop
  std::condition_variable write_cv;   // writer: files, a ready entry, or the end
  std::condition_variable space_cv;   // log(): queue space
  std::condition_variable done_cv;    // finish(): the writer wrote the end
  std::deque<EncodeJob> encode_queue;          // GUARDED_BY(mu)
  std::deque<WriteJob> write_queue;            // GUARDED_BY(mu)
  std::deque<std::shared_ptr<Entry>> entries;  // GUARDED_BY(mu), in log() order
  std::deque<SideRecord> side_queue;           // GUARDED_BY(mu): stats and console output
  std::shared_ptr<Entry> open;                 // GUARDED_BY(mu): the unsealed row
  int64_t step = 0;                            // GUARDED_BY(mu)
  std::size_t queued_bytes = 0;                // GUARDED_BY(mu)
  int admitting = 0;                           // GUARDED_BY(mu): log() waiting for space
  bool closed = false;                         // GUARDED_BY(mu): finish() was called
  // Writer thread only: when files/wandb-summary.json was last written.
  std::chrono::steady_clock::time_point summary_file_written{};
  bool disabled = false;                       // Sync::kDisabled: checks only, set once by the constructor
  std::optional<int> exit_code;                // GUARDED_BY(mu): the writer may end the run
  bool writer_done = false;                    // GUARDED_BY(mu)
  bool stop = false;                           // GUARDED_BY(mu): threads exit
  std::exception_ptr error;                    // GUARDED_BY(mu): first background failure
  std::exception_ptr end_error;                // GUARDED_BY(mu): writing the end failed

  mutable std::mutex meta_mu;
  Json config = Json::object();  // GUARDED_BY(meta_mu)
  bool config_dirty = false;     // GUARDED_BY(meta_mu): changed since the last Config record
  Json summary = Json::object(); // GUARDED_BY(meta_mu)

  std::unique_ptr<detail::RunOutput> output;  // WRITER
  std::vector<std::string> announced;         // WRITER: files for the next Files record
  detail::FolderSync media_sync;              // WRITER: folders to sync before the next entry
  std::vector<detail::MetricDef> metric_defs;  // WRITER: defined names and globs, in order
  std::set<std::string> metric_names;           // WRITER: names with a Metric record
  std::map<std::string, Json> step_values;      // WRITER: last value of each step metric

  std::vector<std::thread> encoders;
  std::thread writer;
  int uncaught_at_start = 0;  // std::uncaught_exceptions() when the run began

  // System metrics: a thread taking a sample every options.stats_interval.
  std::unique_ptr<detail::SystemSampler> sampler;  // the stats thread's
  std::thread stats_thread;
  std::condition_variable stats_cv;
  bool stats_stop = false;  // GUARDED_BY(mu)
  bool stats_sampled = false;  // GUARDED_BY(mu): a sample was queued
  // Console capture and live upload, started by init and ended by finish().
  std::unique_ptr<detail::ConsoleCapture> console;  // owned by the caller side
  std::unique_ptr<detail::LiveSync> live;           // owned by the caller side

  ~Impl() {
    console.reset();  // restores stdout and stderr
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
      stats_stop = true;
    }
    stats_cv.notify_all();
    if (stats_thread.joinable()) stats_thread.join();
    encode_cv.notify_all();
    write_cv.notify_all();
    for (std::thread& t : encoders) {
      if (t.joinable()) t.join();
    }
    if (writer.joinable()) writer.join();
  }

  double runtime_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_steady).count();
  }

  void record_error(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mu);
    if (!error) error = std::move(e);
  }

  // Registers class labels in config["_wandb"] (the SDK's _add_singleton).
  void add_singletons(const std::vector<const detail::Binding*>& bindings) {
    std::lock_guard<std::mutex> lock(meta_mu);
    for (const detail::Binding* b : bindings) {
      for (const auto& s : b->singletons) {
        Json& slot = config["_wandb"][s.type][s.key];
        Json entry{{"type", s.type}, {"key", s.key}, {"value", s.labels.to_json()}};
        if (slot != entry) {
          slot = std::move(entry);
          config_dirty = true;
        }
      }
    }
  }

  void seal_open() {  // REQUIRES(mu)
    if (!open) return;
    open->sealed = true;
    open->runtime = runtime_seconds();
    open->timestamp =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    open.reset();
  }

  void throw_if_unusable() const {  // REQUIRES(mu)
    if (closed) throw StateError("run: expected a running run, got a finished one");
    if (error) throw_background_error(error);
  }

  // ---- encoder threads ----

  void encoder_loop() {
    t_background_run = this;
    for (;;) {
      std::optional<EncodeJob> next;
      {
        std::unique_lock<std::mutex> lock(mu);
        encode_cv.wait(lock, [&] { return stop || !encode_queue.empty(); });
        if (encode_queue.empty()) return;
        next.emplace(std::move(encode_queue.front()));
        encode_queue.pop_front();
      }
      encode(*next);
    }
  }

  // One image: its files' bytes go to the writer, or its failure to its slot.
  void encode(EncodeJob& job) {
    WriteJob write{{}, std::nullopt, job.slot, job.entry, job.bytes, std::nullopt, nullptr};
    std::optional<detail::Binding> binding;
    std::exception_ptr failure;
    std::optional<std::string> preview_warning;
    try {
      detail::PreparedMedia media = detail::prepare_media(job.image, job.key, job.step);
      if (options.previews) {
        try {
          write.preview = detail::preview_file(job.image, media.binding);
        } catch (const std::exception& e) {
          preview_warning = "cannot render preview of " + media.binding.path + ": " + e.what();
        }
      }
      write.files = std::move(media.files);
      binding = std::move(media.binding);
    } catch (...) {
      failure = std::current_exception();
    }
    if (preview_warning) warn_from_background(*preview_warning);
    {
      std::lock_guard<std::mutex> lock(mu);
      if (failure) {
        job.slot->error = failure;
        --job.entry->pending;
        queued_bytes -= job.bytes;
      } else {
        job.slot->binding = std::move(binding);
        write_queue.push_back(std::move(write));
      }
    }
    if (failure) space_cv.notify_all();
    write_cv.notify_one();
  }

  // ---- the writer thread ----

  void writer_loop() {
    t_background_run = this;
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      if (stop) return;
      // Complete rows, then console and stats records, then files: encoders
      // that keep the file queue full must not hold back what is ready (live
      // readers and a killed process would otherwise see no rows at all).
      if (front_is_ready()) {
        std::shared_ptr<Entry> entry = std::move(entries.front());
        entries.pop_front();
        lock.unlock();
        write_entry(*entry);
        lock.lock();
        continue;
      }
      if (!side_queue.empty()) {
        std::deque<SideRecord> batch;
        batch.swap(side_queue);
        const bool failed = static_cast<bool>(error);
        lock.unlock();
        if (!failed) write_side(batch);
        lock.lock();
        continue;
      }
      if (!write_queue.empty()) {
        // A bounded batch, so a row completed meanwhile waits for at most this many files.
        constexpr std::size_t kMaxBatch = 64;
        const auto end = write_queue.begin() + static_cast<std::ptrdiff_t>(std::min(write_queue.size(), kMaxBatch));
        std::deque<WriteJob> batch(std::make_move_iterator(write_queue.begin()), std::make_move_iterator(end));
        write_queue.erase(write_queue.begin(), end);
        const std::exception_ptr failed = error;  // a failed run writes nothing more
        lock.unlock();
        std::vector<std::exception_ptr> failures = write_files(batch, failed);
        lock.lock();
        for (std::size_t i = 0; i < batch.size(); ++i) {
          WriteJob& job = batch[i];
          if (!job.entry) continue;
          if (failures[i]) job.slot->error = failures[i];
          --job.entry->pending;
          queued_bytes -= job.bytes;
        }
        space_cv.notify_all();
        continue;
      }
      if (exit_code && entries.empty() && admitting == 0 && side_queue.empty()) {
        const int code = error && *exit_code == 0 ? 1 : *exit_code;
        lock.unlock();
        std::exception_ptr failure = write_end(code);
        lock.lock();
        end_error = failure;
        writer_done = true;
        done_cv.notify_all();
        return;
      }
      write_cv.wait(lock);
    }
  }

  // Stats and console records. A failure here fails the run like any write.
  void write_side(const std::deque<SideRecord>& batch) {
    try {
      std::vector<detail::RunOutput::Output> pieces;
      for (const SideRecord& r : batch) {
        if (r.output) pieces.push_back(*r.output);
        if (r.stats) {
          if (!pieces.empty()) output->output(pieces);
          pieces.clear();
          output->stats(*r.stats, r.when);
        }
      }
      if (!pieces.empty()) output->output(pieces);
    } catch (...) {
      record_error(std::current_exception());
    }
  }

  void stats_loop() {
    t_background_run = this;
    // The first sample about 2 s after init, as the SDK takes it.
    auto wait = std::min(options.stats_interval, std::chrono::milliseconds(2000));
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      if (stats_cv.wait_for(lock, wait, [&] { return stats_stop; })) return;
      wait = options.stats_interval;
      lock.unlock();
      Json sample;
      try {
        sample = sampler->sample();
      } catch (...) {  // only std::bad_alloc: skip this sample
      }
      const auto now = std::chrono::system_clock::now();
      lock.lock();
      if (!sample.empty() && !closed) {
        side_queue.push_back(SideRecord{std::move(sample), std::nullopt, now});
        stats_sampled = true;
        write_cv.notify_one();
      }
    }
  }

  // Ends console capture and system metrics before the run's end records,
  // so the last output and samples go in first. Caller side, no lock held.
  void stop_side_sources() {
    if (console) {
      const std::exception_ptr failed = console->stop();
      console.reset();
      if (failed) {
        try {
          std::rethrow_exception(failed);
        } catch (const std::exception& e) {
          detail::emit_warning(std::string("console capture stopped early: ") + e.what());
        } catch (...) {
          detail::emit_warning("console capture stopped early");
        }
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      stats_stop = true;
    }
    stats_cv.notify_all();
    if (stats_thread.joinable()) stats_thread.join();
    // A run shorter than the first interval still gets one sample, at its end.
    if (sampler) {
      std::lock_guard<std::mutex> lock(mu);
      if (!stats_sampled) {
        try {
          Json sample = sampler->sample();
          const auto now = std::chrono::system_clock::now();
          if (!sample.empty()) side_queue.push_back(SideRecord{std::move(sample), std::nullopt, now});
        } catch (...) {  // only std::bad_alloc: no sample
        }
      }
    }
  }

  // Waits (bounded) for `wandb beta sync --live` to read the end of the run,
  // and warns unless it ended well. Caller side, after the end records.
  // One "wandb: " line on stderr, as the SDK prints, unless silent. Written
  // whole with one call, so it is not interleaved with other output.
  void say(const std::string& text) const {
    if (options.silent.value_or(false)) return;
    const std::string line = "wandb: " + text + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }

  // The run folder as the messages show it: absolute, as the SDK prints it,
  // so the `wandb sync` line works from any folder.
  std::string shown_root() const {
    std::error_code ec;
    const fs::path absolute = fs::absolute(run.root, ec);
    return (ec ? run.root : absolute.lexically_normal()).string();
  }

  // Images logged but not yet written (REQUIRES(mu)).
  int64_t images_waiting() const {
    int64_t n = 0;
    for (const auto& e : entries) n += e->pending;
    return n;
  }

  // Returns true when the upload ended well.
  bool report_live_upload() {
    const detail::LiveSync::Result r = live->wait(options.sync_timeout);
    const std::string log = (run.root / "live-sync.log").string();
    const std::string command = live->command_line();
    const std::string pid = std::to_string(live->pid());
    live.reset();  // never kills it: one still running is left to finish
    if (!r.exited) {
      detail::emit_warning("live upload `" + command + "` (pid " + pid + ") is still running after " +
                           std::to_string(options.sync_timeout.count()) +
                           " ms; it goes on in the background (log: " + log + ")");
    } else if (r.signal != 0 || r.exit_code != 0) {
      detail::emit_warning("live upload `" + command + "` ended with " +
                           (r.signal != 0 ? "signal " + std::to_string(r.signal)
                                          : "exit status " + std::to_string(r.exit_code)) +
                           " (log: " + log + "); upload the run with `wandb sync " + run.root.string() + "`");
    }
    return r.exited && r.signal == 0 && r.exit_code == 0;
  }

  // Writes a batch of media files; one failure per job (null when written).
  // After the run failed (`failed`), nothing is written: each job gets that failure.
  std::vector<std::exception_ptr> write_files(std::deque<WriteJob>& batch, const std::exception_ptr& failed) {
    std::vector<std::exception_ptr> failures(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      WriteJob& job = batch[i];
      try {
        if (failed) std::rethrow_exception(failed);
        detail::write_media(run.root, job.files, options.sync_media ? &media_sync : nullptr);
      } catch (...) {
        failures[i] = std::current_exception();
      }
      if (job.preview && !failures[i]) {
        try {
          detail::write_media(run.root, {*job.preview});
        } catch (const std::exception& e) {
          warn_from_background("cannot write preview " + job.preview->path + ": " + e.what());
        }
      }
      job.files.clear();  // the bytes are not needed any more
      job.preview.reset();
      if (job.announce) {
        if (!failures[i]) {
          add_singletons({&*job.announce});
          announced.insert(announced.end(), job.announce->files.begin(), job.announce->files.end());
          job.done->set_value();
        } else {
          job.done->set_exception(failures[i]);
        }
      }
    }
    return failures;
  }

  // The metric defined for `key`: by name, else by the first glob matching it.
  const detail::MetricDef* metric_for(const std::string& key) const {
    const detail::MetricDef* by_glob = nullptr;
    for (const detail::MetricDef& m : metric_defs) {
      if (!m.glob && m.name == key) return &m;
      if (m.glob && !by_glob && ::fnmatch(m.name.c_str(), key.c_str(), 0) == 0) by_glob = &m;
    }
    return by_glob;
  }

  // Records defined metrics; step metrics not yet defined are defined first,
  // as the SDK's handler does.
  void define_metrics(const std::vector<detail::MetricDef>& defs) {
    std::vector<detail::MetricDef> out;
    for (const detail::MetricDef& m : defs) {
      if (!m.step_metric.empty() && metric_names.insert(m.step_metric).second) {
        detail::MetricDef step;
        step.name = m.step_metric;
        step.defined = false;
        out.push_back(step);
      }
      if (!m.glob) metric_names.insert(m.name);
      metric_defs.push_back(m);
      out.push_back(m);
    }
    output->metrics(out);
  }

  // step_sync: a row with a metric whose step metric it lacks gets the step
  // metric's last value. Keys first matched by a glob get their own record.
  void apply_metrics(Json& row) {
    if (metric_defs.empty()) return;
    std::vector<detail::MetricDef> expanded;
    std::vector<std::pair<std::string, Json>> added;
    for (auto it = row.begin(); it != row.end(); ++it) {
      const detail::MetricDef* m = metric_for(it.key());
      if (!m) continue;
      if (m->glob && !metric_names.count(it.key())) {
        detail::MetricDef e = *m;
        e.name = it.key();
        e.glob = false;
        e.expanded_from_glob = true;
        expanded.push_back(e);
      }
      if (m->step_sync && !m->step_metric.empty() && !row.contains(m->step_metric)) {
        const auto last = step_values.find(m->step_metric);
        if (last != step_values.end()) added.emplace_back(m->step_metric, last->second);
      }
    }
    for (auto& [key, value] : added) row[key] = std::move(value);
    if (!expanded.empty()) define_metrics(expanded);
    for (const std::string& name : metric_names) {
      if (row.contains(name)) step_values[name] = row[name];
    }
  }

  void write_entry(const Entry& entry) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (error) return;  // a failed run stays failed: later rows are not written
    }
    if (entry.kind == Entry::Kind::kMetric) {
      try {
        output->check_intact();
        define_metrics(entry.metrics);
      } catch (...) {
        record_error(std::current_exception());
      }
      return;
    }
    std::vector<std::string> files;
    std::vector<const detail::Binding*> bindings;
    Json json;
    try {
      json = assemble(entry.nodes, files, bindings);
    } catch (...) {
      record_error(std::current_exception());
      return;  // a row whose media failed is not written
    }
    add_singletons(bindings);
    files.insert(files.begin(), announced.begin(), announced.end());
    announced.clear();
    // One Files record per file, even when several images share it.
    std::set<std::string> seen;
    files.erase(std::remove_if(files.begin(), files.end(),
                               [&](const std::string& f) { return !seen.insert(f).second; }),
                files.end());
    if (entry.kind == Entry::Kind::kRow) {
      try {
        apply_metrics(json);
      } catch (...) {
        record_error(std::current_exception());
        return;
      }
      json["_step"] = entry.step;
      json["_runtime"] = entry.runtime;
      json["_timestamp"] = entry.timestamp;
    }
    std::optional<Json> changed_config;
    // files/wandb-summary.json is rewritten at most once a second while the
    // run goes on (and always at its end): the Summary record after each row
    // already keeps the summary, and copying and dumping the whole summary
    // for every row cost time that grew with the summary.
    const auto now = std::chrono::steady_clock::now();
    const bool write_summary_file = now - summary_file_written >= std::chrono::seconds(1);
    std::optional<Json> summary_now;
    {
      std::lock_guard<std::mutex> lock(meta_mu);
      if (config_dirty && entry.kind == Entry::Kind::kRow) {
        changed_config = config;
        config_dirty = false;
      }
      for (auto it = json.begin(); it != json.end(); ++it) summary[it.key()] = it.value();
      if (write_summary_file) summary_now = summary;
    }
    try {
      output->check_intact();
      media_sync.sync();  // the media this row names are on disk before it is written
      if (entry.kind == Entry::Kind::kRow) {
        if (changed_config) output->config(*changed_config);
        output->history(entry.step, json, files);
      } else {
        output->summary_update(json, files);
      }
      if (summary_now) {
        output->summary(*summary_now);
        summary_file_written = now;
      }
    } catch (...) {
      record_error(std::current_exception());
    }
  }

  // The run's last records; the failure, if any.
  std::exception_ptr write_end(int code) {
    try {
      std::optional<Json> changed_config;
      Json summary_now;
      {
        std::lock_guard<std::mutex> lock(meta_mu);
        if (config_dirty) changed_config = config;
        config_dirty = false;
        summary_now = summary;
      }
      output->check_intact();
      output->finish(changed_config ? &*changed_config : nullptr, summary_now, announced, code,
                     runtime_seconds());
      announced.clear();
      return nullptr;
    } catch (...) {
      return std::current_exception();
    }
  }

  // ---- caller side ----

  // Queues an entry's images (REQUIRES(mu), through `lock`): waits while the
  // queue holds too many bytes (one oversized row is always admitted when the
  // queue is empty), except on the run's own threads.
  void admit(std::unique_lock<std::mutex>& lock, std::vector<EncodeJob>& jobs) {
    std::size_t bytes = 0;
    for (const EncodeJob& j : jobs) bytes += j.bytes;
    if (t_background_run != this) {
      ++admitting;  // the writer does not end the run before these are queued
      space_cv.wait(lock, [&] {
        return queued_bytes == 0 || queued_bytes + bytes <= options.max_queued_bytes;
      });
      --admitting;
    }
    queued_bytes += bytes;
    for (EncodeJob& j : jobs) encode_queue.push_back(std::move(j));
  }

  void log_row(const Row& row, std::optional<int64_t> step, std::optional<bool> commit) {
    check_row(row);
    std::vector<EncodeJob> jobs;
    std::vector<std::string> warnings;
    Nodes nodes;
    for (const auto& [key, value] : row) upsert(nodes, key, make_node(key, value, jobs, warnings));
    for (const std::string& w : warnings) detail::emit_warning(w);  // no lock held
    std::optional<std::string> ignored;
    bool writer_has_work = false;
    {
      std::unique_lock<std::mutex> lock(mu);
      throw_if_unusable();
      int64_t target = this->step;
      if (step.value_or(target) == std::numeric_limits<int64_t>::max()) {
        // The step after it would not fit the history record's int64.
        throw ValueError("step: expected at most " + std::to_string(std::numeric_limits<int64_t>::max() - 1) +
                         ", got " + std::to_string(step.value_or(target)));
      }
      if (step && *step < this->step) {
        ignored = "Tried to log to step " + std::to_string(*step) +
                  " that is less than the current step " + std::to_string(this->step) +
                  ". Steps must be monotonically increasing, so this data will be ignored.";
      } else {
        if (step) {
          if (*step > this->step) {
            seal_open();
            this->step = *step;
          }
          target = *step;
        }
        if (disabled) {  // the step moves as it would; nothing is kept
          if (step ? commit.value_or(false) : commit.value_or(true)) this->step = target + 1;
          return;
        }
        if (!open) {
          open = std::make_shared<Entry>();
          open->step = target;
          entries.push_back(open);
        }
        const std::string step_text = std::to_string(target);
        for (EncodeJob& j : jobs) {
          j.step = step_text;
          j.entry = open;
        }
        open->pending += static_cast<int>(jobs.size());
        for (auto& [key, node] : nodes) upsert(open->nodes, key, std::move(node));
        if (step ? commit.value_or(false) : commit.value_or(true)) {
          seal_open();
          this->step = target + 1;
        }
        admit(lock, jobs);
        writer_has_work = front_is_ready();
      }
    }
    if (ignored) {
      detail::emit_warning(*ignored);
      return;
    }
    if (!jobs.empty()) encode_cv.notify_all();
    // A row with images becomes ready only once they are encoded: the writer
    // is woken then, by the encoder, not now (on 2 cores a needless wake-up
    // takes time from the encoder).
    if (writer_has_work) write_cv.notify_one();
  }

  bool front_is_ready() const {  // REQUIRES(mu)
    return !entries.empty() && entries.front()->sealed && entries.front()->pending == 0;
  }
};

namespace detail {

struct RunAccess {
  static Run::Impl& impl(Run& run) {
    if (!run.impl_) throw StateError("run: expected a live run, got a moved-from one");
    return *run.impl_;
  }
};

Binding bind_to_run(Run& run, const Image& image, const std::string& key, const std::string& step,
                    const std::optional<std::string>& id) {
  Run::Impl& impl = RunAccess::impl(run);
  {
    std::lock_guard<std::mutex> lock(impl.mu);
    impl.throw_if_unusable();
  }
  PreparedMedia media = prepare_media(image, key, step, id);
  if (impl.disabled) return std::move(media.binding);  // named, never written
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> written = done->get_future();
  {
    std::lock_guard<std::mutex> lock(impl.mu);
    impl.throw_if_unusable();
    impl.write_queue.push_back(
        WriteJob{std::move(media.files), std::nullopt, nullptr, nullptr, 0, media.binding, done});
  }
  impl.write_cv.notify_one();
  written.get();
  return std::move(media.binding);
}

Json seq_to_json(const std::vector<Image>& images, Run& run, const std::string& key,
                 const std::string& step) {
  if (images.empty()) throw ValueError("images: expected at least one image, got an empty list");
  for (const std::string& w : list_warnings(images)) detail::emit_warning(w);
  const std::vector<Image> items = truncate_images(images);
  std::vector<Binding> bindings;
  for (const Image& image : items) bindings.push_back(bind_to_run(run, image, key, step));
  std::vector<const Binding*> pointers;
  for (const Binding& b : bindings) pointers.push_back(&b);
  return images_json(items, pointers);
}

}  // namespace detail

// ---- Run ---------------------------------------------------------------------------

Run::Run(RunOptions given) try : impl_(std::make_unique<Impl>()) {
  Impl& impl = *impl_;
  RunOptions options = detail::with_environment(std::move(given), [](const char* name) { return std::getenv(name); });
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
  // They go into protobuf string fields, which must hold UTF-8: one bad byte
  // would make the Run record, and every record after it, unreadable.
  detail::check_text("project", *options.project);
  for (const auto& [what, text] : {std::pair{"entity", &options.entity}, {"name", &options.name},
                                   {"group", &options.group}, {"job_type", &options.job_type},
                                   {"notes", &options.notes}}) {
    if (*text) detail::check_text(what, **text);
  }
  for (const std::string& tag : options.tags) detail::check_text("tag", tag);
  if (options.stats_interval.count() < 0) {
    throw ValueError("stats_interval: expected 0 (off) or a positive duration, got " +
                     std::to_string(options.stats_interval.count()) + " ms");
  }
  if (options.sync_timeout.count() < 0) {
    throw ValueError("sync_timeout: expected 0 or a positive duration, got " +
                     std::to_string(options.sync_timeout.count()) + " ms");
  }
  for (auto it = options.config.begin(); it != options.config.end(); ++it) detail::check_key(it.key());
  detail::check_json_text("config", options.config);
  impl.run.id = options.id.value_or(random_run_id());
  impl.run.start = std::chrono::system_clock::now();
  impl.start_steady = std::chrono::steady_clock::now();
  if (options.sync == Sync::kDisabled) {  // checked like any run; nothing made
    impl.disabled = true;
    impl.config = options.config;
    impl.options = std::move(options);
    impl.uncaught_at_start = std::uncaught_exceptions();
    return;
  }
  if (options.console == Console::kTee) {
    // First: a capture that cannot start (another run has one) leaves nothing behind.
    Impl* raw = impl_.get();
    impl.console = std::make_unique<detail::ConsoleCapture>(
        [raw](detail::ConsoleCapture::Stream stream, std::string text, std::chrono::system_clock::time_point when) {
          std::lock_guard<std::mutex> lock(raw->mu);
          raw->side_queue.push_back(
              SideRecord{std::nullopt, detail::RunOutput::Output{static_cast<int>(stream), std::move(text), when}, when});
          raw->write_cv.notify_one();
        });
  }
  const fs::path base = *options.dir / "wandb";
  impl.run.root = base / ("offline-run-" + local_time_stamp(impl.run.start) + "-" + impl.run.id);
  impl.run.files = impl.run.root / "files";
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) throw IoError("cannot create folder " + base.string() + ": " + ec.message(), ec.value());
  if (!fs::create_directory(impl.run.root, ec)) {
    throw IoError("cannot create run folder " + impl.run.root.string() + ": " +
                      (ec ? ec.message() : std::string("it already exists")),
                  ec ? ec.value() : EEXIST);
  }
  fs::create_directories(impl.run.files, ec);
  if (ec) throw IoError("cannot create folder " + impl.run.files.string() + ": " + ec.message(), ec.value());
  // latest-run points at the newest run, as the SDK's does.
  const fs::path link = base / "latest-run";
  const fs::path tmp_link = base / (".latest-run." + impl.run.id);
  fs::create_directory_symlink(impl.run.root.filename(), tmp_link, ec);
  if (!ec) fs::rename(tmp_link, link, ec);
  if (ec) fs::remove(tmp_link, ec);

  impl.config = options.config;
  impl.options = std::move(options);
  // Written here, before the writer starts: init reports a run that cannot be written.
  impl.output = std::make_unique<detail::RunOutput>(impl.run, impl.options, impl.config);
  impl.uncaught_at_start = std::uncaught_exceptions();
  std::unique_ptr<detail::GpuSource> gpus;
  if (impl.options.metadata || impl.options.stats_interval.count() > 0) gpus = detail::nvml_gpus();
  if (impl.options.metadata) {
    const Json extra = {{"wandb_image",
                         {{"version", version()},
                          {"libtorch", detail::libtorch_version()},
                          {"libtorch_cuda", detail::libtorch_has_cuda()},
                          {"opencv", CV_VERSION}}}};
    impl.output->metadata(detail::system_metadata({}, extra, impl.run.start, gpus.get()));
  }
  if (impl.options.stats_interval.count() > 0) {
    impl.sampler = std::make_unique<detail::SystemSampler>(detail::SystemPaths{}, std::move(gpus),
                                                           detail::CpuMetric::kProcess);
  }
  // 0: one per CPU the process may use (affinity and cgroup quota), not per CPU
  // of the machine: a container limited to 2 CPUs on a 64-core host gets 2.
  const int encoders = impl.options.workers > 0 ? impl.options.workers : detail::usable_cpus();
  Impl* raw = impl_.get();
  impl.writer = std::thread([raw] { raw->writer_loop(); });
  for (int i = 0; i < encoders; ++i) impl.encoders.emplace_back([raw] { raw->encoder_loop(); });
  if (impl.sampler) impl.stats_thread = std::thread([raw] { raw->stats_loop(); });
  if (impl.options.sync == Sync::kLive) {
    std::string why;
    impl.live = detail::LiveSync::start(impl.run.root, impl.run.root / "live-sync.log",
                                        {.cli = impl.options.wandb_program}, &why);
    if (!impl.live) {
      detail::emit_warning("live upload off: " + why + "; the run is written offline (upload it with `wandb sync " +
                           impl.run.root.string() + "`)");
    }
  }
  impl.say(std::string(impl.live ? "uploading live, " : "offline run, ") + "saved in " + impl.shown_root());
} WANDB_PUBLIC_CALL("Run")

Run::Run(Run&&) noexcept = default;
Run& Run::operator=(Run&& other) noexcept {
  if (this != &other) {
    if (impl_) {
      try {
        finish();
      } catch (const std::exception& e) {
        try {  // noexcept: a throwing warning handler must not end the program
          detail::emit_warning(std::string("run finished with an error: ") + e.what());
        } catch (...) {
        }
      }
    }
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Run::~Run() {
  if (!impl_) return;
  // Destroyed by an exception unwinding the run's scope: the program did not
  // get to its end, so the run did not succeed.
  const bool unwinding = std::uncaught_exceptions() > impl_->uncaught_at_start;
  const auto warn_quietly = [&](const std::string& message) noexcept {
    try {
      detail::emit_warning(message);
    } catch (...) {  // a destructor must not throw, even for the handler
    }
  };
  try {
    if (unwinding && !finished()) {
      warn_quietly("run " + impl_->run.id + " ends with exit code 1: an exception is leaving its scope");
    }
    finish(unwinding ? 1 : 0);
  } catch (const std::exception& e) {
    warn_quietly(std::string("run ") + impl_->run.id + " finished with an error: " + e.what());
  } catch (...) {
    warn_quietly(std::string("run ") + impl_->run.id + " finished with an error of an unknown type");
  }
}

void Run::log(const Row& row) try {
  detail::RunAccess::impl(*this).log_row(row, std::nullopt, std::nullopt);
} WANDB_PUBLIC_CALL("Run::log")

void Run::log(const Row& row, int64_t step, std::optional<bool> commit) try {
  detail::RunAccess::impl(*this).log_row(row, step, commit);
} WANDB_PUBLIC_CALL("Run::log")

void Run::config(const Json& update) try {
  if (!update.is_object()) {
    throw TypeError(std::string("config: expected a JSON object, got ") + update.type_name());
  }
  Impl& impl = detail::RunAccess::impl(*this);
  {
    std::lock_guard<std::mutex> lock(impl.mu);
    impl.throw_if_unusable();
  }
  for (auto it = update.begin(); it != update.end(); ++it) {
    detail::check_key(it.key());
    if (it.key() == "_wandb") throw ValueError("config: expected user keys, got the reserved key \"_wandb\"");
  }
  detail::check_json_text("config", update);
  std::lock_guard<std::mutex> lock(impl.meta_mu);
  for (auto it = update.begin(); it != update.end(); ++it) impl.config[it.key()] = it.value();
  impl.config_dirty = true;
} WANDB_PUBLIC_CALL("Run::config")

void Run::summary(const std::string& key, const Value& value) try {
  Impl& impl = detail::RunAccess::impl(*this);
  {
    std::lock_guard<std::mutex> lock(impl.mu);
    impl.throw_if_unusable();
  }
  if (value.kind() == Value::Kind::kRow) {
    throw TypeError("summary value: expected a number, string, JSON or image(s), got a nested row");
  }
  check_value(key, value);
  std::vector<EncodeJob> jobs;
  std::vector<std::string> warnings;
  Nodes nodes;
  nodes.emplace_back(key, make_node(key, value, jobs, warnings));
  for (const std::string& w : warnings) detail::emit_warning(w);  // no lock held
  if (impl.disabled) return;
  {
    std::unique_lock<std::mutex> lock(impl.mu);
    impl.throw_if_unusable();
    // After every row logged before it, as in the SDK: a row that is still
    // open and carries the same key overwrites it when it is committed.
    auto entry = std::make_shared<Entry>();
    entry->kind = Entry::Kind::kSummary;
    entry->sealed = true;
    entry->nodes = std::move(nodes);
    entry->pending = static_cast<int>(jobs.size());
    for (EncodeJob& j : jobs) {
      j.step = detail::kSummaryStep;
      j.entry = entry;
    }
    impl.entries.push_back(entry);
    impl.admit(lock, jobs);
  }
  impl.encode_cv.notify_all();
  impl.write_cv.notify_one();
} WANDB_PUBLIC_CALL("Run::summary")

void Run::define_metric(const std::string& name, const MetricOptions& options) try {
  Impl& impl = detail::RunAccess::impl(*this);
  if (name.empty()) throw ValueError("define_metric: expected a metric name, got \"\"");
  detail::check_text("define_metric name", name);
  detail::MetricDef def;
  def.name = name;
  def.glob = name.back() == '*';
  if (options.step_metric) {
    if (options.step_metric->empty()) {
      throw ValueError("define_metric step_metric: expected a metric name, got \"\"");
    }
    detail::check_text("define_metric step_metric", *options.step_metric);
    def.step_metric = *options.step_metric;
  }
  def.step_sync = options.step_sync.value_or(options.step_metric.has_value());
  def.hidden = options.hidden;
  static const std::set<std::string> kOps = {"min", "max", "mean", "best", "last", "copy", "none"};
  if (!options.summary.empty()) {
    std::size_t start = 0;
    while (start <= options.summary.size()) {  // as the SDK: split on ',' without trimming
      const std::size_t comma = std::min(options.summary.find(',', start), options.summary.size());
      const std::string op = options.summary.substr(start, comma - start);
      if (!kOps.count(op)) {
        throw ValueError("define_metric summary: expected min, max, mean, best, last, copy or none, got \"" +
                         detail::printable(op) + "\"");
      }
      if (std::find(def.summary.begin(), def.summary.end(), op) == def.summary.end()) def.summary.push_back(op);
      start = comma + 1;
    }
  }
  if (options.goal) {
    std::string prefix = options.goal->substr(0, 3);
    for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (prefix != "min" && prefix != "max") {
      throw ValueError("define_metric goal: expected \"minimize\" or \"maximize\", got \"" +
                       detail::printable(*options.goal) + "\"");
    }
    def.goal = prefix == "min" ? 1 : 2;
  }
  {
    std::lock_guard<std::mutex> lock(impl.mu);
    impl.throw_if_unusable();
    if (impl.disabled) return;
    auto entry = std::make_shared<Entry>();
    entry->kind = Entry::Kind::kMetric;
    entry->sealed = true;
    entry->metrics.push_back(std::move(def));
    impl.entries.push_back(entry);
  }
  impl.write_cv.notify_one();
} WANDB_PUBLIC_CALL("Run::define_metric")

void Run::finish(int exit_code) try {
  Impl& impl = detail::RunAccess::impl(*this);
  if (t_background_run == &impl) {
    throw StateError("finish: expected a call from outside the run's own threads, got one from "
                     "its encoder or writer thread (a warning handler?)");
  }
  std::unique_lock<std::mutex> lock(impl.mu);
  if (impl.closed) {
    impl.done_cv.wait(lock, [&] { return impl.writer_done; });
    return;
  }
  impl.closed = true;  // later log() calls throw; one waiting for queue space is still written
  if (impl.disabled) {  // no writer: nothing to wait for
    impl.writer_done = true;
    return;
  }
  lock.unlock();
  // The last console output and samples go in before the end records. Only
  // this call gets here: later ones saw `closed` and wait for the writer.
  impl.stop_side_sources();
  lock.lock();
  impl.seal_open();
  impl.exit_code = exit_code;
  impl.write_cv.notify_one();
  if (!impl.done_cv.wait_for(lock, std::chrono::seconds(1), [&] { return impl.writer_done; })) {
    const int64_t waiting = impl.images_waiting();
    if (waiting > 0) {
      impl.say("finishing: writing " + std::to_string(waiting) + " queued image" + (waiting == 1 ? "" : "s"));
    }
    impl.done_cv.wait(lock, [&] { return impl.writer_done; });
  }
  impl.stop = true;  // encoders exit; the destructor joins every thread
  impl.encode_cv.notify_all();
  std::exception_ptr error = impl.error ? impl.error : impl.end_error;
  lock.unlock();
  const bool uploaded = impl.live && impl.report_live_upload();
  if (error) std::rethrow_exception(error);
  impl.say(uploaded ? "uploaded live: " + impl.shown_root()
                    : "upload this run to W&B with: wandb sync " + impl.shown_root());
} WANDB_PUBLIC_CALL("Run::finish")

const std::string& Run::id() const noexcept { return impl_->run.id; }
const fs::path& Run::dir() const noexcept { return impl_->run.files; }
const fs::path& Run::root() const noexcept { return impl_->run.root; }

int64_t Run::step() const try {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->step;
} WANDB_PUBLIC_CALL("Run::step")

bool Run::finished() const try {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->closed;
} WANDB_PUBLIC_CALL("Run::finished")

Json Run::config() const try {
  std::lock_guard<std::mutex> lock(impl_->meta_mu);
  return impl_->config;
} WANDB_PUBLIC_CALL("Run::config")

Json Run::summary() const try {
  std::lock_guard<std::mutex> lock(impl_->meta_mu);
  return impl_->summary;
} WANDB_PUBLIC_CALL("Run::summary")

Run init(RunOptions options) try { return Run(std::move(options)); } WANDB_PUBLIC_CALL("init")

}  // namespace wandb
