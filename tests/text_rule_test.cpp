// One rule for text and JSON entering the library (valid UTF-8, bounded
// nesting, integers that fit): refused with a typed error where it enters,
// never repaired and never passed on to a file it would make unreadable.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include <opencv2/core.hpp>

#include "run_support.h"
#include "test_support.h"
#include "wandb/boxes.h"
#include "wandb/classes.h"
#include "wandb/errors.h"
#include "wandb/image.h"
#include "wandb/masks.h"
#include "wandb/run.h"

namespace fs = std::filesystem;
using wandb::Image;
using wandb::Json;
using wandb::RunOptions;
using wandb::test::expect_error;

namespace {

const std::string kBad = std::string("n\xff", 2);  // 0xFF never occurs in UTF-8

Image small_image(const wandb::ImageOptions& options = {}) {
  return Image(at::zeros({3, 4, 4}, at::kFloat), options);
}

// Nothing was created under `dir` (a refused init leaves no run behind).
bool no_run_under(const fs::path& dir) {
  return !fs::exists(dir / "wandb") || fs::is_empty(dir / "wandb");
}

}  // namespace

TEST(TextRule, InvalidUtf8InRunOptionsIsRefusedAtInit) {
  wandb::test::TempDir tmp;
  const auto refuse = [&](RunOptions o, const char* what) {
    o.dir = tmp.path();
    expect_error<wandb::ValueError>([&] { wandb::Run run(o); }, what);
  };
  refuse(RunOptions{.name = kBad}, "name: expected valid UTF-8");
  refuse(RunOptions{.project = kBad}, "project: expected valid UTF-8");
  refuse(RunOptions{.entity = kBad}, "entity");
  refuse(RunOptions{.group = kBad}, "group");
  refuse(RunOptions{.job_type = kBad}, "job_type");
  refuse(RunOptions{.notes = kBad}, "notes");
  refuse(RunOptions{.tags = {"ok", kBad}}, "tag");
  refuse(RunOptions{.config = Json{{"lr", kBad}}}, "config");
  refuse(RunOptions{.config = Json{{kBad, 1}}}, "key");
  EXPECT_TRUE(no_run_under(tmp.path()));
  // The message shows the bytes, escaped, so it is itself valid text.
  try {
    wandb::Run run(RunOptions{.dir = tmp.path(), .name = kBad});
  } catch (const wandb::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("n\\xff"), std::string::npos) << e.what();
  }
}

TEST(TextRule, ValidNonAsciiTextIsKeptAndTheRunReadsBack) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .name = "Läufe – 走る", .tags = {"ünï"}});
  run.log({{"caption", "naïve"}, {"img", small_image({.caption = "Straße"})}});
  run.finish();
  const auto view = wandb::test::read_run_view(run.root());
  EXPECT_FALSE(view.contents.torn_tail);
  ASSERT_EQ(view.history.size(), 1u);
  EXPECT_EQ(view.history[0]["caption"], "naïve");
  EXPECT_EQ(view.history[0]["img"]["caption"], "Straße");
}

TEST(TextRule, InvalidUtf8InValuesConfigAndSummaryIsRefusedAndNothingIsWritten) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  expect_error<wandb::ValueError>([&] { run.log({{"s", kBad}}); }, "value of \"s\"");
  expect_error<wandb::ValueError>([&] { run.log({{"j", Json{{"inner", Json::array({1, kBad})}}}}); },
                                  "valid UTF-8");
  expect_error<wandb::ValueError>([&] { run.log({{"j", Json{{kBad, 1}}}}); }, "valid UTF-8");
  expect_error<wandb::ValueError>([&] { run.config({{"x", kBad}}); }, "config");
  expect_error<wandb::ValueError>([&] { run.summary("x", kBad); }, "valid UTF-8");
  run.finish();
  EXPECT_TRUE(wandb::test::read_history_lines(run.dir()).empty());
  EXPECT_FALSE(wandb::test::read_run_view(run.root()).contents.torn_tail);
}

TEST(TextRule, CaptionsLabelsAndLayerNamesFollowTheSameRule) {
  expect_error<wandb::ValueError>([&] { small_image({.caption = kBad}); }, "caption");
  expect_error<wandb::ValueError>([&] { wandb::ClassLabels({{1, kBad}}); }, "class label 1");
  expect_error<wandb::ValueError>([&] { small_image({.classes = wandb::Classes{{2, kBad}}}); },
                                  "class name 2");
  const wandb::BoundingBoxes2D boxes(
      {wandb::Box{.position = wandb::BoxCorners{0, 0, 1, 1}, .class_id = 1}});
  expect_error<wandb::ValueError>([&] { small_image({.boxes = {{kBad, boxes}}}); }, "box layer name");
  expect_error<wandb::ValueError>(
      [&] { small_image({.masks = {{kBad, wandb::ImageMask(at::zeros({4, 4}, at::kLong))}}}); },
      "mask layer name");
  expect_error<wandb::ValueError>(
      [&] {
        wandb::BoundingBoxes2D({wandb::Box{.position = wandb::BoxCorners{0, 0, 1, 1},
                                           .class_id = 1, .caption = kBad}});
      },
      "box caption");
  expect_error<wandb::ValueError>(
      [&] {
        wandb::BoundingBoxes2D({wandb::Box{.position = wandb::BoxCorners{0, 0, 1, 1},
                                           .class_id = 1, .scores = {{kBad, 0.5}}}});
      },
      "box score name");
  // The SDK's dict shapes: any string anywhere in them.
  Json layer = Json::parse(R"({"box_data": [{"position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": 1},
                                             "class_id": 1}], "class_labels": {"1": "a"}})");
  layer["box_data"][0]["box_caption"] = kBad;
  expect_error<wandb::ValueError>([&] { wandb::BoundingBoxes2D b(layer); }, "boxes layer");
  expect_error<wandb::ValueError>(
      [&] { wandb::ImageMask m(Json{{"mask_data", {{0, 1}}}, {"class_labels", {{"1", kBad}}}}); },
      "mask layer");
  expect_error<wandb::ValueError>(
      [&] { wandb::Classes::from_json(Json::array({Json{{"id", 1}, {"name", kBad}}})); }, "classes");
}

TEST(TextRule, ClassIdsAboveInt64AreRefusedNotWrapped) {
  Json layer = Json::parse(R"({"box_data": [{"position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": 1},
                                             "class_id": 18446744073709551615}]})");
  expect_error<wandb::ValueError>([&] { wandb::BoundingBoxes2D b(layer); }, "below 2^63");
  expect_error<wandb::TypeError>(
      [&] { wandb::Classes::from_json(Json::parse(R"([{"id": 18446744073709551615, "name": "x"}])")); },
      "classes");
  layer["box_data"][0]["class_id"] = std::numeric_limits<int64_t>::max();  // the largest that fits
  const wandb::BoundingBoxes2D ok(layer);
  ASSERT_NE(ok.class_labels().find(std::numeric_limits<int64_t>::max()), nullptr);
}

TEST(TextRule, DeeplyNestedJsonIsRefusedWithoutExhaustingTheStack) {
  // 100,000 nested arrays inside a box entry: the shape a fuzzer found (a
  // recursive copy or dump of it overflows the stack).
  const int depth = 100000;
  std::string text = R"({"box_data": [{"position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": 1}, "class_id": 1, "x": )";
  text += std::string(depth, '[') + std::string(depth, ']') + "}]}";
  const Json deep = Json::parse(text);
  expect_error<wandb::ValueError>([&] { wandb::BoundingBoxes2D b(deep); }, "nested at most");
  expect_error<wandb::ValueError>([&] { wandb::ImageMask m(deep); }, "nested at most");
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  // Row values: one level over the bound is refused, the bound itself is fine.
  Json nested = Json::array();
  for (int i = 0; i < 63; ++i) nested = Json::array({nested});
  run.log({{"ok", nested}});
  nested = Json::array({nested});
  expect_error<wandb::ValueError>([&] { run.log({{"deep", nested}}); }, "nested at most 64");
  run.finish();
  EXPECT_EQ(wandb::test::read_history_lines(run.dir()).size(), 1u);
}

TEST(TextRule, TheLastStepIsRefusedInsteadOfOverflowing) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  const int64_t max = std::numeric_limits<int64_t>::max();
  expect_error<wandb::ValueError>([&] { run.log({{"a", 1}}, max); }, "step: expected at most");
  run.log({{"a", 1}}, max - 1);
  run.log({{"a", 2}});  // committed at max - 1: the next step is max, still representable
  EXPECT_EQ(run.step(), max);
  expect_error<wandb::ValueError>([&] { run.log({{"a", 3}}); }, "step: expected at most");
  run.finish();
  const auto rows = wandb::test::read_history_lines(run.dir());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["_step"], max - 1);
}
