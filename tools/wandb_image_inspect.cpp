// wandb-image-inspect <run folder or .wandb file>
//
// Prints what `wandb sync` would see in an offline run: the file header, one
// line per record, whether the file ends cleanly, the media files under
// files/media, and whether every path the records name exists.
// Exit status: 0 when all is well, 1 when the file is damaged, unreadable or
// names missing files, 2 for a bad command line.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli.h"
#include "wandb/errors.h"
#include "wandb/json.h"
#include "wandb/run_file.h"

namespace fs = std::filesystem;

namespace {

constexpr int kOk = wandb::cli::kOk;
constexpr int kDamaged = wandb::cli::kFailure;

std::string str(const wandb::Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// "key" or the nested_key path joined with '.'.
std::string item_key(const wandb::Json& item) {
  if (item.contains("nested_key")) {
    std::string joined;
    for (const auto& part : item["nested_key"]) {
      if (!joined.empty()) joined += '.';
      joined += part.is_string() ? part.get<std::string>() : part.dump();
    }
    return joined;
  }
  return str(item, "key");
}

std::string item_keys(const wandb::Json& record, const char* list) {
  std::string keys;
  if (!record.contains(list)) return keys;
  for (const auto& item : record[list]) keys += (keys.empty() ? "" : ", ") + item_key(item);
  return keys;
}

// Media paths a logged value names: "path" of image-file-like values and
// "filenames" of image lists, where they start with "media/".
void collect_media_paths(const wandb::Json& value, std::set<std::string>* out) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (it.key() == "path" && it->is_string()) {
        const auto path = it->get<std::string>();
        if (path.rfind("media/", 0) == 0) out->insert(path);
      } else if (it.key() == "filenames" && it->is_array()) {
        for (const auto& name : *it) {
          if (name.is_string() && name.get<std::string>().rfind("media/", 0) == 0) {
            out->insert(name.get<std::string>());
          }
        }
      } else {
        collect_media_paths(*it, out);
      }
    }
  } else if (value.is_array()) {
    for (const auto& element : value) collect_media_paths(element, out);
  }
}

std::set<std::string> referenced_media(const wandb::Json& record, const char* list) {
  std::set<std::string> paths;
  if (!record.contains(list)) return paths;
  for (const auto& item : record[list]) {
    const wandb::Json value =
        wandb::Json::parse(str(item, "value_json"), nullptr, /*allow_exceptions=*/false);
    if (!value.is_discarded()) collect_media_paths(value, &paths);
  }
  return paths;
}

std::string dump(const wandb::Json& value) {
  return value.dump(-1, ' ', false, wandb::Json::error_handler_t::replace);
}

struct Inspection {
  fs::path files_dir;
  std::set<std::string> named;    // paths named by Files records so far
  std::set<std::string> missing;  // a file named or referenced many times is one missing file
  int unnamed_references = 0;
};

bool exists(const Inspection& run, const std::string& relative) {
  std::error_code ec;
  return fs::is_regular_file(run.files_dir / fs::path(relative), ec);
}

std::string summarize(const wandb::RunFileRecord& record, Inspection* run) {
  const wandb::Json& json = record.json;
  static const wandb::Json kEmpty = wandb::Json::object();
  const auto found = json.find(record.kind);
  const wandb::Json& body = found != json.end() ? *found : kEmpty;
  std::string line;
  if (record.kind == "header") {
    const wandb::Json info = body.value("version_info", wandb::Json::object());
    line = "producer=" + str(info, "producer") + " min_consumer=" + str(info, "min_consumer");
  } else if (record.kind == "run") {
    line = "id=" + str(body, "run_id") + " project=" + str(body, "project");
    if (body.contains("entity")) line += " entity=" + str(body, "entity");
    if (body.contains("display_name")) line += " name=" + str(body, "display_name");
    if (body.contains("starting_step")) line += " starting_step=" + str(body, "starting_step");
  } else if (record.kind == "config" || record.kind == "summary") {
    line = "keys: " + item_keys(body, "update");
    if (body.contains("remove")) line += "; removed: " + item_keys(body, "remove");
  } else if (record.kind == "history") {
    const wandb::Json step = body.value("step", wandb::Json::object());
    line = "step=" + (step.contains("num") ? str(step, "num") : std::string("0")) +
           " keys: " + item_keys(body, "item");
  } else if (record.kind == "files") {
    if (body.contains("files")) {
      for (const auto& file : body["files"]) {
        const std::string path = str(file, "path");
        const bool present = exists(*run, path);
        run->named.insert(path);
        if (!present) run->missing.insert(path);
        if (!line.empty()) line += ", ";
        line += path + " (" + (file.contains("policy") ? str(file, "policy") : "NOW") +
                (present ? ")" : ") MISSING");
      }
    }
  } else if (record.kind == "exit") {
    line = "exit_code=" + (body.contains("exit_code") ? str(body, "exit_code") : "0") +
           " runtime=" + (body.contains("runtime") ? str(body, "runtime") : "0") + "s";
  } else if (record.kind == "stats") {
    line = "keys: " + item_keys(body, "item");
  } else if (record.kind == "output_raw") {
    std::string text = body.value("line", "");
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    line = body.value("output_type", "STDERR") + " " +
           wandb::Json(text).dump(-1, ' ', false, wandb::Json::error_handler_t::replace);
  } else if (record.kind == "metric") {
    line = body.contains("glob_name") ? "glob=" + str(body, "glob_name") : "name=" + str(body, "name");
    if (body.contains("step_metric")) line += " step_metric=" + str(body, "step_metric");
  } else if (record.kind == "final") {
  } else {
    line = dump(json);
  }
  // Media a logged value points at must exist and (for sync to upload it) be
  // named by an earlier Files record.
  if (record.kind == "history" || record.kind == "summary") {
    const auto paths = referenced_media(body, record.kind == "history" ? "item" : "update");
    for (const auto& path : paths) {
      if (!exists(*run, path)) {
        run->missing.insert(path);
        line += "\n      references missing file " + path;
      } else if (!run->named.count(path)) {
        ++run->unnamed_references;
        line += "\n      references " + path + ", which no earlier files record names";
      }
    }
  }
  return line;
}

int inspect(const fs::path& target) {
  std::error_code ec;
  fs::path file = target;
  fs::path run_dir = target.parent_path();
  if (fs::is_directory(target, ec)) {
    std::vector<fs::path> candidates;
    for (const auto& entry : fs::directory_iterator(target, ec)) {
      if (entry.is_regular_file() && entry.path().extension() == ".wandb") {
        candidates.push_back(entry.path());
      }
    }
    if (ec) throw wandb::IoError("cannot list folder " + target.string() + ": " + ec.message());
    if (candidates.size() != 1) {
      // The folder that holds the runs is the likeliest wrong folder to be given.
      const fs::path latest = target / "latest-run";
      throw wandb::ValueError("expected one .wandb file in " + target.string() + ", got " +
                              std::to_string(candidates.size()) +
                              (fs::exists(latest, ec) ? " (for its latest run: " + latest.string() + ")" : ""));
    }
    file = candidates.front();
    run_dir = target;
  }
  if (run_dir.empty()) run_dir = ".";

  const wandb::RunFileContents contents = wandb::read_run_file(file.string());

  Inspection run;
  run.files_dir = run_dir / "files";
  std::cout << "file: " << file.string() << " (" << contents.file_bytes << " bytes)\n";
  std::cout << "header: " << (contents.header_ok ? "ok (:W&B, version 0)" : "incomplete") << "\n";
  std::cout << "records: " << contents.records.size() << "\n";
  bool has_exit = false;
  for (const auto& record : contents.records) {
    has_exit = has_exit || record.kind == "exit";
    std::string line = summarize(record, &run);
    std::cout << "  #" << record.num << " @" << record.offset << " " << record.kind
              << (line.empty() ? "" : " ") << line << "\n";
  }
  if (contents.torn_tail) {
    std::cout << "tail: TORN after " << contents.valid_bytes << " of " << contents.file_bytes
              << " bytes: " << contents.tail_error << "\n";
  } else {
    std::cout << "tail: complete\n";
  }
  if (!has_exit) std::cout << "note: no exit record (wandb sync marks the run as failed)\n";

  const fs::path media = run.files_dir / "media";
  std::vector<std::string> media_files;
  if (fs::is_directory(media, ec)) {
    for (auto it = fs::recursive_directory_iterator(media, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file()) {
        media_files.push_back(it->path().lexically_relative(run.files_dir).generic_string());
      }
    }
  }
  std::sort(media_files.begin(), media_files.end());
  std::cout << "media files under " << media.string() << ": " << media_files.size() << "\n";
  for (const auto& path : media_files) {
    std::cout << "  " << path << (run.named.count(path) ? "" : " (named by no files record)")
              << "\n";
  }
  std::cout << "files records name " << run.named.size()
            << " paths; missing files: " << run.missing.size() << "\n";

  const bool damaged = contents.torn_tail || !run.missing.empty();
  std::cout << (damaged ? "status: DAMAGED\n" : "status: ok\n");
  return damaged ? kDamaged : kOk;
}

}  // namespace

int main(int argc, char** argv) {
  wandb::cli::App app("wandb-image-inspect",
                      "Prints what `wandb sync` would see in an offline run: the .wandb file's\n"
                      "header, one line per record, whether the file ends cleanly, the media files\n"
                      "under files/media, and whether every file the records name exists.");
  std::string target;
  app.add_option("run", target,
                 "a run folder (wandb/offline-run-..., or wandb/latest-run)\n"
                 "or the run-<id>.wandb file in it")
      ->required();
  app.footer(
      "exit status: 0 ok; 1 damaged or unreadable .wandb file, or missing media files;\n"
      "2 bad command line");
  app.parse_or_exit(argc, argv);
  return app.run([&] { return inspect(target); });
}
