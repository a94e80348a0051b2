// Replays every scenario of tests/data/runs.json (recorded from the Python SDK)
// and compares history rows, media files and config after the same
// normalisation.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <iostream>
#include <opencv2/core.hpp>

#include "golden_support.h"
#include "run_support.h"
#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/run.h"

namespace {

using wandb::Json;

const Json& scenarios() {
  static const Json all = [] {
    std::ifstream in(wandb::test::data_dir() / "runs.json");
    return Json::parse(in)["scenarios"];
  }();
  return all;
}

std::vector<std::string> scenario_ids() {
  std::vector<std::string> ids;
  for (const auto& s : scenarios()) ids.push_back(s["id"].get<std::string>());
  return ids;
}

const Json& find_scenario(const std::string& id) {
  for (const auto& s : scenarios()) {
    if (s["id"] == id) return s;
  }
  throw std::runtime_error("no scenario " + id);
}

std::vector<double> fill_values(const Json& spec, int64_t n) {
  const std::string fill = spec.value("fill", "gradient");
  const int64_t k = spec.value("classes", 3);
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (fill == "gradient") v[i] = static_cast<double>(i) / static_cast<double>(n);
    else if (fill == "zeros") v[i] = 0;
    else if (fill == "ones") v[i] = 1;
    else if (fill == "stripes") v[i] = static_cast<double>(i % k);
    else throw std::runtime_error("unknown fill " + fill);
  }
  return v;
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

at::Tensor make_tensor(const Json& spec, at::ScalarType dtype) {
  const auto shape = spec["shape"].get<std::vector<int64_t>>();
  return wandb::test::make_tensor(fill_values(spec, numel(shape)), shape, dtype);
}

cv::Mat make_mat(const Json& spec) {
  const auto shape = spec["shape"].get<std::vector<int64_t>>();
  return wandb::test::numpy_to_mat(fill_values(spec, numel(shape)), shape, spec.value("dtype", "float64"));
}

wandb::Image make_image(const Json& spec) {
  wandb::ImageOptions o;
  if (spec.contains("caption") && !spec["caption"].is_null()) o.caption = spec["caption"].get<std::string>();
  if (spec.contains("grouping") && !spec["grouping"].is_null()) o.grouping = spec["grouping"].get<int64_t>();
  if (spec.contains("file_type") && !spec["file_type"].is_null()) o.file_type = spec["file_type"].get<std::string>();
  if (spec.contains("mode") && !spec["mode"].is_null()) o.mode = spec["mode"].get<std::string>();
  if (spec.contains("normalize")) o.normalize = spec["normalize"].get<bool>();
  if (spec.contains("classes") && !spec["classes"].is_null()) o.classes = wandb::Classes::from_json(spec["classes"]);
  if (spec.contains("boxes")) {
    for (auto it = spec["boxes"].begin(); it != spec["boxes"].end(); ++it) {
      o.boxes.emplace_back(it.key(), wandb::BoundingBoxes2D(it.value()));
    }
  }
  if (spec.contains("masks")) {
    for (auto it = spec["masks"].begin(); it != spec["masks"].end(); ++it) {
      const Json& m = it.value();
      std::optional<wandb::ClassLabels> labels;
      if (m.contains("class_labels")) labels = wandb::ClassLabels::from_json(m["class_labels"]);
      o.masks.emplace_back(it.key(), wandb::ImageMask(make_tensor(m["mask"], at::kLong), labels));
    }
  }
  const Json& data = spec["data"];
  if (data.value("source", "numpy") == "torch") {
    return wandb::Image(make_tensor(data, wandb::test::torch_dtype(data.value("dtype", "float64"))), o);
  }
  return wandb::Image(make_mat(data), o);
}

wandb::Value make_value(const Json& spec) {
  if (spec.is_object() && spec.contains("image")) return make_image(spec["image"]);
  if (spec.is_object() && spec.contains("images")) {
    std::vector<wandb::Image> images;
    const int repeat = spec.value("repeat", 1);
    for (int r = 0; r < repeat; ++r) {
      for (const auto& s : spec["images"]) images.push_back(make_image(s));
    }
    return images;
  }
  return Json(spec);
}

// The config the SDK scenario expects: user keys and the class-label singletons.
Json comparable_config(const Json& config) {
  Json out = Json::object();
  for (auto it = config.begin(); it != config.end(); ++it) out[it.key()] = it.value();
  return out;
}

struct Outcome {
  bool ok = true;
  std::string diff;
};

Outcome replay(const Json& scenario) {
  Outcome result;
  const Json& expect = scenario["expect"];
  wandb::test::TempDir tmp;
  auto fail = [&](const std::string& what) {
    result.ok = false;
    result.diff += what + "\n";
  };
  if (expect.contains("error")) {
    try {
      wandb::Run run(wandb::RunOptions{.dir = tmp.path()});
      for (const auto& call : scenario["spec"]["log"]) {
        wandb::Row row;
        for (auto it = call["row"].begin(); it != call["row"].end(); ++it) row.set(it.key(), make_value(it.value()));
        run.log(row, call["step"].get<int64_t>());
      }
      run.finish();
      fail("expected an error (" + expect["error"].dump() + "), got none");
    } catch (const wandb::Error&) {
    }
    return result;
  }
  wandb::Run run(wandb::RunOptions{.dir = tmp.path(), .workers = 2});
  for (const auto& call : scenario["spec"]["log"]) {
    wandb::Row row;
    for (auto it = call["row"].begin(); it != call["row"].end(); ++it) row.set(it.key(), make_value(it.value()));
    if (call.contains("step")) {
      run.log(row, call["step"].get<int64_t>());
    } else {
      run.log(row);
    }
  }
  run.finish();
  const std::vector<Json> rows = wandb::test::read_history_lines(run.dir());
  const Json& want_rows = expect["history"];
  if (rows.size() != want_rows.size()) {
    fail("history: expected " + std::to_string(want_rows.size()) + " rows, got " + std::to_string(rows.size()));
  }
  for (size_t i = 0; i < std::min(rows.size(), want_rows.size()); ++i) {
    Json got = rows[i];
    if (got["_step"] != want_rows[i]["step"]) {
      fail("row " + std::to_string(i) + " step: expected " + want_rows[i]["step"].dump() + ", got " + got["_step"].dump());
    }
    if (!got.contains("_runtime") || !got.contains("_timestamp")) fail("row " + std::to_string(i) + ": _runtime/_timestamp missing");
    got.erase("_step");
    got.erase("_runtime");
    got.erase("_timestamp");
    const Json normalized = wandb::test::normalize(got);
    if (normalized != want_rows[i]["row"] || normalized.dump() != want_rows[i]["row"].dump()) {
      fail("row " + std::to_string(i) + ":\n  expected " + want_rows[i]["row"].dump() + "\n  got      " + normalized.dump());
    }
  }
  const auto files = wandb::test::normalized_set(wandb::test::media_files(run.dir()));
  const auto want_files = expect["files"].get<std::vector<std::string>>();
  if (files != std::vector<std::string>(want_files.begin(), want_files.end())) {
    fail("files: expected " + Json(want_files).dump() + ", got " + Json(files).dump());
  }
  // The .wandb file says the same: Header and Run (with the init config)
  // first; every media file in a Files record before the row that uses it;
  // Summary, Exit, Final last.
  const wandb::test::RunFileView view = wandb::test::read_run_view(run.root());
  if (view.contents.torn_tail || !view.contents.header_ok) fail(".wandb: damaged: " + view.contents.tail_error);
  if (view.kinds.size() < 6 || view.kinds[0] != "header" || view.kinds[1] != "run" ||
      view.kinds[view.kinds.size() - 3] != "summary" || view.kinds[view.kinds.size() - 2] != "exit" ||
      view.kinds.back() != "final") {
    fail(".wandb: unexpected record order " + Json(view.kinds).dump());
  }
  if (view.history.size() != rows.size()) fail(".wandb: history rows differ in number from the JSON lines");
  for (size_t i = 0; i < std::min(view.history.size(), rows.size()); ++i) {
    Json from_file = view.history[i];
    if (from_file["_step_num"] != rows[i]["_step"]) fail(".wandb: row " + std::to_string(i) + " step.num differs");
    from_file.erase("_step_num");
    if (from_file.dump() != rows[i].dump()) fail(".wandb: row " + std::to_string(i) + " differs from the JSON line");
    const std::vector<std::string> announced(view.files.begin(), view.files.begin() + view.files_before[i]);
    for (const auto& item : from_file.items()) {
      const std::string text = item.value().dump();
      for (const auto& path : wandb::test::media_files(run.dir())) {
        if (text.find("\"" + path + "\"") != std::string::npos &&
            std::find(announced.begin(), announced.end(), path) == announced.end()) {
          fail(".wandb: " + path + " is used by row " + std::to_string(i) + " before a Files record names it");
        }
      }
    }
  }
  for (const auto& path : view.files) {
    if (!std::filesystem::exists(run.dir() / path)) fail(".wandb: Files record names missing " + path);
  }
  if (comparable_config(view.config) != expect["config"]) {
    fail(".wandb config: expected " + expect["config"].dump() + ", got " + view.config.dump());
  }
  const Json config = comparable_config(run.config());
  if (config != expect["config"]) {
    fail("config: expected " + expect["config"].dump() + ", got " + config.dump());
  }
  return result;
}

class GoldenRuns : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenRuns, MatchesSdk) {
  const Outcome outcome = replay(find_scenario(GetParam()));
  EXPECT_TRUE(outcome.ok) << outcome.diff;
}

INSTANTIATE_TEST_SUITE_P(Sdk, GoldenRuns, ::testing::ValuesIn(scenario_ids()), [](const auto& info) {
  std::string name = info.param;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
});

TEST(GoldenRunsSummary, AllScenariosPass) {
  int passed = 0, total = 0;
  for (const auto& s : scenarios()) {
    ++total;
    try {
      if (replay(s).ok) ++passed;
    } catch (const std::exception&) {
    }
  }
  std::cout << "golden runs: " << passed << "/" << total << " SDK scenarios passed\n";
  EXPECT_EQ(passed, total);
  EXPECT_GT(total, 0);
}

}  // namespace
