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

/// History rows from files/wandb-history.jsonl.
inline std::vector<Json> read_history_lines(const std::filesystem::path& files_dir) {
  std::vector<Json> rows;
  std::ifstream in(files_dir / "wandb-history.jsonl");
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
