// wandb-image-preview [options] <run folder or .wandb file>
//
// Renders every image an offline run logged at one step (default: the last
// step with images), with its boxes and masks drawn, into one contact sheet.
// It reads what `wandb sync` would upload: the .wandb history, the config's
// class labels and the media files.
// Exit status: 0 written (or help/version shown), 1 nothing to render or the
// run cannot be read or the sheet written, 2 a bad command line.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "cli.h"
#include "wandb/wandb.h"

namespace fs = std::filesystem;
using wandb::Json;

namespace {


// Default tile sizes: small images are enlarged by a whole factor (each image
// pixel a crisp square) until their longer side reaches kMinTile; large ones
// are shrunk to kMaxTile so that a sheet of 8 stays viewable.
constexpr int kMinTile = 256;
constexpr int kMaxTile = 512;

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

// The run's .wandb file and its folder, from either of them.
std::pair<fs::path, fs::path> locate_run(const fs::path& given) {
  if (fs::is_regular_file(given)) {
    if (given.extension() != ".wandb") {
      throw wandb::IoError("expected a run folder or a .wandb file, got " + given.string());
    }
    const fs::path parent = given.parent_path();
    return {given, parent.empty() ? fs::path(".") : parent};
  }
  if (!fs::is_directory(given)) throw wandb::IoError("no such run folder or file: " + given.string());
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(given)) {
    if (e.path().extension() == ".wandb" && e.is_regular_file()) found.push_back(e.path());
  }
  if (found.empty()) throw wandb::IoError("cannot find a .wandb file in " + given.string());
  if (found.size() > 1) {
    throw wandb::IoError("expected one .wandb file in " + given.string() + ", got " +
                         std::to_string(found.size()) + ": name the one to preview");
  }
  return {found.front(), given};
}

// The display scale of the default tile (see kMinTile).
double default_scale(const std::vector<wandb::Image>& images) {
  int largest = 1;
  for (const auto& image : images) largest = std::max({largest, image.width(), image.height()});
  if (largest < kMinTile) return std::ceil(static_cast<double>(kMinTile) / largest);
  if (largest > kMaxTile) return static_cast<double>(kMaxTile) / largest;
  return 1.0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string run_path;
  std::optional<int64_t> step;
  std::optional<std::string> key;
  std::optional<std::string> output;
  int columns = 8;
  std::optional<int> size;
  bool legend = false;

  wandb::cli::App app("wandb-image-preview",
                      "Renders the images an offline run logged at one step (default: the last step\n"
                      "with images) with their boxes and masks drawn at the size they are shown,\n"
                      "into one PNG contact sheet.");
  app.add_option("run", run_path, "run folder (e.g. wandb/latest-run) or its .wandb file")->required();
  app.add_option("--step", step, "step to show (default: the last step with images)")
      ->type_name("N")
      ->transform(wandb::cli::integer(0));
  app.add_option("--key", key, "only images logged under this history key")->type_name("KEY");
  app.add_integer("--columns", columns, "tiles per row (default 8)", 1, 1000);
  app.add_option("--size", size,
                 "tile size in pixels, PX x PX (default: small images enlarged by a whole\n"
                 "factor to at least 256 pixels, large ones shrunk to 512)")
      ->type_name("PX")
      ->transform(wandb::cli::integer(16, 8192));
  app.add_flag("--legend", legend, "append a legend of the classes and box layer styles");
  app.add_option("-o,--output", output,
                 "output image (default: <run folder>/previews/grid-step<N>.png, N the step)")
      ->check(wandb::cli::image_file_name())
      ->type_name("PATH");
  app.footer(
      "The first box layer is drawn solid, the second dashed, the third dotted.\n"
      "exit status: 0 written, 1 nothing to render or the run cannot be read or the\n"
      "sheet cannot be written, 2 bad command line");
  app.parse_or_exit(argc, argv);
  try {
    const auto [file, root] = locate_run(run_path);
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
      return app.fail("no images logged" + (step ? " at step " + std::to_string(*step) : std::string()) +
                  (key ? " under key " + *key : std::string()) + " in " + file.string());
    }
    std::vector<wandb::Image> images;
    for (const auto& e : entries) images.push_back(load(root / "files", e, config));

    wandb::GridOptions grid;
    grid.columns = columns;
    grid.render.legend = legend;
    if (size) grid.tile_size = cv::Size(*size, *size);
    else grid.render.scale = default_scale(images);
    const cv::Mat sheet = wandb::make_grid(images, grid);

    fs::path target;
    if (output) {
      target = *output;
    } else {
      target = root / "previews" / ("grid-step" + std::to_string(chosen) + ".png");
      fs::create_directories(target.parent_path());
    }
    if (!cv::imwrite(target.string(), sheet)) throw wandb::IoError("cannot write file " + target.string());
    std::cout << "wrote " << target.string() << " (" << images.size() << " images from step " << chosen << ")\n";
  } catch (const std::exception& e) {
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    return app.fail(message);
  }
  return wandb::cli::kOk;
}
