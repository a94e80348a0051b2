// wandb::Run: layout, steps, values, keys, summary, config, the Image binding
// methods, threads, back-pressure, crash safety and I/O failures.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <thread>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "detail/file_io.h"
#include "detail/run_impl.h"
#include "run_support.h"
#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/run.h"
#include "wandb/warnings.h"

namespace fs = std::filesystem;
using wandb::Image;
using wandb::Json;
using wandb::Row;
using wandb::RunOptions;

namespace {

using wandb::test::expect_error;
using wandb::test::Warnings;


Image gradient_image(int h = 8, int w = 6, double offset = 0) {
  at::Tensor t = at::arange(3 * h * w, at::kDouble).reshape({3, h, w}) / (3.0 * h * w) + offset;
  return Image(t.clamp(0, 1));
}

Image uniform_image(uint8_t value, int h = 4, int w = 4) {
  return Image(cv::Mat(h, w, CV_8UC3, cv::Scalar(value, value, value)));
}

std::vector<std::string> tmp_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".tmp") out.push_back(e.path().string());
  }
  return out;
}

}  // namespace

// ---- layout ---------------------------------------------------------------------

TEST(RunLayout, OfflineFolderAndLatestLink) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  EXPECT_TRUE(std::regex_match(run.id(), std::regex("[a-z0-9]{8}")));
  EXPECT_TRUE(std::regex_match(run.root().filename().string(),
                               std::regex("offline-run-[0-9]{8}_[0-9]{6}-" + run.id())));
  EXPECT_EQ(run.root().parent_path(), tmp.path() / "wandb");
  EXPECT_EQ(run.dir(), run.root() / "files");
  EXPECT_TRUE(fs::is_directory(run.dir()));
  EXPECT_EQ(fs::read_symlink(tmp.path() / "wandb" / "latest-run"), run.root().filename());
  EXPECT_FALSE(fs::exists(run.root() / "wandb-metadata.json"));
}

TEST(RunLayout, GivenIdAndBadOptions) {
  wandb::test::TempDir tmp;
  {
    wandb::Run run(RunOptions{.dir = tmp.path(), .id = "abc123xy"});
    EXPECT_EQ(run.id(), "abc123xy");
  }
  expect_error<wandb::ValueError>([&] { wandb::Run(RunOptions{.dir = tmp.path(), .id = "Bad Id"}); }, "run id");
  expect_error<wandb::TypeError>([&] { wandb::Run(RunOptions{.dir = tmp.path(), .config = Json::array()}); }, "config");
  expect_error<wandb::ValueError>([&] { wandb::Run(RunOptions{.dir = tmp.path(), .workers = -1}); }, "workers");
}

TEST(RunLayout, UnwritableFolderIsAnIoError) {
  wandb::test::TempDir tmp;
  wandb::test::write_bytes(tmp / "plain-file", "x");
  expect_error<wandb::IoError>([&] { wandb::Run(RunOptions{.dir = tmp / "plain-file"}); }, "cannot create folder");
}

// ---- steps and rows -----------------------------------------------------------------

TEST(RunSteps, AutoIncrementMergeAndCommit) {
  wandb::test::TempDir tmp;
  Warnings warnings;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  run.log({{"a", 1}});                 // step 0
  run.log({{"a", 2}});                 // step 1
  run.log({{"b", 3}}, 5);              // pending at 5
  run.log({{"c", 4}}, 5);              // merged into 5
  run.log({{"d", 5}});                 // merged into 5 and committed
  EXPECT_EQ(run.step(), 6);
  run.log({{"e", 6}}, 3);              // below the current step: ignored
  EXPECT_TRUE(warnings.contains("less than the current step"));
  run.log({{"f", 7}}, 8, true);        // committed at once
  EXPECT_EQ(run.step(), 9);
  run.log({{"g", 8}}, 9);              // committed by finish()
  run.finish();
  const auto rows = wandb::test::read_history_lines(run.dir());
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0]["_step"], 0);
  EXPECT_EQ(rows[1]["a"], 2);
  EXPECT_EQ(rows[2]["_step"], 5);
  EXPECT_EQ(rows[2]["b"], 3);
  EXPECT_EQ(rows[2]["c"], 4);
  EXPECT_EQ(rows[2]["d"], 5);
  EXPECT_EQ(rows[3]["_step"], 8);
  EXPECT_EQ(rows[4]["_step"], 9);
  for (const auto& r : rows) {
    EXPECT_FALSE(r.contains("e"));
    EXPECT_TRUE(r["_runtime"].is_number_float());
    EXPECT_GT(r["_timestamp"].get<double>(), 1.6e9);
  }
  EXPECT_EQ(run.summary()["a"], 2);
  EXPECT_EQ(run.summary()["g"], 8);
}

TEST(RunSteps, RepeatedKeyInOneStepKeepsLastValueAndFirstPosition) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  run.log({{"x", 1}, {"y", 2}}, 0);
  run.log({{"x", 3}}, 0);
  run.finish();
  const auto rows = wandb::test::read_history_lines(run.dir());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].begin().key(), "x");
  EXPECT_EQ(rows[0]["x"], 3);
}

TEST(RunValues, ScalarsJsonNestedAndNan) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  Row nested{{"acc", 0.5}, {"pred", gradient_image()}};
  run.log({{"int", 3},
           {"float", 0.25},
           {"flag", true},
           {"text", "héllo"},
           {"none", nullptr},
           {"json", Json{{"k", {1, 2}}}},
           {"nan", std::numeric_limits<double>::quiet_NaN()},
           {"val", nested}});
  run.finish();
  std::ifstream in(run.root() / "history.jsonl");
  std::string line;
  std::getline(in, line);
  EXPECT_NE(line.find("\"nan\": NaN"), std::string::npos) << line;
  EXPECT_NE(line.find("\"text\": \"h\\u00e9llo\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"json\": {\"k\": [1, 2]}"), std::string::npos) << line;
  EXPECT_NE(line.find("\"flag\": true, \"text\""), std::string::npos) << line;
  // Python's json reads NaN; nlohmann does not, so read it back as null.
  const Json row = Json::parse(std::regex_replace(line, std::regex(": NaN"), ": null"));
  EXPECT_TRUE(row["nan"].is_null());
  const Json& val = row["val"];
  EXPECT_EQ(val["acc"], 0.5);
  EXPECT_EQ(val["pred"]["_type"], "image-file");
  // A nested dict names its media after the inner key, as the SDK does.
  EXPECT_EQ(wandb::test::normalize_path(val["pred"]["path"]), "media/images/pred_<step>_<id>.png");
  EXPECT_TRUE(fs::exists(run.dir() / val["pred"]["path"].get<std::string>()));
}

TEST(RunValues, TensorNumbersMatsBraceListsAndBatches) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  const cv::Mat mat(4, 4, CV_8UC3, cv::Scalar(1, 2, 3));
  run.log({{"loss", at::scalar_tensor(0.5, at::kFloat)},
           {"count", at::full({1}, 7, at::kLong)},
           {"img", mat},
           {"pair", {gradient_image(), uniform_image(9)}},
           {"batch", wandb::images_from_batch(at::rand({3, 3, 4, 4}))}});
  run.summary("best", at::scalar_tensor(0.25, at::kDouble));
  run.finish();
  const Json row = wandb::test::read_history_lines(run.dir())[0];
  EXPECT_EQ(row["loss"], 0.5);
  EXPECT_EQ(row["count"], 7);
  EXPECT_EQ(row["img"]["_type"], "image-file");
  EXPECT_EQ(row["img"]["sha256"], Image(mat).sha256());
  EXPECT_EQ(row["pair"]["_type"], "images/separated");
  EXPECT_EQ(row["pair"]["count"], 2);
  EXPECT_EQ(row["batch"]["count"], 3);
  EXPECT_EQ(run.summary()["best"], 0.25);
}

TEST(RunValues, EmptyImageListIsAnEmptyArray) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  run.log({{"imgs", std::vector<Image>{}}});
  run.finish();
  EXPECT_EQ(wandb::test::read_history_lines(run.dir())[0]["imgs"], Json::array());
}

// ---- media JSON rules ----------------------------------------------------------------

TEST(RunMedia, ImageJsonFieldsAndFileContent) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  const Image img = gradient_image(8, 6);
  Image with_caption(img, {.caption = "c", .grouping = 3});
  run.log({{"img", with_caption}});
  run.finish();
  const Json row = wandb::test::read_history_lines(run.dir())[0]["img"];
  const std::vector<std::string> keys = {"caption", "_type", "sha256", "size", "path", "format", "width", "height", "grouping"};
  std::vector<std::string> got;
  for (auto it = row.begin(); it != row.end(); ++it) got.push_back(it.key());
  EXPECT_EQ(got, keys);
  EXPECT_EQ(row["sha256"], img.sha256());
  EXPECT_EQ(row["size"], img.size());
  EXPECT_EQ(row["path"], "media/images/img_0_" + img.sha256().substr(0, 20) + ".png");
  std::ifstream f(run.dir() / row["path"].get<std::string>(), std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, img.encoded());
}

TEST(RunMedia, ZeroGroupingAndEmptyCaptionAreOmitted) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  run.log({{"img", Image(gradient_image(), {.caption = "", .grouping = 0})}});
  run.finish();
  const Json row = wandb::test::read_history_lines(run.dir())[0]["img"];
  EXPECT_FALSE(row.contains("grouping"));
  EXPECT_FALSE(row.contains("caption"));
}

TEST(RunMedia, ListCaptionsFollowTheFirstImage) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  run.log({{"a", std::vector<Image>{uniform_image(1), Image(uniform_image(2), {.caption = "x"})}},
           {"b", std::vector<Image>{Image(uniform_image(1), {.caption = "x"}), uniform_image(2)}}});
  run.finish();
  const Json row = wandb::test::read_history_lines(run.dir())[0];
  EXPECT_FALSE(row["a"].contains("captions"));
  EXPECT_EQ(row["b"]["captions"], Json::parse(R"(["x", null])"));
  EXPECT_FALSE(row["a"].contains("grouping"));
}

TEST(RunMedia, ListIsTruncatedToMaxItems) {
  wandb::test::TempDir tmp;
  Warnings warnings;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  std::vector<Image> many;
  for (int i = 0; i < Image::MAX_ITEMS + 5; ++i) many.push_back(uniform_image(static_cast<uint8_t>(i)));
  run.log({{"many", many}});
  run.finish();
  const Json row = wandb::test::read_history_lines(run.dir())[0]["many"];
  EXPECT_EQ(row["count"], Image::MAX_ITEMS);
  EXPECT_EQ(row["filenames"].size(), static_cast<size_t>(Image::MAX_ITEMS));
  EXPECT_TRUE(warnings.contains("Only 108 Image will be uploaded."));
  EXPECT_EQ(wandb::test::media_files(run.dir()).size(), static_cast<size_t>(Image::MAX_ITEMS));
}

TEST(RunMedia, DifferentSizesInAListWarn) {
  wandb::test::TempDir tmp;
  Warnings warnings;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  run.log({{"mixed", std::vector<Image>{uniform_image(1, 4, 4), uniform_image(1, 5, 4)}}});
  run.finish();
  EXPECT_TRUE(warnings.contains("Images sizes do not match"));
  EXPECT_EQ(wandb::test::read_history_lines(run.dir())[0]["mixed"]["height"], 4);
}

TEST(RunMedia, FileImagesAreCopiedAsIs) {
  wandb::test::TempDir tmp;
  const std::string photo = std::string(WANDB_EXAMPLE_DATA_DIR) + "/camera.png";
  wandb::Run run(RunOptions{.dir = tmp.path()});
  const Image img(photo);
  run.log({{"photo", img}});
  run.finish();
  const Json row = wandb::test::read_history_lines(run.dir())[0]["photo"];
  EXPECT_EQ(row["size"], static_cast<int64_t>(fs::file_size(photo)));
  EXPECT_EQ(row["sha256"], img.sha256());
  EXPECT_TRUE(fs::exists(photo));  // copied, never moved
  EXPECT_EQ(fs::file_size(run.dir() / row["path"].get<std::string>()), fs::file_size(photo));
}

// ---- keys -------------------------------------------------------------------------------

TEST(RunKeys, MadeSafeAsTheSdkDoes) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  run.log({{"/lead", uniform_image(1)}, {"a/./b", uniform_image(2)}, {"x/../../y", uniform_image(3)}});
  run.finish();
  const Json row = wandb::test::read_history_lines(run.dir())[0];
  EXPECT_EQ(wandb::test::normalize_path(row["/lead"]["path"]), "media/images/lead_<step>_<id>.png");
  EXPECT_EQ(wandb::test::normalize_path(row["a/./b"]["path"]), "media/images/a/_/b_<step>_<id>.png");
  EXPECT_EQ(wandb::test::normalize_path(row["x/../../y"]["path"]), "media/images/x/__/__/y_<step>_<id>.png");
  for (const auto& f : wandb::test::media_files(run.dir())) {
    EXPECT_EQ(f.rfind("media/images/", 0), 0u) << f;
  }
}

TEST(RunKeys, DangerousKeysAreRefusedAndNothingIsWritten) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  const std::string nul("a\0b", 3);
  expect_error<wandb::ValueError>([&] { run.log({{nul, uniform_image(1)}}); }, "NUL");
  expect_error<wandb::ValueError>([&] { run.log({{"C:\\evil", uniform_image(1)}}); }, "absolute");
  expect_error<wandb::ValueError>([&] { run.log({{"\\\\server\\share", uniform_image(1)}}); }, "absolute");
  expect_error<wandb::ValueError>([&] { run.log({{std::string(300, 'k'), uniform_image(1)}}); }, "at most");
  expect_error<wandb::ValueError>([&] { run.log({{"/", uniform_image(1)}}); }, "expected a name");
  expect_error<wandb::ValueError>([&] { run.log({{"bad\xff", 1}}); }, "UTF-8");
  expect_error<wandb::ValueError>(
      [&] { run.log({{"ok", 1}, {"ref", Image("s3://bucket/x.png")}}); }, "reference to external storage");
  EXPECT_EQ(run.step(), 0);
  run.finish();
  EXPECT_TRUE(wandb::test::read_history_lines(run.dir()).empty());
  EXPECT_TRUE(wandb::test::media_files(run.dir()).empty());
}

// ---- summary and config ---------------------------------------------------------------

TEST(RunSummary, ImagesBindWithSummaryStep) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  const Image img = gradient_image();
  run.summary("best", img);
  run.summary("score", 0.9);
  run.log({{"score", 0.5}});
  run.finish();
  const Json summary = Json::parse(std::ifstream(run.dir() / "wandb-summary.json"));
  EXPECT_EQ(summary["best"]["path"], "media/images/best_summary_" + img.sha256().substr(0, 20) + ".png");
  EXPECT_TRUE(fs::exists(run.dir() / summary["best"]["path"].get<std::string>()));
  EXPECT_EQ(summary["score"], 0.5);  // history updates the summary afterwards
  EXPECT_EQ(summary["_step"], 0);
}

TEST(RunConfig, MergesAndWritesYaml) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .config = Json{{"lr", 0.1}}});
  run.config({{"batch", 32}, {"lr", 0.2}});
  expect_error<wandb::ValueError>([&] { run.config({{"_wandb", 1}}); }, "reserved");
  expect_error<wandb::TypeError>([&] { run.config(Json::array()); }, "JSON object");
  run.log({{"x", 1}});
  run.finish();
  EXPECT_EQ(run.config(), (Json{{"lr", 0.2}, {"batch", 32}}));
  const std::string yaml = wandb::test::file_text(run.dir() / "config.yaml");
  EXPECT_NE(yaml.find("wandb_version: 1"), std::string::npos);
  EXPECT_NE(yaml.find("\"lr\":\n  desc: null\n  value: 0.2"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("\"batch\":\n  desc: null\n  value: 32"), std::string::npos) << yaml;
}

TEST(RunConfig, ClassLabelSingletonsUseTheRawKey) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  wandb::BoundingBoxes2D boxes({wandb::Box{.position = wandb::BoxCorners{0, 0, 1, 1}, .class_id = 4}});
  run.log({{"../k", Image(uniform_image(1), {.boxes = {{"layer", boxes}}})}});
  run.finish();
  const Json config = run.config();
  const Json& labels = config["_wandb"]["bounding_box/class_labels"]["../k_wandb_delimeter_layer"];
  EXPECT_EQ(labels["type"], "bounding_box/class_labels");
  EXPECT_EQ(labels["value"], (Json{{"4", "class_4"}}));
}

// ---- the SDK's Image methods ---------------------------------------------------------------

TEST(ImageBinding, BindToRunAndToJson) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  wandb::BoundingBoxes2D b1({wandb::Box{.position = wandb::BoxCorners{0, 0, 1, 1}, .class_id = 1}});
  wandb::BoundingBoxes2D b2({wandb::Box{.position = wandb::BoxCenter{0.5, 0.5, 1, 1}, .class_id = 1}});
  Image img(gradient_image(), {.boxes = {{"p", b1}, {"q", b2}},
                               .masks = {{"m", wandb::ImageMask(at::zeros({8, 6}, at::kLong))}}});
  const wandb::detail::Binding binding = wandb::detail::bind_to_run(run, img, "k", "7", std::string("ID"));
  const Json j = wandb::detail::image_json(img, binding);
  EXPECT_EQ(j["path"], "media/images/k_7_ID.png");
  // The SDK's id_ grows with every layer index: ID0, ID01, then masks ID010.
  EXPECT_EQ(j["boxes"]["p"]["path"], "media/metadata/boxes2D/k_7_ID0.boxes2D.json");
  EXPECT_EQ(j["boxes"]["q"]["path"], "media/metadata/boxes2D/k_7_ID01.boxes2D.json");
  EXPECT_EQ(j["masks"]["m"]["path"], "media/images/mask/k_7_ID010.mask.png");
  for (const char* p : {"media/images/k_7_ID.png", "media/metadata/boxes2D/k_7_ID0.boxes2D.json",
                        "media/images/mask/k_7_ID010.mask.png"}) {
    EXPECT_TRUE(fs::exists(run.dir() / p)) << p;  // written when bind_to_run returns
  }
  expect_error<wandb::ValueError>(
      [&] { wandb::detail::bind_to_run(run, Image("https://x.org/a.png"), "r", "0"); },
      "reference to external storage");
  // An explicit id is part of a file name: it cannot leave the media folder.
  for (const std::string id : {"/../../../../escaped", "..", "a/b", "a\\b", ""}) {
    expect_error<wandb::ValueError>([&] { wandb::detail::bind_to_run(run, img, "k", "7", id); },
                                    "media id");
  }
  run.finish();
  // The bound files are announced in the run's Files records.
  const auto view = wandb::test::read_run_view(run.root());
  for (const char* p : {"media/images/k_7_ID.png", "media/images/mask/k_7_ID010.mask.png"}) {
    EXPECT_NE(std::find(view.files.begin(), view.files.end(), p), view.files.end()) << p;
  }
  EXPECT_FALSE(fs::exists(tmp.path() / "escaped"));
}

TEST(ImageBinding, SeqToJsonAndAllHelpers) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  wandb::BoundingBoxes2D b({wandb::Box{.position = wandb::BoxCorners{0, 0, 1, 1}, .class_id = 0}});
  std::vector<Image> images{Image(uniform_image(1), {.caption = "one", .boxes = {{"p", b}}}), uniform_image(2)};
  const Json j = wandb::detail::seq_to_json(images, run, "batch", "3");
  EXPECT_EQ(j["_type"], "images/separated");
  EXPECT_EQ(j["count"], 2);
  EXPECT_EQ(j["captions"], Json::parse(R"(["one", null])"));
  EXPECT_EQ(j["all_boxes"][1], nullptr);
  EXPECT_FALSE(j.contains("all_masks"));
  EXPECT_EQ(wandb::test::normalize_path(j["filenames"][0]), "media/images/batch_<step>_<id>.png");
  EXPECT_FALSE(wandb::detail::all_captions({uniform_image(1)}).has_value());
  std::vector<wandb::detail::Binding> bindings;
  for (const Image& image : images) bindings.push_back(wandb::detail::bind_to_run(run, image, "batch", "3"));
  EXPECT_TRUE(wandb::detail::all_layers({&bindings[0].boxes, &bindings[1].boxes}).has_value());
  EXPECT_FALSE(wandb::detail::all_layers({&bindings[0].masks, &bindings[1].masks}).has_value());
  expect_error<wandb::ValueError>([&] { wandb::detail::seq_to_json({}, run, "k", "0"); }, "empty");
}

// ---- lifecycle ------------------------------------------------------------------------------

TEST(RunLifecycle, FinishIsIdempotentAndFinalLogsFail) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  run.log({{"x", 1}});
  run.finish();
  run.finish();
  EXPECT_TRUE(run.finished());
  expect_error<wandb::StateError>([&] { run.log({{"x", 2}}); }, "finished");
  expect_error<wandb::StateError>([&] { run.config({{"y", 1}}); }, "finished");
  expect_error<wandb::StateError>([&] { wandb::detail::bind_to_run(run, gradient_image(), "k", "0"); },
                                  "finished");
}

TEST(RunLifecycle, DestructorAndMoveFinish) {
  wandb::test::TempDir tmp;
  fs::path files;
  {
    wandb::Run first = wandb::init(RunOptions{.dir = tmp.path(), .id = "movedrun"});
    wandb::Run moved = std::move(first);
    moved.log({{"img", gradient_image()}});
    files = moved.dir();
  }
  const auto rows = wandb::test::read_history_lines(files);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(fs::exists(files / rows[0]["img"]["path"].get<std::string>()));
  EXPECT_TRUE(fs::exists(files / "wandb-summary.json"));
}

TEST(RunLifecycle, FinishWhileAnotherThreadLogsWritesEveryAcceptedRowBeforeTheEnd) {
  wandb::test::TempDir tmp;
  // The race is narrow: many rounds, finish() at a different moment in each.
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // A one-byte queue cap: each log() waits for the previous row's media, so
    // finish() lands while the logging thread is inside log().
    wandb::Run run(RunOptions{.dir = tmp.path(),
                              .id = "race" + std::to_string(round),
                              .workers = 1,
                              .max_queued_bytes = 1});
    std::atomic<int> accepted{0};
    std::string failure;
    std::thread logger([&] {
      try {
        for (int i = 0; i < 100000; ++i) {
          run.log({{"img", gradient_image(16, 16, i * 1e-4)}, {"i", i}});
          ++accepted;
        }
      } catch (const wandb::StateError&) {
        // the run finished: this row was refused whole
      } catch (const std::exception& e) {
        failure = e.what();
      }
    });
    while (accepted < 1) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::microseconds(round * 50));
    std::string finish_error;
    try {
      run.finish();
    } catch (const std::exception& e) {
      finish_error = e.what();
    }
    logger.join();
    EXPECT_EQ(finish_error, "");
    EXPECT_EQ(failure, "");
    const auto rows = wandb::test::read_history_lines(run.dir());
    ASSERT_EQ(rows.size(), static_cast<size_t>(accepted.load()));
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i]["i"], static_cast<int64_t>(i));
      EXPECT_TRUE(fs::exists(run.dir() / rows[i]["img"]["path"].get<std::string>()));
    }
    const auto view = wandb::test::read_run_view(run.root());
    EXPECT_EQ(view.history.size(), rows.size());
    ASSERT_GE(view.kinds.size(), 3u);
    EXPECT_EQ(view.kinds[view.kinds.size() - 1], "final");
    EXPECT_EQ(view.kinds[view.kinds.size() - 2], "exit");
  }
}

// ---- concurrency ------------------------------------------------------------------------------

TEST(RunThreads, ManyThreadsLogToOneRun) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .workers = 2});
  constexpr int kThreads = 4, kRows = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string key = std::to_string(t);
      key.insert(key.begin(), 't');
      for (int i = 0; i < kRows; ++i) {
        run.log({{key, uniform_image(static_cast<uint8_t>(t * kRows + i))}, {"i", i}});
      }
    });
  }
  for (auto& th : threads) th.join();
  run.finish();
  const auto rows = wandb::test::read_history_lines(run.dir());
  ASSERT_EQ(rows.size(), static_cast<size_t>(kThreads * kRows));
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]["_step"], static_cast<int64_t>(i));  // steps in row order, none lost
    for (auto it = rows[i].begin(); it != rows[i].end(); ++it) {
      if (it.value().is_object()) {
        EXPECT_TRUE(fs::exists(run.dir() / it.value()["path"].get<std::string>()));
      }
    }
  }
}

TEST(RunThreads, RowsKeepLogOrderWhenEarlierMediaIsSlower) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .workers = 2});
  const Image big(at::rand({3, 1024, 1024}));
  for (int i = 0; i < 5; ++i) {
    run.log({{"big", big}, {"i", i}});
    run.log({{"scalar", i}});
  }
  run.finish();
  const auto rows = wandb::test::read_history_lines(run.dir());
  ASSERT_EQ(rows.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(rows[i]["_step"], i);
  EXPECT_TRUE(rows[0].contains("big"));
  EXPECT_TRUE(rows[1].contains("scalar"));
}

TEST(RunThreads, TinyQueueCapStillCompletes) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .workers = 1, .max_queued_bytes = 1});
  for (int i = 0; i < 10; ++i) run.log({{"img", uniform_image(static_cast<uint8_t>(i), 32, 32)}});
  run.finish();
  EXPECT_EQ(wandb::test::read_history_lines(run.dir()).size(), 10u);
  EXPECT_EQ(wandb::test::media_files(run.dir()).size(), 10u);
}

TEST(RunCapture, PixelsAreTakenWhenTheImageIsMade) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path()});
  at::Tensor t = at::full({3, 4, 4}, 0.5);
  const Image img(t);
  run.log({{"img", img}});
  t.fill_(1.0);
  run.finish();
  const Json row = wandb::test::read_history_lines(run.dir())[0]["img"];
  const cv::Mat decoded = cv::imread((run.dir() / row["path"].get<std::string>()).string(), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(decoded.empty());
  EXPECT_EQ(decoded.at<cv::Vec3b>(0, 0), cv::Vec3b(127, 127, 127));
}

// ---- failures ---------------------------------------------------------------------------------

TEST(RunFailures, FileSizeLimitSurfacesAsIoErrorWithoutPartialFiles) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .workers = 1});
  run.log({{"small", uniform_image(1)}});
  run.finish();  // the history and the small file fit
  wandb::Run big_run(RunOptions{.dir = tmp.path(), .id = "bigrun01", .workers = 1});
  struct rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = old;
  limited.rlim_cur = 16 * 1024;  // a noisy 512x512 PNG is far larger
  setrlimit(RLIMIT_FSIZE, &limited);
  std::exception_ptr error;
  try {
    big_run.log({{"noise", Image(at::rand({3, 512, 512}))}});
    big_run.finish();
  } catch (...) {
    error = std::current_exception();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  ASSERT_TRUE(error);
  try {
    std::rethrow_exception(error);
  } catch (const wandb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("too large"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(tmp_files(big_run.root()).empty());
  EXPECT_TRUE(wandb::test::media_files(big_run.dir()).empty());
  EXPECT_TRUE(wandb::test::read_history_lines(big_run.dir()).empty());
  expect_error<wandb::StateError>([&] { big_run.log({{"x", 1}}); }, "finished");
}

TEST(RunFailures, AtomicWritesKeepOrReplaceAndLeaveNothingElse) {
  using wandb::detail::Existing;
  using wandb::detail::write_file_atomic;
  wandb::test::TempDir tmp;
  const auto write = [](const fs::path& path, const std::string& text, Existing existing) {
    write_file_atomic(path, text.data(), text.size(), existing);
  };
  const fs::path kept = tmp.path() / "a" / "b" / "kept.png";  // folders created on demand
  write(kept, "first", Existing::kKeep);
  write(kept, "second", Existing::kKeep);
  EXPECT_EQ(wandb::test::file_text(kept), "first");
  write(kept, "third", Existing::kReplace);
  EXPECT_EQ(wandb::test::file_text(kept), "third");
  const fs::path replaced = tmp.path() / "c" / "replaced.json";
  write(replaced, "x", Existing::kReplace);
  write(replaced, "", Existing::kReplace);
  EXPECT_TRUE(fs::exists(replaced));
  EXPECT_EQ(fs::file_size(replaced), 0u);
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(tmp.path())) {
    if (e.is_regular_file()) names.push_back(fs::relative(e.path(), tmp.path()).string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a/b/kept.png", "c/replaced.json"}));
  EXPECT_NE(fs::status(kept).permissions() & fs::perms::owner_read, fs::perms::none);

  // A folder that cannot be made: IoError with the errno, for both kinds.
  write(tmp.path() / "plain", "not a folder", Existing::kReplace);
  for (Existing existing : {Existing::kKeep, Existing::kReplace}) {
    try {
      write(tmp.path() / "plain" / "x.png", "data", existing);
      ADD_FAILURE() << "expected an IoError";
    } catch (const wandb::IoError& e) {
      EXPECT_EQ(e.code(), ENOTDIR) << e.what();
      EXPECT_NE(std::string(e.what()).find("plain"), std::string::npos) << e.what();
    }
  }
}

TEST(RunFailures, KilledProcessLeavesOnlyCompleteReferencedFiles) {
  wandb::test::TempDir tmp;
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    execl(WANDB_CRASH_CHILD, WANDB_CRASH_CHILD, tmp.path().c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  char buf[16] = {0};
  ASSERT_GT(read(out[0], buf, 5), 0) << "child did not start";
  // Kill it once some rows are on disk, while it is still writing more.
  const fs::path history = tmp.path() / "wandb" / "latest-run" / "history.jsonl";
  const auto count_lines = [&] {
    std::ifstream h(history);
    return std::count(std::istreambuf_iterator<char>(h), std::istreambuf_iterator<char>(), '\n');
  };
  for (int i = 0; i < 600 && count_lines() < 5; ++i) usleep(50 * 1000);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(out[0]);
  ASSERT_TRUE(WIFSIGNALED(status));
  const fs::path files = tmp.path() / "wandb" / "latest-run" / "files";
  std::ifstream in(files.parent_path() / "history.jsonl");
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    const Json row = Json::parse(line);  // every line is whole
    EXPECT_EQ(row["_step"], rows);
    ++rows;
    for (const auto& key : {"img", "batch"}) {
      const Json& v = row[key];
      std::vector<std::string> paths;
      if (v.contains("path")) paths.push_back(v["path"]);
      if (v.contains("filenames")) {
        for (const auto& p : v["filenames"]) paths.push_back(p);
      }
      for (const auto& p : paths) {
        const cv::Mat decoded = cv::imread((files / p).string(), cv::IMREAD_UNCHANGED);
        EXPECT_FALSE(decoded.empty()) << p;  // present and complete
      }
    }
  }
  EXPECT_GE(rows, 5);
}

// ---- the .wandb file --------------------------------------------------------------------------

TEST(RunFile, RecordsMatchWhatWasLogged) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(),
                            .project = "p",
                            .entity = "e",
                            .name = "n",
                            .group = "g",
                            .job_type = "train",
                            .notes = "notes",
                            .tags = {"a", "b"},
                            .config = Json{{"lr", 0.1}},
                            // Only the records this test lists (no metadata file, no samples).
                            .metadata = false,
                            .stats_interval = std::chrono::milliseconds(0)});
  const Image img = gradient_image();
  run.log({{"img", img}, {"loss", 0.5}});
  run.log({{"loss", 0.25}});
  run.finish(3);
  const fs::path file = run.root() / ("run-" + run.id() + ".wandb");
  ASSERT_TRUE(fs::exists(file));
  const wandb::test::RunFileView view = wandb::test::read_run_view(run.root());
  EXPECT_FALSE(view.contents.torn_tail);
  // The init config is in the Run record; each row is followed by a Summary
  // record with its values, so a killed run keeps its summary.
  const std::vector<std::string> kinds = {"header",  "run",     "files",   "history", "summary",
                                          "history", "summary", "summary", "exit",    "final"};
  EXPECT_EQ(view.kinds, kinds);
  const auto& records = view.contents.records;
  for (size_t i = 0; i + 1 < records.size(); ++i) EXPECT_EQ(records[i].num, static_cast<int64_t>(i + 1));
  EXPECT_EQ(records.back().payload, std::string("\xA2\x01\x00", 3));
  const Json& r = records[1].json["run"];
  EXPECT_EQ(r["run_id"], run.id());
  EXPECT_EQ(r["project"], "p");
  EXPECT_EQ(r["entity"], "e");
  EXPECT_EQ(r["display_name"], "n");
  EXPECT_EQ(r["run_group"], "g");
  EXPECT_EQ(r["job_type"], "train");
  EXPECT_EQ(r["notes"], "notes");
  EXPECT_EQ(r["tags"], Json::parse(R"(["a", "b"])"));
  EXPECT_TRUE(r.contains("start_time"));
  EXPECT_EQ(r["config"], Json::parse(R"({"update": [{"key": "lr", "value_json": "0.1"}]})"));
  EXPECT_EQ(records[4].json["summary"]["update"][0]["key"], "img");
  EXPECT_EQ(view.files, std::vector<std::string>{"media/images/img_0_" + img.sha256().substr(0, 20) + ".png"});
  EXPECT_EQ(view.history[0]["img"]["sha256"], img.sha256());
  EXPECT_EQ(view.history[1]["_step_num"], 1);
  EXPECT_EQ(view.summary["loss"], 0.25);
  EXPECT_EQ(view.config["lr"], 0.1);
  EXPECT_EQ(records[records.size() - 2].json["exit"]["exit_code"], 3);
}

TEST(RunFile, KilledRunStillReadsBack) {
  // The crash child's run: the .wandb file ends in whole records or a torn tail,
  // and every Files path it names exists.
  wandb::test::TempDir tmp;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    execl(WANDB_CRASH_CHILD, WANDB_CRASH_CHILD, tmp.path().c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const fs::path root = tmp.path() / "wandb" / "latest-run";
  for (int i = 0; i < 600; ++i) {
    std::error_code ec;
    if (fs::exists(root / "run-crashrun.wandb", ec) && fs::file_size(root / "run-crashrun.wandb", ec) > 40000) break;
    usleep(50 * 1000);
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  const wandb::test::RunFileView view = wandb::test::read_run_view(root);
  EXPECT_TRUE(view.contents.header_ok);
  EXPECT_GE(view.history.size(), 1u);
  for (const auto& path : view.files) EXPECT_TRUE(fs::exists(root / "files" / path)) << path;
}

// ---- previews ---------------------------------------------------------------------------------

TEST(RunPreviews, RenderedCopiesAndTheGridTool) {
  wandb::test::TempDir tmp;
  wandb::Run run(RunOptions{.dir = tmp.path(), .previews = true});
  wandb::BoundingBoxes2D boxes({wandb::Box{.position = wandb::BoxCorners{0.1, 0.1, 0.6, 0.6}, .class_id = 1}});
  const Image img(at::zeros({3, 40, 60}), {.boxes = {{"p", boxes}},
                                           .masks = {{"m", wandb::ImageMask(at::ones({40, 60}, at::kLong))}}});
  run.log({{"img", img}, {"batch", std::vector<Image>{img, uniform_image(9, 40, 60)}}});
  run.finish();
  const std::string path = "media/images/img_0_" + img.sha256().substr(0, 20) + ".png";
  const cv::Mat preview = cv::imread((run.root() / "previews" / path).string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(preview.empty());
  EXPECT_EQ(preview.cols, 60);
  EXPECT_EQ(preview.rows, 40);
  EXPECT_NE(preview.at<cv::Vec3b>(4, 6), cv::Vec3b(0, 0, 0));  // the box outline was drawn
  // The command renders all three images logged at step 0 into one sheet.
  const fs::path out = tmp / "sheet.png";
  const std::string cmd = std::string(WANDB_PREVIEW_TOOL) + " " + run.root().string() + " --step 0 -o " +
                          out.string() + " > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const cv::Mat sheet = cv::imread(out.string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(sheet.empty());
  EXPECT_GT(sheet.cols, 3 * 60);
  const std::string missing = std::string(WANDB_PREVIEW_TOOL) + " " + run.root().string() + " --step 7 > /dev/null 2>&1";
  EXPECT_NE(std::system(missing.c_str()), 0);
}
