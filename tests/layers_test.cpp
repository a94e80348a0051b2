// Unit tests of the layers an image carries: bounding boxes (docs/boxes.md),
// masks (docs/masks.md), class labels (docs/classes.md), and the
// Python-compatible JSON writer.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "test_support.h"
#include "wandb/boxes.h"
#include "wandb/classes.h"
#include "wandb/errors.h"
#include "wandb/json.h"
#include "wandb/masks.h"

namespace {

using wandb::test::sha256_of;

using wandb::BoundingBoxes2D;
using wandb::Box;
using wandb::BoxCenter;
using wandb::BoxCorners;
using wandb::BoxDomain;
using wandb::BoxFormat;
using wandb::ClassLabels;
using wandb::ImageMask;
using wandb::Json;
namespace fs = std::filesystem;

using wandb::test::file_bytes;
using wandb::test::kInf;
using wandb::test::kNaN;



ClassLabels labels(std::vector<ClassLabels::value_type> items) {
  return ClassLabels(std::move(items));
}

// ---- boxes from the SDK's dict shape --------------------------------------------------

TEST(BoxesJson, CornersWithEveryOptionalField) {
  const Json layer = Json::parse(R"({
    "box_data": [
      {"position": {"minX": 10, "maxX": 50.5, "minY": 20, "maxY": 60},
       "domain": "pixel", "class_id": 1, "box_caption": "car",
       "scores": {"acc": 0.9, "loss": 2}},
      {"position": {"minX": 0.1, "maxX": 0.2, "minY": 0.3, "maxY": 0.4}, "class_id": 2}
    ],
    "class_labels": {"1": "car", "2": "bus", "7": "tram"}})");
  const BoundingBoxes2D boxes(layer);
  ASSERT_EQ(boxes.boxes().size(), 2u);
  const Box& a = boxes.boxes()[0];
  const BoxCorners c = a.corners();
  EXPECT_EQ(c.min_x, 10);
  EXPECT_EQ(c.max_x, 50.5);
  EXPECT_EQ(c.min_y, 20);
  EXPECT_EQ(c.max_y, 60);
  EXPECT_EQ(a.domain, BoxDomain::kPixel);
  EXPECT_EQ(a.class_id, 1);
  EXPECT_EQ(a.caption, "car");
  EXPECT_EQ(a.scores, (std::vector<std::pair<std::string, double>>{{"acc", 0.9}, {"loss", 2}}));
  const Box& b = boxes.boxes()[1];
  EXPECT_EQ(b.domain, BoxDomain::kFraction);
  EXPECT_FALSE(b.caption.has_value());
  EXPECT_TRUE(b.scores.empty());
  EXPECT_TRUE(boxes.has_explicit_labels());
  EXPECT_EQ(boxes.class_labels(), labels({{1, "car"}, {2, "bus"}, {7, "tram"}}));
  EXPECT_EQ(boxes.json(), layer);  // the layer as given
  EXPECT_EQ(boxes.file_content(), wandb::dumps_python(layer));
  EXPECT_EQ(
      boxes.file_content(),
      R"({"box_data": [{"position": {"minX": 10, "maxX": 50.5, "minY": 20, "maxY": 60}, )"
      R"("domain": "pixel", "class_id": 1, "box_caption": "car", )"
      R"("scores": {"acc": 0.9, "loss": 2}}, )"
      R"({"position": {"minX": 0.1, "maxX": 0.2, "minY": 0.3, "maxY": 0.4}, "class_id": 2}], )"
      R"("class_labels": {"1": "car", "2": "bus", "7": "tram"}})");
}

TEST(BoxesJson, MiddleWidthHeight) {
  const Json layer = Json::parse(R"({"box_data": [
      {"position": {"middle": [0.5, 0.25], "width": 0.2, "height": 0.5}, "class_id": 3}]})");
  const BoundingBoxes2D boxes(layer);
  const Box& box = boxes.boxes().at(0);
  ASSERT_TRUE(std::holds_alternative<BoxCenter>(box.position));
  const BoxCenter m = std::get<BoxCenter>(box.position);
  EXPECT_EQ(m.mid_x, 0.5);
  EXPECT_EQ(m.mid_y, 0.25);
  EXPECT_EQ(m.width, 0.2);
  EXPECT_EQ(m.height, 0.5);
  const BoxCorners c = box.corners();
  EXPECT_DOUBLE_EQ(c.min_x, 0.4);
  EXPECT_DOUBLE_EQ(c.max_x, 0.6);
  EXPECT_DOUBLE_EQ(c.min_y, 0.0);
  EXPECT_DOUBLE_EQ(c.max_y, 0.5);
  EXPECT_EQ(box.domain, BoxDomain::kFraction);
  EXPECT_FALSE(boxes.has_explicit_labels());
  EXPECT_EQ(boxes.class_labels(), labels({{3, "class_3"}}));
  EXPECT_EQ(boxes.file_content(),
            R"({"box_data": [{"position": {"middle": [0.5, 0.25], "width": 0.2, "height": 0.5}, )"
            R"("class_id": 3}]})");
}

TEST(BoxesJson, DefaultLabelsAreSortedAndDistinct) {
  Json data = Json::array();
  for (int id : {5, 2, 5, 9, 2, -1}) {
    data.push_back(
        {{"position", {{"minX", 0}, {"maxX", 1}, {"minY", 0}, {"maxY", 1}}}, {"class_id", id}});
  }
  const BoundingBoxes2D boxes(Json{{"box_data", data}});
  EXPECT_EQ(boxes.class_labels(),
            labels({{-1, "class_-1"}, {2, "class_2"}, {5, "class_5"}, {9, "class_9"}}));
  EXPECT_FALSE(boxes.json().contains("class_labels"));
  EXPECT_TRUE(BoundingBoxes2D(Json{{"box_data", Json::array()}}).class_labels().empty());
}

TEST(BoxesJson, ClassIdIsOptionalWithLabels) {
  const Json layer = Json::parse(R"({"box_data": [
      {"position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": 1}}], "class_labels": {"0": "x"}})");
  const BoundingBoxes2D boxes(layer);
  EXPECT_FALSE(boxes.boxes()[0].class_id.has_value());
  EXPECT_EQ(boxes.class_labels(), labels({{0, "x"}}));
}

enum class Kind { kValue, kType };

struct BadLayer {
  const char* name;
  Json layer;
  Kind kind;
  const char* fragment;
};

Json box_with(const Json& extra) {
  Json box = {{"position", {{"minX", 0}, {"maxX", 1}, {"minY", 0}, {"maxY", 1}}}, {"class_id", 1}};
  for (auto it = extra.begin(); it != extra.end(); ++it) box[it.key()] = it.value();
  return Json{{"box_data", Json::array({box})}};
}

Json position(const Json& p) {
  return Json{{"box_data", Json::array({Json{{"position", p}, {"class_id", 1}}})}};
}

std::vector<BadLayer> bad_layers() {
  const char* kPosition = "Each box must contain a position with";
  const char* kLabels = "Class labels must be a dictionary of numbers to string";
  auto with_labels = [](const Json& class_labels) {
    Json layer = box_with(Json::object());
    layer["class_labels"] = class_labels;
    return layer;
  };
  const Json unit_corners = {{"minX", 0}, {"maxX", 1}, {"minY", 0}, {"maxY", 1}};
  return {
      {"NoPosition", Json::parse(R"({"box_data": [{"class_id": 1}]})"), Kind::kType, kPosition},
      {"PositionNotObject", position(Json::array({0, 1, 0, 1})), Kind::kType, kPosition},
      {"BoxNotObject", Json::parse(R"({"box_data": [3]})"), Kind::kType, kPosition},
      {"MiddleThreeNumbers",
       position(Json::parse(R"({"middle": [1, 2, 3], "width": 1, "height": 1})")), Kind::kType,
       kPosition},
      {"MiddleOneNumber", position(Json::parse(R"({"middle": [1], "width": 1, "height": 1})")),
       Kind::kType, kPosition},
      {"MiddleWithoutHeight", position(Json::parse(R"({"middle": [1, 2], "width": 1})")),
       Kind::kType, kPosition},
      {"MiddleNotNumbers",
       position(Json::parse(R"({"middle": ["1", 2], "width": 1, "height": 1})")), Kind::kType,
       kPosition},
      {"CornersMissingMaxY", position(Json::parse(R"({"minX": 0, "maxX": 1, "minY": 0})")),
       Kind::kType, kPosition},
      {"CornerIsString", position(Json::parse(R"({"minX": "0", "maxX": 1, "minY": 0, "maxY": 1})")),
       Kind::kType, kPosition},
      {"CornerIsBool", position(Json::parse(R"({"minX": true, "maxX": 1, "minY": 0, "maxY": 1})")),
       Kind::kType, kPosition},
      {"EmptyPosition", position(Json::object()), Kind::kType, kPosition},
      {"BoxDataNotList", Json::parse(R"({"box_data": {}})"), Kind::kType, "Boxes must be a list"},
      {"BoxDataString", Json::parse(R"({"box_data": "boxes"})"), Kind::kType,
       "Boxes must be a list"},
      {"ScoresList", box_with({{"scores", Json::array({0.5})}}), Kind::kType,
       "Box scores must be a dictionary"},
      {"ScoreString", box_with({{"scores", {{"acc", "high"}}}}), Kind::kType,
       "A score value must be a number"},
      {"ScoreNull", box_with({{"scores", {{"acc", nullptr}}}}), Kind::kType,
       "A score value must be a number"},
      {"ClassIdFloat", box_with({{"class_id", 1.5}}), Kind::kType,
       "A box's class_id must be an integer"},
      {"ClassIdWholeFloat", box_with({{"class_id", 1.0}}), Kind::kType,
       "A box's class_id must be an integer"},
      {"ClassIdString", box_with({{"class_id", "1"}}), Kind::kType,
       "A box's class_id must be an integer"},
      {"CaptionNumber", box_with({{"box_caption", 5}}), Kind::kType,
       "A box's caption must be a string"},
      {"LabelsKeyNotInteger", with_labels({{"cat", "x"}}), Kind::kType, kLabels},
      {"LabelsKeyFloat", with_labels({{"1.5", "x"}}), Kind::kType, kLabels},
      {"LabelsValueNumber", with_labels({{"1", 2}}), Kind::kType, kLabels},
      {"LabelsList", with_labels(Json::array({"a"})), Kind::kType, kLabels},
      {"MissingClassIdWithoutLabels",
       Json{{"box_data", Json::array({Json{{"position", unit_corners}}})}}, Kind::kValue,
       "class_id"},
      {"NoBoxData", Json::parse(R"({"class_labels": {"1": "a"}})"), Kind::kValue, "box_data"},
      {"LayerNotObject", Json::array(), Kind::kType, "boxes layer"},
      {"NaNCoordinate", position({{"minX", kNaN}, {"maxX", 1}, {"minY", 0}, {"maxY", 1}}),
       Kind::kValue, "finite"},
      {"InfiniteWidth", position({{"middle", {0, 0}}, {"width", kInf}, {"height", 1}}),
       Kind::kValue, "finite"},
  };
}

TEST(BoxesJson, SdkErrors) {
  for (const BadLayer& c : bad_layers()) {
    SCOPED_TRACE(std::string(c.name) + ": " + c.layer.dump());
    if (c.kind == Kind::kValue) {
      EXPECT_THROW_MSG(BoundingBoxes2D(c.layer), wandb::ValueError, c.fragment);
    } else {
      EXPECT_THROW_MSG(BoundingBoxes2D(c.layer), wandb::TypeError, c.fragment);
    }
  }
}

// ---- typed boxes ------------------------------------------------------------------------

TEST(BoxesTyped, ProduceTheSdkShape) {
  const Box corners{.position = BoxCorners{0.1, 0.2, 0.5, 0.6},
                    .domain = BoxDomain::kPixel,
                    .class_id = 3,
                    .caption = "cap",
                    .scores = {{"score", 0.5}, {"iou", 1.0}}};
  const Box center{.position = BoxCenter{0.5, 0.25, 0.2, 0.5}, .class_id = 4};
  const BoundingBoxes2D boxes({corners, center}, labels({{3, "cat"}, {4, "dog"}}));
  EXPECT_EQ(
      boxes.file_content(),
      R"({"box_data": [{"position": {"minX": 0.1, "maxX": 0.5, "minY": 0.2, "maxY": 0.6}, )"
      R"("domain": "pixel", "class_id": 3, "box_caption": "cap", )"
      R"("scores": {"score": 0.5, "iou": 1.0}}, )"
      R"({"position": {"middle": [0.5, 0.25], "width": 0.2, "height": 0.5}, "class_id": 4}], )"
      R"("class_labels": {"3": "cat", "4": "dog"}})");
  EXPECT_EQ(boxes.file_content(), wandb::dumps_python(boxes.json()));
  EXPECT_TRUE(boxes.has_explicit_labels());
  // The JSON reads back to the same layer.
  const BoundingBoxes2D again(boxes.json());
  EXPECT_TRUE(again == boxes);
  EXPECT_EQ(again.class_labels(), boxes.class_labels());
  EXPECT_EQ(again.boxes()[0].scores, corners.scores);
  EXPECT_EQ(again.boxes()[0].caption, "cap");
  EXPECT_EQ(again.boxes()[1].corners().max_y, center.corners().max_y);
}

TEST(BoxesTyped, DefaultLabelsAndErrors) {
  const BoundingBoxes2D boxes({Box{.position = BoxCorners{0, 0, 1, 1}, .class_id = 8},
                               Box{.position = BoxCorners{0, 0, 1, 1}, .class_id = 1}});
  EXPECT_EQ(boxes.class_labels(), labels({{1, "class_1"}, {8, "class_8"}}));
  EXPECT_FALSE(boxes.has_explicit_labels());
  EXPECT_FALSE(boxes.json().contains("class_labels"));
  EXPECT_FALSE(boxes.json().at("box_data").at(0).contains("domain"));  // fractions: no domain key

  EXPECT_THROW_MSG(BoundingBoxes2D({Box{.position = BoxCorners{0, 0, 1, 1}}}), wandb::ValueError,
                   "class_id");
  EXPECT_NO_THROW(BoundingBoxes2D({Box{.position = BoxCorners{0, 0, 1, 1}}}, labels({{0, "a"}})));
  EXPECT_THROW_MSG(BoundingBoxes2D({Box{.position = BoxCorners{kNaN, 0, 1, 1}, .class_id = 1}}),
                   wandb::ValueError, "finite");
  EXPECT_THROW_MSG(BoundingBoxes2D({Box{.position = BoxCenter{0, 0, -kInf, 1}, .class_id = 1}}),
                   wandb::ValueError, "finite");
  EXPECT_THROW_MSG(
      BoundingBoxes2D(
          {Box{.position = BoxCorners{0, 0, 1, 1}, .class_id = 1, .scores = {{"p", kNaN}}}}),
      wandb::ValueError, "A score value must be a number");
}

TEST(BoxesTyped, Equality) {
  const Box box{.position = BoxCorners{0, 0, 1, 1}, .class_id = 1};
  EXPECT_TRUE(BoundingBoxes2D({box}) == BoundingBoxes2D({box}));
  EXPECT_FALSE(BoundingBoxes2D({box}) == BoundingBoxes2D({box}, labels({{1, "a"}})));
}

// ---- boxes from tensors --------------------------------------------------------------

TEST(BoxesTensors, Formats) {
  const at::Tensor rows = at::tensor({10.0, 20.0, 30.0, 40.0, 1.5, 2.5, 3.0, 4.0}).reshape({2, 4});
  const at::Tensor ids = at::tensor({7, 2}, at::kLong);
  struct Case {
    BoxFormat format;
    const char* first;
  };
  for (const Case& c :
       {Case{BoxFormat::kXYXY, R"({"minX": 10.0, "maxX": 30.0, "minY": 20.0, "maxY": 40.0})"},
        Case{BoxFormat::kXYWH, R"({"minX": 10.0, "maxX": 40.0, "minY": 20.0, "maxY": 60.0})"},
        Case{BoxFormat::kCXCYWH, R"({"middle": [10.0, 20.0], "width": 30.0, "height": 40.0})"}}) {
    const BoundingBoxes2D boxes = BoundingBoxes2D::from_tensors(rows, ids, c.format);
    ASSERT_EQ(boxes.boxes().size(), 2u);
    const Json& data = boxes.json().at("box_data");
    EXPECT_EQ(wandb::dumps_python(data.at(0).at("position")), c.first);
    EXPECT_EQ(data.at(0).at("domain"), "pixel");
    EXPECT_EQ(data.at(1).at("class_id"), 2);
    EXPECT_EQ(boxes.class_labels(), labels({{2, "class_2"}, {7, "class_7"}}));
  }
  const BoundingBoxes2D cx = BoundingBoxes2D::from_tensors(rows, ids, BoxFormat::kCXCYWH);
  const BoxCorners c = cx.boxes()[0].corners();
  EXPECT_EQ(c.min_x, -5);
  EXPECT_EQ(c.max_x, 25);
  EXPECT_EQ(c.min_y, 0);
  EXPECT_EQ(c.max_y, 40);
  EXPECT_EQ(wandb::parse_box_format("xyxy"), BoxFormat::kXYXY);
  EXPECT_EQ(wandb::parse_box_format("xywh"), BoxFormat::kXYWH);
  EXPECT_EQ(wandb::parse_box_format("cxcywh"), BoxFormat::kCXCYWH);
  EXPECT_THROW_MSG(wandb::parse_box_format("yolo"), wandb::ValueError, "got \"yolo\"");
  EXPECT_THROW_MSG(wandb::parse_box_format("XYXY"), wandb::ValueError, "box format");
}

TEST(BoxesTensors, ScoresDomainLabelsAndLayouts) {
  // float32 boxes, transposed (non-contiguous), int32 ids, half scores.
  const at::Tensor cols =
      at::tensor({0.25f, 0.5f, 0.0f, 0.125f, 0.75f, 1.0f, 0.5f, 0.625f}).reshape({4, 2});
  const at::Tensor ids = at::tensor({1, 1}, at::kInt);
  const at::Tensor scores = at::tensor({0.5, 0.25}).to(at::kHalf);
  const BoundingBoxes2D boxes = BoundingBoxes2D::from_tensors(
      cols.t(), ids, BoxFormat::kXYXY, BoxDomain::kFraction, &scores, "conf", labels({{1, "one"}}));
  EXPECT_EQ(boxes.file_content(),
            R"({"box_data": [{"position": {"minX": 0.25, "maxX": 0.75, "minY": 0.0, "maxY": 0.5}, )"
            R"("class_id": 1, "scores": {"conf": 0.5}}, )"
            R"({"position": {"minX": 0.5, "maxX": 1.0, "minY": 0.125, "maxY": 0.625}, )"
            R"("class_id": 1, "scores": {"conf": 0.25}}], "class_labels": {"1": "one"}})");
  EXPECT_TRUE(boxes.has_explicit_labels());
  const BoundingBoxes2D none =
      BoundingBoxes2D::from_tensors(at::zeros({0, 4}), at::zeros({0}, at::kLong));
  EXPECT_TRUE(none.boxes().empty());
  EXPECT_EQ(none.file_content(), R"({"box_data": []})");
}

TEST(BoxesTensors, Errors) {
  const at::Tensor ids = at::tensor({1, 2}, at::kLong);
  using BT = BoundingBoxes2D;
  EXPECT_THROW_MSG(BT::from_tensors(at::zeros({2, 3}), ids), wandb::ValueError,
                   "expected an (N, 4) tensor, got [2, 3]");
  EXPECT_THROW_MSG(BT::from_tensors(at::zeros({4}), ids), wandb::ValueError, "(N, 4)");
  EXPECT_THROW_MSG(BT::from_tensors(at::zeros({2, 4, 1}), ids), wandb::ValueError, "(N, 4)");
  EXPECT_THROW_MSG(BT::from_tensors(at::Tensor(), ids), wandb::ValueError, "undefined");
  EXPECT_THROW_MSG(BT::from_tensors(at::zeros({2, 4}), at::tensor({1, 2, 3}, at::kLong)),
                   wandb::ValueError, "class_ids: expected a 1-D tensor of 2 ids, got [3]");
  EXPECT_THROW_MSG(BT::from_tensors(at::zeros({2, 4}), ids.reshape({2, 1})), wandb::ValueError,
                   "class_ids");
  EXPECT_THROW_MSG(BT::from_tensors(at::zeros({2, 4}), at::Tensor()), wandb::ValueError,
                   "class_ids");
  EXPECT_THROW_MSG(BT::from_tensors(at::zeros({2, 4}), at::tensor({1.0, 2.0})), wandb::TypeError,
                   "A box's class_id must be an integer");
  const at::Tensor three = at::zeros({3});
  EXPECT_THROW_MSG(
      BT::from_tensors(at::zeros({2, 4}), ids, BoxFormat::kXYXY, BoxDomain::kPixel, &three),
      wandb::ValueError, "scores: expected a 1-D tensor of 2 scores, got [3]");
  const at::Tensor undefined;
  EXPECT_THROW_MSG(
      BT::from_tensors(at::zeros({2, 4}), ids, BoxFormat::kXYXY, BoxDomain::kPixel, &undefined),
      wandb::ValueError, "scores");
  EXPECT_THROW_MSG(BT::from_tensors(at::full({2, 4}, kNaN), ids), wandb::ValueError, "finite");
}

// ---- masks ----------------------------------------------------------------------------

class MaskTensorDtype : public ::testing::TestWithParam<at::ScalarType> {};

TEST_P(MaskTensorDtype, ValuesLabelsAndRange) {
  const int max = GetParam() == at::kChar ? 127 : 255;
  const at::Tensor t = at::tensor({0, 1, 2, 5, 2, max}, at::kLong).reshape({2, 3}).to(GetParam());
  const ImageMask mask(t);
  EXPECT_EQ(mask.width(), 3);
  EXPECT_EQ(mask.height(), 2);
  EXPECT_EQ(mask.values(), (std::vector<uint8_t>{0, 1, 2, 5, 2, static_cast<uint8_t>(max)}));
  EXPECT_EQ(mask.at(1, 0), 5);
  EXPECT_EQ(mask.at(0, 2), 2);
  EXPECT_EQ(mask.class_labels(), labels({{0, "class_0"},
                                         {1, "class_1"},
                                         {2, "class_2"},
                                         {5, "class_5"},
                                         {max, "class_" + std::to_string(max)}}));
  // A transposed (non-contiguous) tensor is read in its logical order.
  const ImageMask transposed(t.t());
  EXPECT_EQ(transposed.width(), 2);
  EXPECT_EQ(transposed.height(), 3);
  EXPECT_EQ(transposed.values(), (std::vector<uint8_t>{0, 5, 1, 2, 2, static_cast<uint8_t>(max)}));
  if (GetParam() != at::kByte) {
    EXPECT_THROW_MSG(ImageMask(at::tensor({0, -1}, at::kLong).reshape({1, 2}).to(GetParam())),
                     wandb::ValueError, "Mask data must be integers between 0 and 255");
  }
  if (GetParam() != at::kByte && GetParam() != at::kChar) {
    EXPECT_THROW_MSG(ImageMask(at::tensor({0, 256}, at::kLong).reshape({2, 1}).to(GetParam())),
                     wandb::ValueError, "Mask data must be integers between 0 and 255");
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, MaskTensorDtype,
                         ::testing::Values(at::kByte, at::kChar, at::kShort, at::kInt, at::kLong),
                         [](const auto& info) { return std::string(c10::toString(info.param)); });

TEST(MaskTensor, Errors) {
  for (at::ScalarType type : {at::kFloat, at::kDouble, at::kHalf, at::kBool, at::kComplexFloat}) {
    EXPECT_THROW_MSG(ImageMask(at::zeros({2, 2}, type)), wandb::TypeError,
                     "Mask data must be integers")
        << c10::toString(type);
  }
  EXPECT_THROW_MSG(ImageMask(at::zeros({4}, at::kLong)), wandb::ValueError,
                   "mask_data must be a 2D array");
  EXPECT_THROW_MSG(ImageMask(at::zeros({1, 2, 2}, at::kLong)), wandb::ValueError,
                   "mask_data must be a 2D array");
  EXPECT_THROW_MSG(ImageMask(at::zeros({0, 3}, at::kLong)), wandb::ValueError,
                   "mask_data must be a 2D array");
  EXPECT_THROW_MSG(ImageMask(at::Tensor()), wandb::ValueError, "undefined");
  const ImageMask mask(at::zeros({2, 3}, at::kByte));
  EXPECT_THROW_MSG(mask.at(2, 0), wandb::ValueError, "mask pixel");
  EXPECT_THROW_MSG(mask.at(0, -1), wandb::ValueError, "mask pixel");
}

TEST(MaskMat, IntegerDepths) {
  for (int depth : {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S}) {
    cv::Mat m(2, 3, CV_32S);
    const int values[] = {0, 3, 3, 7, 1, depth == CV_8S ? 127 : 255};
    std::memcpy(m.data, values, sizeof values);
    cv::Mat typed;
    m.convertTo(typed, depth);
    const ImageMask mask(typed);
    EXPECT_EQ(mask.values(), (std::vector<uint8_t>(values, values + 6))) << depth;
    EXPECT_EQ(mask.class_labels().size(), 5u);
  }
  cv::Mat big(6, 7, CV_16U, cv::Scalar(0));
  big.at<uint16_t>(2, 3) = 9;
  const cv::Mat roi = big(cv::Rect(2, 1, 3, 4));
  ASSERT_FALSE(roi.isContinuous());
  const ImageMask from_roi(roi);
  EXPECT_EQ(from_roi.width(), 3);
  EXPECT_EQ(from_roi.height(), 4);
  EXPECT_EQ(from_roi.at(1, 1), 9);
  EXPECT_EQ(from_roi.class_labels(), labels({{0, "class_0"}, {9, "class_9"}}));
}

TEST(MaskMat, Errors) {
  EXPECT_THROW_MSG(ImageMask(cv::Mat(2, 2, CV_16S, cv::Scalar(-1))), wandb::ValueError,
                   "Mask data must be integers between 0 and 255");
  EXPECT_THROW_MSG(ImageMask(cv::Mat(2, 2, CV_32S, cv::Scalar(300))), wandb::ValueError,
                   "Mask data must be integers between 0 and 255");
  EXPECT_THROW_MSG(ImageMask(cv::Mat(2, 2, CV_32F, cv::Scalar(1))), wandb::TypeError,
                   "Mask data must be integers");
  EXPECT_THROW_MSG(ImageMask(cv::Mat(2, 2, CV_64F, cv::Scalar(1))), wandb::TypeError,
                   "Mask data must be integers");
  EXPECT_THROW_MSG(ImageMask(cv::Mat(2, 2, CV_8UC3, cv::Scalar(1, 1, 1))), wandb::ValueError,
                   "mask_data must be a 2D array");
  const int sizes[] = {2, 2, 2};
  EXPECT_THROW_MSG(ImageMask(cv::Mat(3, sizes, CV_8U, cv::Scalar(0))), wandb::ValueError,
                   "mask_data must be a 2D array");
  EXPECT_THROW_MSG(ImageMask(cv::Mat()), wandb::ValueError, "mask_data must be a 2D array");
}

TEST(MaskPng, DecodesToTheClassIds) {
  at::manual_seed(1);
  const at::Tensor t = at::randint(0, 256, {13, 17}, at::kLong);
  const ImageMask mask(t, labels({{1, "a"}}));
  const std::vector<uint8_t>& png = mask.png();
  ASSERT_GE(png.size(), 8u);
  EXPECT_EQ(std::vector<uint8_t>(png.begin(), png.begin() + 4),
            (std::vector<uint8_t>{0x89, 'P', 'N', 'G'}));
  const cv::Mat decoded = cv::imdecode(
      cv::Mat(1, static_cast<int>(png.size()), CV_8U, const_cast<uint8_t*>(png.data())),
      cv::IMREAD_UNCHANGED);
  ASSERT_EQ(decoded.type(), CV_8UC1);
  ASSERT_EQ(decoded.rows, 13);
  ASSERT_EQ(decoded.cols, 17);
  const at::Tensor back = at::from_blob(decoded.data, {13, 17}, at::kByte).to(at::kLong);
  EXPECT_TRUE(at::equal(back, t));
  EXPECT_EQ(mask.sha256(), sha256_of(png));
  EXPECT_EQ(mask.size(), static_cast<int64_t>(png.size()));
  EXPECT_EQ(mask.class_labels(), labels({{1, "a"}}));  // given labels replace the defaults
  EXPECT_EQ(ImageMask(t.clone()).sha256(), mask.sha256());
}

TEST(MaskPng, FromFileKeepsTheFileBytes) {
  wandb::test::TempDir dir;
  cv::Mat m(5, 6, CV_8UC1, cv::Scalar(0));
  m.at<uint8_t>(1, 2) = 3;
  m.at<uint8_t>(4, 5) = 200;
  const fs::path path = dir / "mask.png";
  ASSERT_TRUE(cv::imwrite(path.string(), m, {cv::IMWRITE_PNG_COMPRESSION, 9}));
  const std::vector<uint8_t> bytes = file_bytes(path);
  const ImageMask mask = ImageMask::from_file(path.string());
  EXPECT_EQ(mask.png(), bytes);
  EXPECT_EQ(mask.sha256(), sha256_of(bytes));
  EXPECT_EQ(mask.size(), static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(mask.width(), 6);
  EXPECT_EQ(mask.height(), 5);
  EXPECT_EQ(mask.at(1, 2), 3);
  EXPECT_EQ(mask.at(4, 5), 200);
  EXPECT_EQ(mask.class_labels(), labels({{0, "class_0"}, {3, "class_3"}, {200, "class_200"}}));
  EXPECT_TRUE(mask == ImageMask(m));
  EXPECT_FALSE(mask == ImageMask(m, labels({{3, "x"}})));
  const ImageMask labelled = ImageMask::from_file(path.string(), labels({{3, "road"}}));
  EXPECT_EQ(labelled.class_labels(), labels({{3, "road"}}));
  // The same through the SDK's {"path": ...} shape.
  const ImageMask from_json(Json{{"path", path.string()}, {"class_labels", {{"3", "road"}}}});
  EXPECT_EQ(from_json.sha256(), sha256_of(bytes));
  EXPECT_EQ(from_json.class_labels(), labels({{3, "road"}}));
}

TEST(MaskPng, FromFileErrors) {
  wandb::test::TempDir dir;
  const std::string rgb = (fs::path(WANDB_EXAMPLE_DATA_DIR) / "astronaut.png").string();
  EXPECT_THROW_MSG(ImageMask::from_file(rgb), wandb::ValueError, "8-bit greyscale");
  EXPECT_THROW_MSG(ImageMask::from_file((dir / "none.png").string()), wandb::IoError,
                   "cannot open file");
  const cv::Mat deep(3, 3, CV_16UC1, cv::Scalar(300));
  ASSERT_TRUE(cv::imwrite((dir / "deep.png").string(), deep));
  EXPECT_THROW_MSG(ImageMask::from_file((dir / "deep.png").string()), wandb::ValueError,
                   "8-bit greyscale");
  wandb::test::write_bytes(dir / "junk.png", "not a png at all");
  EXPECT_THROW_MSG(ImageMask::from_file((dir / "junk.png").string()), wandb::ValueError,
                   "expected PNG, JPEG or BMP data");
}

TEST(MaskJson, MaskData) {
  const ImageMask mask(Json::parse(R"({"mask_data": [[0, 1, 2], [2, 255, 0]],
                                       "class_labels": {"0": "bg", "1": "cat"}})"));
  EXPECT_EQ(mask.width(), 3);
  EXPECT_EQ(mask.height(), 2);
  EXPECT_EQ(mask.values(), (std::vector<uint8_t>{0, 1, 2, 2, 255, 0}));
  EXPECT_EQ(mask.class_labels(), labels({{0, "bg"}, {1, "cat"}}));
  const ImageMask defaults(Json::parse(R"({"mask_data": [[4, 4], [1, 4]]})"));
  EXPECT_EQ(defaults.class_labels(), labels({{1, "class_1"}, {4, "class_4"}}));
  EXPECT_TRUE(defaults == ImageMask(at::tensor({4, 4, 1, 4}, at::kLong).reshape({2, 2})));
}

TEST(MaskJson, Errors) {
  struct Case {
    const char* json;
    Kind kind;
    const char* fragment;
  };
  for (const Case& c : {
           Case{R"({"mask_data": [[0, 1], [2]]})", Kind::kValue, "mask_data must be a 2D array"},
           Case{R"({"mask_data": [[0, 1], 2]})", Kind::kValue, "mask_data must be a 2D array"},
           Case{R"({"mask_data": [0, 1]})", Kind::kValue, "mask_data must be a 2D array"},
           Case{R"({"mask_data": []})", Kind::kValue, "mask_data must be a 2D array"},
           Case{R"({"mask_data": [[]]})", Kind::kValue, "mask_data must be a 2D array"},
           Case{R"({"mask_data": 3})", Kind::kValue, "mask_data must be a 2D array"},
           Case{R"({"mask_data": [[0, 256]]})", Kind::kValue,
                "Mask data must be integers between 0 and 255"},
           Case{R"({"mask_data": [[-1, 0]]})", Kind::kValue,
                "Mask data must be integers between 0 and 255"},
           Case{R"({"mask_data": [[1.5, 0]]})", Kind::kType, "Mask data must be integers"},
           Case{R"({"mask_data": [["1", 0]]})", Kind::kType, "Mask data must be integers"},
           Case{R"({"mask_data": [[1]], "class_labels": {"x": "y"}})", Kind::kType,
                "Class labels must be a dictionary of numbers to string"},
           Case{R"({"class_labels": {}})", Kind::kValue, "mask_data"},
           Case{R"({"path": 3})", Kind::kType, "mask path"},
           Case{R"([[0, 1]])", Kind::kType, "mask layer"},
       }) {
    const Json layer = Json::parse(c.json);
    if (c.kind == Kind::kValue) {
      EXPECT_THROW_MSG(ImageMask{layer}, wandb::ValueError, c.fragment) << c.json;
    } else {
      EXPECT_THROW_MSG(ImageMask{layer}, wandb::TypeError, c.fragment) << c.json;
    }
  }
  EXPECT_THROW_MSG(ImageMask(Json{{"path", "/nonexistent/mask.png"}}), wandb::IoError,
                   "cannot open file");
}

// ---- class labels and classes --------------------------------------------------------------

TEST(ClassLabels, PythonDictSemantics) {
  ClassLabels l{{3, "c"}, {1, "a"}, {3, "C"}};  // a repeated id keeps its first position
  EXPECT_EQ(l.items(), (std::vector<ClassLabels::value_type>{{3, "C"}, {1, "a"}}));
  l.set(2, "b");
  l.set(1, "A");
  EXPECT_EQ(l.items(), (std::vector<ClassLabels::value_type>{{3, "C"}, {1, "A"}, {2, "b"}}));
  ASSERT_NE(l.find(2), nullptr);
  EXPECT_EQ(*l.find(2), "b");
  EXPECT_EQ(l.find(9), nullptr);
  l.update(ClassLabels{{9, "z"}, {3, "three"}});
  EXPECT_EQ(l.items(),
            (std::vector<ClassLabels::value_type>{{3, "three"}, {1, "A"}, {2, "b"}, {9, "z"}}));
  EXPECT_EQ(l.size(), 4u);
  EXPECT_EQ(wandb::dumps_python(l.to_json()), R"({"3": "three", "1": "A", "2": "b", "9": "z"})");
  EXPECT_TRUE(ClassLabels().empty());
  EXPECT_TRUE(l != ClassLabels());
  EXPECT_EQ(wandb::default_class_labels({4, -2, 4, 0}),
            labels({{-2, "class_-2"}, {0, "class_0"}, {4, "class_4"}}));
  EXPECT_TRUE(wandb::default_class_labels({}).empty());
}

TEST(ClassLabels, FromJson) {
  EXPECT_EQ(ClassLabels::from_json(Json::parse(R"({"2": "b", "-1": "neg", "0": "z"})")),
            labels({{2, "b"}, {-1, "neg"}, {0, "z"}}));
  EXPECT_TRUE(ClassLabels::from_json(Json::object()).empty());
  for (const char* bad :
       {R"({"a": "x"})", R"({"1.0": "x"})", R"({"": "x"})", R"({" 1": "x"})", R"({"1x": "x"})",
        R"({"1": null})", R"({"1": ["x"]})", R"(["x"])", R"("labels")", R"(3)"}) {
    EXPECT_THROW_MSG(ClassLabels::from_json(Json::parse(bad)), wandb::TypeError,
                     "Class labels must be a dictionary of numbers to string")
        << bad;
  }
}

TEST(Classes, ListOfIdsAndNames) {
  const wandb::Classes classes(labels({{2, "b"}, {1, "a"}}));
  EXPECT_EQ(classes.items(), (std::vector<wandb::ClassInfo>{{2, "b"}, {1, "a"}}));
  EXPECT_EQ(classes.labels(), labels({{2, "b"}, {1, "a"}}));
  EXPECT_EQ(
      wandb::dumps_python(classes.to_json()),
      R"({"_type": "classes", "class_set": [{"id": 2, "name": "b"}, {"id": 1, "name": "a"}]})");
  EXPECT_TRUE(wandb::Classes::from_json(
                  Json::parse(R"([{"id": 2, "name": "b"}, {"id": 1, "name": "a"}])")) == classes);
  EXPECT_TRUE(wandb::Classes().empty());
  EXPECT_TRUE((wandb::Classes{{1, "a"}} != classes));
  EXPECT_EQ((wandb::Classes{{1, "a"}, {1, "b"}}).labels(), labels({{1, "b"}}));
  for (const char* bad : {R"({"id": 1, "name": "a"})", R"([{"id": 1}])", R"([{"name": "a"}])",
                          R"([{"id": "1", "name": "a"}])", R"([{"id": 1, "name": 2}])",
                          R"([{"id": 1.5, "name": "a"}])", R"([3])"}) {
    EXPECT_THROW_MSG(wandb::Classes::from_json(Json::parse(bad)), wandb::TypeError, "classes")
        << bad;
  }
}

// ---- dumps_python -------------------------------------------------------------------------

struct DumpCase {
  const char* name;
  Json value;
  const char* python;  // what Python's json.dumps prints
};

std::vector<DumpCase> dump_cases() {
  Json ordered = Json::object();
  ordered["z"] = 1;
  ordered["a"] = Json::array({1, 2.5, "x"});
  ordered["m"] = Json::object();
  return {
      {"Separators", Json::parse(R"({"a": 1, "b": [1, 2], "c": {"d": null}})"),
       R"({"a": 1, "b": [1, 2], "c": {"d": null}})"},
      {"KeyOrderKept", ordered, R"({"z": 1, "a": [1, 2.5, "x"], "m": {}})"},
      {"EmptyContainers", Json::parse(R"({"a": {}, "b": [], "c": [{}, []]})"),
       R"({"a": {}, "b": [], "c": [{}, []]})"},
      {"Literals", Json::array({true, false, nullptr}), "[true, false, null]"},
      {"Integers",
       Json::array({0, -7, int64_t{9223372036854775807}, uint64_t{18446744073709551615u}}),
       "[0, -7, 9223372036854775807, 18446744073709551615]"},
      {"WholeFloat", 1.0, "1.0"},
      {"NegativeZero", -0.0, "-0.0"},
      {"Tenth", 0.1, "0.1"},
      {"SmallFixed", 0.0001, "0.0001"},
      {"SmallExponent", 1e-05, "1e-05"},
      {"SmallExponentDigits", 1.5e-07, "1.5e-07"},
      {"LargeFixed", 1e15, "1000000000000000.0"},
      {"LargeFixedDigits", 1234567890123456.0, "1234567890123456.0"},
      {"LargeExponent", 1e16, "1e+16"},
      {"LargeExponentDigits", 123456789012345680.0, "1.2345678901234568e+17"},
      {"HugeExponent", 1e22, "1e+22"},
      {"Max", 1.7976931348623157e308, "1.7976931348623157e+308"},
      {"Denormal", 5e-324, "5e-324"},
      {"ThirdShortest", 1.0 / 3.0, "0.3333333333333333"},
      {"NaN", kNaN, "NaN"},
      {"Infinity", kInf, "Infinity"},
      {"MinusInfinity", -kInf, "-Infinity"},
      {"NonFiniteInside", Json{{"v", Json::array({kNaN, -kInf})}}, R"({"v": [NaN, -Infinity]})"},
      {"NonAscii", "\xc3\xa9", R"("\u00e9")"},
      {"AstralPlane", "\xf0\x9f\x98\x80", R"("\ud83d\ude00")"},
      {"NonAsciiKey", Json{{"\xc3\xa9t\xc3\xa9", 1}}, R"({"\u00e9t\u00e9": 1})"},
      {"ShortEscapes", "\"\\\b\f\n\r\t/", R"("\"\\\b\f\n\r\t/")"},
      {"ControlChars", std::string("\x01\x1f\x7f", 3), R"("\u0001\u001f\u007f")"},
      {"NulChar", std::string("a\0b", 3), R"("a\u0000b")"},
  };
}

TEST(JsonDumpsPython, MatchesJsonDumps) {
  for (const DumpCase& c : dump_cases()) {
    EXPECT_EQ(wandb::dumps_python(c.value), c.python) << c.name;
  }
}

// Python's float repr, built from the shortest round-trip digits (std::to_chars):
// fixed notation for decimal exponents -4 <= e < 16, otherwise d.ddde+XX.
std::string python_repr(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  std::string sign;
  if (s[0] == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  const size_t e = s.find('e');
  const int exponent = std::stoi(s.substr(e + 1));
  std::string digits = s.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int n = static_cast<int>(digits.size());
  const int point = exponent + 1;  // digits before the decimal point
  if (exponent >= -4 && exponent < 16) {
    if (point <= 0) return sign + "0." + std::string(-point, '0') + digits;
    if (point >= n) return sign + digits + std::string(point - n, '0') + ".0";
    return sign + digits.substr(0, point) + "." + digits.substr(point);
  }
  std::string mantissa = digits.substr(0, 1);
  if (n > 1) mantissa += "." + digits.substr(1);
  char exp[16];
  std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return sign + mantissa + exp;
}

TEST(JsonDumpsPythonFloats, ReferenceMatchesKnownReprs) {
  EXPECT_EQ(python_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_repr(1e16), "1e+16");
  EXPECT_EQ(python_repr(0.0001), "0.0001");
  EXPECT_EQ(python_repr(1e-05), "1e-05");
  EXPECT_EQ(python_repr(-2.5), "-2.5");
  EXPECT_EQ(python_repr(123456789012345680.0), "1.2345678901234568e+17");
  EXPECT_EQ(python_repr(1e100), "1e+100");
}

TEST(JsonDumpsPythonFloats, RandomDoublesMatchPythonRepr) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> mantissa(1.0, 10.0);
  std::uniform_int_distribution<int> decade(-8, 20);
  int mismatches = 0;
  for (int i = 0; i < 200000; ++i) {
    double v;
    if (i % 2) {  // any bit pattern
      const uint64_t bits = rng();
      std::memcpy(&v, &bits, sizeof v);
      if (!std::isfinite(v)) continue;
    } else {  // around the fixed/exponent switches
      v = mantissa(rng) * std::pow(10.0, decade(rng));
      if (i % 4 == 0) v = std::round(v);
    }
    const std::string got = wandb::dumps_python(v);
    const std::string want = python_repr(v);
    if (got != want && ++mismatches <= 5) {
      ADD_FAILURE() << "dumps_python(" << want << ") gave " << got;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
