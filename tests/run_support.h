// Helpers for run tests: reading back what a run wrote, and the SDK golden
// scenarios' normalisation.
#pragma once

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "wandb/json.h"

namespace wandb::test {

/// History rows from history.jsonl, beside the files/ folder given.
inline std::vector<Json> read_history_lines(const std::filesystem::path& files_dir) {
  std::vector<Json> rows;
  std::ifstream in(files_dir.parent_path() / "history.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(Json::parse(line));
  }
  return rows;
}

/// Relative paths (with '/') of every file below files/media.
inline std::vector<std::string> media_files(const std::filesystem::path& files_dir) {
  std::vector<std::string> out;
  const auto media = files_dir / "media";
  if (!std::filesystem::exists(media)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(media)) {
    if (e.is_regular_file()) out.push_back(std::filesystem::relative(e.path(), files_dir).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// The golden files' normalisation: sha256 and size replaced, and the
/// _<step>_<id> tail of media paths.
inline std::string normalize_path(const std::string& path) {
  static const std::regex kTail(R"(_(\d+|summary)_[0-9a-z]+((\.[A-Za-z0-9]+)*)$)");
  return std::regex_replace(path, kTail, "_<step>_<id>$2");
}

inline Json normalize(const Json& v) {
  if (v.is_object()) {
    Json out = Json::object();
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key() == "sha256") {
        out[it.key()] = "<sha256>";
      } else if (it.key() == "size" && it.value().is_number()) {
        out[it.key()] = "<size>";
      } else {
        out[it.key()] = normalize(it.value());
      }
    }
    return out;
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& x : v) out.push_back(normalize(x));
    return out;
  }
  if (v.is_string() && v.get<std::string>().rfind("media/", 0) == 0) {
    return normalize_path(v.get<std::string>());
  }
  return v;
}

inline std::vector<std::string> normalized_set(const std::vector<std::string>& paths) {
  std::set<std::string> s;
  for (const auto& p : paths) s.insert(normalize_path(p));
  return {s.begin(), s.end()};
}

}  // namespace wandb::test

#include "wandb/run_file.h"

namespace wandb::test {

/// What the .wandb file of a run says: history rows rebuilt from their items,
/// the Files paths in order, and the record kinds in order.
struct RunFileView {
  std::vector<std::string> kinds;
  std::vector<Json> history;              // {key: value} per History record, plus "_step_num"
  std::vector<std::string> files;         // every Files path, in order
  std::vector<size_t> files_before;       // for each history row: Files paths seen before it
  Json config = Json::object();           // the Run record's config, or the last Config record's
  Json summary = Json::object();          // the Summary record's values
  RunFileContents contents;
};

inline Json parse_value_json(const std::string& text) {
  // The SDK writes NaN/Infinity as Python does; nlohmann reads them as null.
  static const std::regex kNonFinite(R"((-?Infinity|NaN)(?=[,\]}]|$))");
  return Json::parse(std::regex_replace(text, kNonFinite, "null"));
}

// The items under record[a][b], or none (empty repeated fields are not rendered).
inline Json items_to_object(const Json& record, const char* a, const char* b) {
  Json out = Json::object();
  if (!record.contains(a) || !record[a].contains(b)) return out;
  for (const auto& item : record[a][b]) {
    out[item.value("key", "")] = parse_value_json(item.value("value_json", "null"));
  }
  return out;
}

inline RunFileView read_run_view(const std::filesystem::path& root) {
  RunFileView view;
  std::filesystem::path file;
  for (const auto& e : std::filesystem::directory_iterator(root)) {
    if (e.path().extension() == ".wandb") file = e.path();
  }
  view.contents = read_run_file(file.string());
  for (const auto& r : view.contents.records) {
    view.kinds.push_back(r.kind);
    const Json& j = r.json;
    if (r.kind == "files") {
      if (j.contains("files") && j["files"].contains("files")) {
        for (const auto& f : j["files"]["files"]) view.files.push_back(f.value("path", ""));
      }
    } else if (r.kind == "history") {
      Json row = items_to_object(j, "history", "item");
      row["_step_num"] = j["history"].contains("step") ? j["history"]["step"].value("num", 0) : 0;
      view.history.push_back(row);
      view.files_before.push_back(view.files.size());
    } else if (r.kind == "run") {
      if (j["run"].contains("config")) view.config = items_to_object(j["run"], "config", "update");
    } else if (r.kind == "config") {
      view.config = items_to_object(j, "config", "update");
    } else if (r.kind == "summary") {
      view.summary = items_to_object(j, "summary", "update");
    }
  }
  return view;
}

}  // namespace wandb::test
