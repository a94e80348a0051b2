#include "detail/run_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "detail/file_io.h"
#include "detail/run_record.h"
#include "detail/text.h"
#include "wandb/errors.h"

namespace fs = std::filesystem;

namespace wandb::detail {
namespace {

// The SDK version whose offline runs these files reproduce.
constexpr const char* kProducer = "0.20.1";
constexpr const char* kMinConsumer = "0.10.0";

// config.yaml as the SDK lays it out; values are JSON, which YAML 1.2 reads.
void write_config_yaml(const fs::path& files, const Json& config) {
  std::string out = "wandb_version: 1\n";
  for (auto it = config.begin(); it != config.end(); ++it) {
    out.append("\n").append(dumps_python(Json(it.key())));
    out.append(":\n  desc: null\n  value: ").append(dumps_python(it.value())).append("\n");
  }
  write_file_atomic(files / "config.yaml", out.data(), out.size(), Existing::kReplace, files);
}

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return buf;
}

void set_time(google::protobuf::Timestamp* out, std::chrono::system_clock::time_point when) {
  const auto since_epoch = when.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  out->set_seconds(seconds.count());
  out->set_nanos(static_cast<int32_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds).count()));
}

template <class Item, class Container>
void add_items(Container* items, const Json& object) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    Item* item = items->Add();
    item->set_key(it.key());
    item->set_value_json(dumps_python(it.value()));
  }
}

}  // namespace

struct RunOutput::Impl {
  fs::path root;
  dev_t root_dev = 0;
  ino_t root_ino = 0;
  fs::path files;
  fs::path history_path;
  int history_fd = -1;
  std::unique_ptr<RunFileWriter> writer;
  int64_t num = 0;
  std::string summary_text;  // what wandb-summary.json holds

  wandb_internal::Record next() {
    wandb_internal::Record r;
    r.set_num(++num);
    return r;
  }
  wandb_internal::Record config_record(const Json& config) {
    wandb_internal::Record r = next();
    add_items<wandb_internal::ConfigItem>(r.mutable_config()->mutable_update(), config);
    return r;
  }
  // One Files record per media file, policy NOW, before the row that uses it.
  void add_files(std::vector<wandb_internal::Record>& out, const std::vector<std::string>& paths) {
    for (const auto& path : paths) {
      wandb_internal::Record r = next();
      auto* item = r.mutable_files()->add_files();
      item->set_path(path);
      item->set_policy(wandb_internal::FilesItem::NOW);
      item->set_type(wandb_internal::FilesItem::MEDIA);
      out.push_back(std::move(r));
    }
  }
};

RunOutput::RunOutput(const RunIdentity& run, const RunOptions& o, const Json& config)
    : impl_(std::make_unique<Impl>()) {
  impl_->root = run.root;
  struct stat root {};
  if (::stat(run.root.c_str(), &root) != 0) throw_io_error("read folder", run.root, errno);
  impl_->root_dev = root.st_dev;
  impl_->root_ino = root.st_ino;
  impl_->files = run.files;
  // Beside files/, not in it: `wandb sync` uploads everything under files/,
  // and wandb-history.jsonl there is the name of the server's history stream.
  impl_->history_path = run.root / "history.jsonl";
  impl_->writer = std::make_unique<RunFileWriter>((run.root / ("run-" + run.id + ".wandb")).string());
  impl_->history_fd =
      ::open(impl_->history_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (impl_->history_fd < 0) throw_io_error("open file", impl_->history_path, errno);
  // Header and Run go out now, the init config inside the Run record: `wandb
  // sync` sends it with the run, so it survives a run killed before its end.
  std::vector<wandb_internal::Record> records;
  wandb_internal::Record header = impl_->next();
  header.mutable_header()->mutable_version_info()->set_producer(kProducer);
  header.mutable_header()->mutable_version_info()->set_min_consumer(kMinConsumer);
  records.push_back(std::move(header));

  wandb_internal::Record r = impl_->next();
  auto* rr = r.mutable_run();
  rr->set_run_id(run.id);
  if (o.entity) rr->set_entity(*o.entity);
  rr->set_project(o.project.value_or("uncategorized"));
  if (o.name) rr->set_display_name(*o.name);
  if (o.group) rr->set_run_group(*o.group);
  if (o.job_type) rr->set_job_type(*o.job_type);
  if (o.notes) rr->set_notes(*o.notes);
  for (const auto& tag : o.tags) rr->add_tags(tag);
  add_items<wandb_internal::ConfigItem>(rr->mutable_config()->mutable_update(), config);
  rr->set_host(host_name());
  set_time(rr->mutable_start_time(), run.start);
  records.push_back(std::move(r));
  append_records(*impl_->writer, records);
  write_config_yaml(impl_->files, config);
}

void RunOutput::check_intact() const {
  struct stat st {};
  const bool history_gone = ::fstat(impl_->history_fd, &st) == 0 && st.st_nlink == 0;
  const bool root_moved = ::stat(impl_->root.c_str(), &st) != 0 || st.st_dev != impl_->root_dev ||
                          st.st_ino != impl_->root_ino;
  if (history_gone || root_moved) {
    throw IoError("cannot write run " + impl_->root.string() +
                      ": expected its folder to stay while the run is open, got it removed or replaced",
                  ENOENT);
  }
}

RunOutput::~RunOutput() {
  if (impl_ && impl_->history_fd >= 0) ::close(impl_->history_fd);
}

void RunOutput::config(const Json& config) {
  append_record(*impl_->writer, impl_->config_record(config));
  write_config_yaml(impl_->files, config);
}

void RunOutput::history(int64_t step, const Json& row, const std::vector<std::string>& files) {
  std::vector<wandb_internal::Record> records;
  impl_->add_files(records, files);
  wandb_internal::Record r = impl_->next();
  auto* history = r.mutable_history();
  add_items<wandb_internal::HistoryItem>(history->mutable_item(), row);
  history->mutable_step()->set_num(step);
  // The row's values are the summary's latest: a Summary record after each
  // row keeps the summary of a run killed before its end.
  wandb_internal::Record s = impl_->next();
  for (const auto& item : history->item()) {
    auto* update = s.mutable_summary()->add_update();
    update->set_key(item.key());
    update->set_value_json(item.value_json());
  }
  records.push_back(std::move(r));
  records.push_back(std::move(s));
  // Files, History and Summary in one write: a crash keeps all or none.
  append_records(*impl_->writer, records);
  // One write per line, so a killed process leaves whole lines only.
  // dumps_python(row), from the items' values already dumped above.
  std::string line(1, '{');
  for (const auto& item : history->item()) {
    if (line.size() > 1) line += ", ";
    line.append(dumps_python(Json(item.key()))).append(": ").append(item.value_json());
  }
  line += "}\n";
  if (!write_fully(impl_->history_fd, line.data(), line.size())) {
    throw_io_error("write file", impl_->history_path, errno);
  }
}

void RunOutput::summary_update(const Json& values, const std::vector<std::string>& files) {
  std::vector<wandb_internal::Record> records;
  impl_->add_files(records, files);
  wandb_internal::Record s = impl_->next();
  add_items<wandb_internal::SummaryItem>(s.mutable_summary()->mutable_update(), values);
  records.push_back(std::move(s));
  append_records(*impl_->writer, records);
}

void RunOutput::metrics(const std::vector<MetricDef>& metrics) {
  std::vector<wandb_internal::Record> records;
  for (const MetricDef& m : metrics) {
    wandb_internal::Record r = impl_->next();
    auto* metric = r.mutable_metric();
    if (m.glob) {
      metric->set_glob_name(m.name);
    } else {
      metric->set_name(m.name);
    }
    if (!m.step_metric.empty()) metric->set_step_metric(m.step_metric);
    if (m.step_sync) metric->mutable_options()->set_step_sync(true);
    if (m.hidden) metric->mutable_options()->set_hidden(true);
    if (m.defined) metric->mutable_options()->set_defined(true);
    if (m.expanded_from_glob) metric->set_expanded_from_glob(true);
    for (const std::string& op : m.summary) {
      auto* s = metric->mutable_summary();
      if (op == "min") s->set_min(true);
      if (op == "max") s->set_max(true);
      if (op == "mean") s->set_mean(true);
      if (op == "best") s->set_best(true);
      if (op == "last") s->set_last(true);
      if (op == "copy") s->set_copy(true);
      if (op == "none") s->set_none(true);
    }
    if (m.goal == 1) metric->set_goal(wandb_internal::MetricRecord::GOAL_MINIMIZE);
    if (m.goal == 2) metric->set_goal(wandb_internal::MetricRecord::GOAL_MAXIMIZE);
    records.push_back(std::move(r));
  }
  append_records(*impl_->writer, records);
}

void RunOutput::metadata(const Json& metadata) {
  const std::string text = metadata.dump(4, ' ', false, Json::error_handler_t::replace);
  write_file_atomic(impl_->files / "wandb-metadata.json", text.data(), text.size(), Existing::kReplace,
                    impl_->files);
  wandb_internal::Record r = impl_->next();
  auto* item = r.mutable_files()->add_files();
  item->set_path("wandb-metadata.json");
  item->set_policy(wandb_internal::FilesItem::NOW);
  item->set_type(wandb_internal::FilesItem::WANDB);
  append_record(*impl_->writer, r);
}

void RunOutput::stats(const Json& sample, std::chrono::system_clock::time_point when) {
  wandb_internal::Record r = impl_->next();
  auto* stats = r.mutable_stats();
  stats->set_stats_type(wandb_internal::StatsRecord::SYSTEM);
  set_time(stats->mutable_timestamp(), when);
  for (auto it = sample.begin(); it != sample.end(); ++it) {
    auto* item = stats->add_item();
    item->set_key(it.key());
    item->set_value_json(dumps_python(it.value()));
  }
  append_record(*impl_->writer, r);
}

void RunOutput::output(const std::vector<Output>& pieces) {
  std::vector<wandb_internal::Record> records;
  const auto add = [&](const Output& piece, std::string text) {
    wandb_internal::Record r = impl_->next();
    auto* out = r.mutable_output_raw();
    out->set_output_type(piece.stream == 0 ? wandb_internal::OutputRawRecord::STDERR
                                           : wandb_internal::OutputRawRecord::STDOUT);
    set_time(out->mutable_timestamp(), piece.when);
    out->set_line(std::move(text));
    records.push_back(std::move(r));
  };
  for (const Output& piece : pieces) {
    const bool newline = !piece.text.empty() && piece.text.back() == '\n';
    // Console bytes need not be UTF-8; a protobuf string must be.
    std::string text = repair_utf8(std::string_view(piece.text).substr(0, piece.text.size() - (newline ? 1 : 0)));
    if (!text.empty()) add(piece, std::move(text));
    if (newline) add(piece, "\n");
  }
  if (!records.empty()) append_records(*impl_->writer, records);
}

void RunOutput::summary(const Json& summary) {
  std::string text = dumps_python(summary);
  if (text == impl_->summary_text) return;  // the file already holds it
  write_file_atomic(impl_->files / "wandb-summary.json", text.data(), text.size(), Existing::kReplace,
                    impl_->files);
  impl_->summary_text = std::move(text);
}

void RunOutput::finish(const Json* config, const Json& summary, const std::vector<std::string>& files,
                       int exit_code, double runtime_seconds) {
  std::vector<wandb_internal::Record> records;
  if (config) records.push_back(impl_->config_record(*config));
  impl_->add_files(records, files);
  wandb_internal::Record s = impl_->next();
  add_items<wandb_internal::SummaryItem>(s.mutable_summary()->mutable_update(), summary);
  records.push_back(std::move(s));
  wandb_internal::Record exit = impl_->next();
  exit.mutable_exit()->set_exit_code(exit_code);
  exit.mutable_exit()->set_runtime(static_cast<int32_t>(runtime_seconds));
  records.push_back(std::move(exit));
  // docs/run-file.md: the Final record is exactly the bytes A2 01 00 (no num).
  wandb_internal::Record final_record;
  final_record.mutable_final();
  records.push_back(std::move(final_record));
  append_records(*impl_->writer, records);
  if (config) write_config_yaml(impl_->files, *config);
  this->summary(summary);
  impl_->writer->sync();
  impl_->writer->close();
  if (::fsync(impl_->history_fd) != 0) throw_io_error("sync file", impl_->history_path, errno);
}

}  // namespace wandb::detail
