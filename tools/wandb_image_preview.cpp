// wandb-image-preview <run folder> [--step N] [--key KEY] [--columns N] [-o out.png]
//
// Renders every image an offline run logged at one step (default: the last
// step with images), with its boxes and masks drawn, into one contact sheet.
// It reads what `wandb sync` would upload: the .wandb history, the config's
// class labels and the media files.
// Exit status: 0 written, 1 nothing to render or unreadable run, 2 usage error.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "cli_help.h"
#include "wandb/wandb.h"

namespace fs = std::filesystem;
using wandb::Json;

namespace {

constexpr int kMinTile = 192;

int usage() {
  std::cerr << "usage: wandb-image-preview <run folder> [--step N] [--key KEY] [--columns N] [-o out.png]\n";
  return 2;
}

Json parse_value(const std::string& text) {
  static const std::regex kNonFinite(R"((-?Infinity|NaN)(?=[,\]}]|$))");
  return Json::parse(std::regex_replace(text, kNonFinite, "null"), nullptr, false);
}

Json items(const Json& record, const char* a, const char* b) {
  Json out = Json::object();
  if (!record.contains(a) || !record[a].contains(b)) return out;
  for (const auto& item : record[a][b]) out[item.value("key", "")] = parse_value(item.value("value_json", "null"));
  return out;
}

struct Entry {
  std::string key;
  std::string path;
  std::optional<std::string> caption;
  Json boxes = Json::object();
  Json masks = Json::object();
};

void collect(const std::string& key, const Json& value, std::vector<Entry>& out) {
  if (!value.is_object()) return;
  const std::string type = value.value("_type", "");
  if (type == "image-file") {
    Entry e{key, value.value("path", ""), std::nullopt, value.value("boxes", Json::object()),
            value.value("masks", Json::object())};
    if (value.contains("caption")) e.caption = value["caption"].get<std::string>();
    out.push_back(std::move(e));
  } else if (type == "images/separated") {
    const Json& names = value["filenames"];
    for (size_t i = 0; i < names.size(); ++i) {
      Entry e{key, names[i].get<std::string>(), std::nullopt, Json::object(), Json::object()};
      if (value.contains("captions") && value["captions"][i].is_string()) e.caption = value["captions"][i].get<std::string>();
      if (value.contains("all_boxes") && value["all_boxes"][i].is_object()) e.boxes = value["all_boxes"][i];
      if (value.contains("all_masks") && value["all_masks"][i].is_object()) e.masks = value["all_masks"][i];
      out.push_back(std::move(e));
    }
  } else if (type.empty()) {
    for (auto it = value.begin(); it != value.end(); ++it) collect(it.key(), it.value(), out);  // nested row
  }
}

wandb::Image load(const fs::path& files, const Entry& e, const Json& config) {
  wandb::ImageOptions o;
  o.caption = e.caption;
  for (auto it = e.boxes.begin(); it != e.boxes.end(); ++it) {
    std::ifstream in(files / it.value()["path"].get<std::string>());
    o.boxes.emplace_back(it.key(), wandb::BoundingBoxes2D(Json::parse(in)));
  }
  for (auto it = e.masks.begin(); it != e.masks.end(); ++it) {
    std::optional<wandb::ClassLabels> labels;
    const std::string name = e.key + "_wandb_delimeter_" + it.key();
    const Json* registry = nullptr;
    if (config.contains("_wandb") && config["_wandb"].contains("mask/class_labels")) registry = &config["_wandb"]["mask/class_labels"];
    if (registry && registry->contains(name)) labels = wandb::ClassLabels::from_json((*registry)[name]["value"]);
    o.masks.emplace_back(it.key(), wandb::ImageMask::from_file((files / it.value()["path"].get<std::string>()).string(), labels));
  }
  return wandb::Image((files / e.path).string(), o);
}

}  // namespace

int main(int argc, char** argv) {
  wandb::cli::exit_on_help(argc, argv,
                           "usage: wandb-image-preview <run folder> [--step N] [--key KEY] [--columns N] "
                           "[-o out.png]\n"
                           "Renders the images an offline run logged at one step (default: the last\n"
                           "step with images), with boxes and masks, into one PNG (default\n"
                           "<run folder>/preview-step<N>.png).\n"
                           "Exit status: 0 written, 1 nothing to render or unreadable run, 2 usage error.\n");
  if (argc < 2) return usage();
  const fs::path root = argv[1];
  std::optional<int64_t> step;
  std::optional<std::string> key;
  std::optional<fs::path> out;
  int columns = 8;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return usage();
    const std::string value = argv[++i];
    try {
      if (flag == "--step") step = std::stoll(value);
      else if (flag == "--key") key = value;
      else if (flag == "--columns") columns = std::stoi(value);
      else if (flag == "-o") out = value;
      else return usage();
    } catch (const std::exception&) {
      return usage();
    }
  }
  try {
    fs::path file;
    for (const auto& e : fs::directory_iterator(root)) {
      if (e.path().extension() == ".wandb") file = e.path();
    }
    if (file.empty()) throw wandb::IoError("cannot find a .wandb file in " + root.string());
    const wandb::RunFileContents contents = wandb::read_run_file(file.string());
    Json config = Json::object();
    std::vector<std::pair<int64_t, Json>> rows;
    for (const auto& r : contents.records) {
      if (r.kind == "config") config = items(r.json, "config", "update");
      if (r.kind == "history") {
        const int64_t s = r.json["history"].contains("step") ? r.json["history"]["step"].value("num", int64_t{0}) : 0;
        rows.emplace_back(s, items(r.json, "history", "item"));
      }
    }
    std::vector<Entry> entries;
    int64_t chosen = -1;
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      if (step && it->first != *step) continue;
      std::vector<Entry> found;
      for (auto kv = it->second.begin(); kv != it->second.end(); ++kv) {
        if (!key || kv.key() == *key) collect(kv.key(), kv.value(), found);
      }
      if (!found.empty()) {
        entries = std::move(found);
        chosen = it->first;
        break;
      }
    }
    if (entries.empty()) {
      std::cerr << "no images logged" << (step ? " at step " + std::to_string(*step) : std::string())
                << (key ? " under key " + *key : std::string()) << " in " << root.string() << '\n';
      return 1;
    }
    std::vector<wandb::Image> images;
    for (const auto& e : entries) images.push_back(load(root / "files", e, config));
    wandb::GridOptions grid;
    grid.columns = columns;
    // Small images are drawn larger so their labels stay readable.
    int largest = 0;
    for (const auto& image : images) largest = std::max({largest, image.width(), image.height()});
    if (largest < kMinTile) grid.tile_size = cv::Size(kMinTile, kMinTile);
    const cv::Mat sheet = wandb::make_grid(images, grid);
    const fs::path target = out.value_or(root / ("preview-step" + std::to_string(chosen) + ".png"));
    if (!cv::imwrite(target.string(), sheet)) throw wandb::IoError("cannot write file " + target.string());
    std::cout << "wrote " << target.string() << " (" << images.size() << " images from step " << chosen << ")\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
