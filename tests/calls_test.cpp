// The calls users reach for: a row Value from a one-element tensor, a Mat or a
// brace list of images; images_from_batch; the H x W x C tensor layout; and
// from_tensors with an options struct. Also pins that the new Value
// constructors change the meaning of no call that compiled before them.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "detail/torch_pixels.h"
#include "golden_support.h"
#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/image.h"
#include "wandb/run.h"

namespace {

using wandb::BatchLayout;
using wandb::BoundingBoxes2D;
using wandb::BoxDomain;
using wandb::BoxFormat;
using wandb::Image;
using wandb::Json;
using wandb::Layout;
using wandb::Row;
using wandb::Value;
using Kind = wandb::Value::Kind;

// Which calls compile. Each probe depends on R so that a call that does not
// compile makes the requires-expression false instead of failing the build.
template <class R>
constexpr bool kInt = requires { R{{"k", 1}}; };
template <class R>
constexpr bool kImageValue = requires(Image a) { R{{"img", a}}; };
template <class R>
constexpr bool kTwoImages = requires(Image a, Image b) { R{{"imgs", {a, b}}}; };
template <class R>
constexpr bool kThreeTemporaries = requires(at::Tensor t) {
  R{{"imgs", {Image(t), Image(t), Image(t)}}};
};
template <class R>
constexpr bool kOneImageInBraces = requires(Image a) { R{{"img", {a}}}; };
template <class R>
constexpr bool kImageVector = requires(std::vector<Image> v) { R{{"imgs", v}}; };
template <class R>
constexpr bool kNestedRow = requires { R{{"a", R{{"b", 1}}}}; };
template <class R>
constexpr bool kJson = requires { R{{"j", Json{{"x", 1}}}}; };
template <class R>
constexpr bool kEmptyBraces = requires { R{{"k", {}}}; };
template <class R>
constexpr bool kStringInDoubleBraces = requires { R{{"k", {{"s"}}}}; };
template <class R>
constexpr bool kTensor = requires(at::Tensor t) { R{{"loss", t}}; };
template <class R>
constexpr bool kMat = requires(cv::Mat m) { R{{"img", m}}; };
template <class R>
constexpr bool kTypedMat = requires(cv::Mat_<float> m) { R{{"img", m}}; };
template <class R>
constexpr bool kImageAndMat = requires(Image a, cv::Mat m) { R{{"imgs", {a, m}}}; };

static_assert(kInt<Row> && kImageValue<Row> && kOneImageInBraces<Row> && kImageVector<Row> &&
              kNestedRow<Row> && kJson<Row> && kEmptyBraces<Row> && kStringInDoubleBraces<Row>);
static_assert(kTwoImages<Row> && kThreeTemporaries<Row> && kTensor<Row> && kMat<Row> &&
              kTypedMat<Row>);
// A list mixing an Image and a Mat is not guessed at: make the Mat an Image.
static_assert(!kImageAndMat<Row>);

template <class R>
constexpr bool kOptionsOnly = requires(at::Tensor b) {
  R::from_tensors(b, b, {.format = BoxFormat::kXYWH, .class_labels = wandb::ClassLabels{{1, "a"}}});
};
template <class R>
constexpr bool kScoresAndOptions = requires(at::Tensor b) {
  R::from_tensors(b, b, b, {.domain = BoxDomain::kFraction, .score_name = "conf"});
};
template <class R>
constexpr bool kPositional = requires(at::Tensor b) {
  R::from_tensors(b, b, BoxFormat::kXYWH, BoxDomain::kPixel, &b, "conf", wandb::ClassLabels{});
};
template <class R>
constexpr bool kTwoTensors = requires(at::Tensor b) { R::from_tensors(b, b); };
template <class R>
constexpr bool kEmptyOptions = requires(at::Tensor b) { R::from_tensors(b, b, {}); };
static_assert(kOptionsOnly<BoundingBoxes2D> && kScoresAndOptions<BoundingBoxes2D> &&
              kPositional<BoundingBoxes2D> && kTwoTensors<BoundingBoxes2D> &&
              kEmptyOptions<BoundingBoxes2D>);

const Value& value_of(const Row& row) { return *row.find("k"); }

at::Tensor ramp(std::vector<int64_t> shape, uint64_t seed = 1) {
  at::manual_seed(seed);
  return at::rand(shape, at::kFloat);
}

std::vector<uint8_t> pixel_bytes(const Image& image) {
  const at::Tensor px = image.pixels();
  const uint8_t* p = px.data_ptr<uint8_t>();
  return std::vector<uint8_t>(p, p + px.numel());
}

// ---- Value: calls that compiled before keep their meaning -----------------------

TEST(CallsValueMeaning, CallsThatCompiledBeforeAreUnchanged) {
  const Image a(ramp({3, 2, 2}, 1));
  const Image b(ramp({3, 2, 2}, 2));
  const std::vector<Image> both{a, b};
  // The kinds and values below were recorded with the headers before the new
  // constructors were added.
  EXPECT_EQ(value_of(Row{{"k", 1}}).json(), 1);
  EXPECT_EQ(value_of(Row{{"k", {1}}}).json(), 1);
  EXPECT_EQ(value_of(Row{{"k", {0}}}).json(), 0);
  EXPECT_EQ(value_of(Row{{"k", {true}}}).json(), true);
  EXPECT_EQ(value_of(Row{{"k", {"s"}}}).json(), "s");
  EXPECT_EQ(value_of(Row{{"k", {{"s"}}}}).json(), "s");
  EXPECT_TRUE(value_of(Row{{"k", {nullptr}}}).json().is_null());
  EXPECT_TRUE(value_of(Row{{"k", {}}}).json().is_null());
  EXPECT_EQ(value_of(Row{{"k", {Json{{"x", 1}}}}}).json(), Json({{"x", 1}}));
  EXPECT_EQ(value_of(Row{{"k", Json{{"x", 1}}}}).json(), Json({{"x", 1}}));
  EXPECT_EQ(value_of(Row{{"k", Json::array()}}).json(), Json::array());
  EXPECT_EQ(value_of(Row{{"k", {Value(3)}}}).json(), 3);
  EXPECT_EQ(value_of(Row{{"k", Row{{"b", 1}}}}).kind(), Kind::kRow);
  EXPECT_EQ(value_of(Row{{"k", {Row{{"b", 1}}}}}).kind(), Kind::kRow);
  for (const Value& v : {value_of(Row{{"k", a}}), value_of(Row{{"k", {a}}}),
                         value_of(Row{{"k", {{a}}}})}) {
    EXPECT_EQ(v.kind(), Kind::kImage);
    ASSERT_EQ(v.images().size(), 1u);
    EXPECT_EQ(v.images()[0], a);
  }
  for (const Value& v : {value_of(Row{{"k", both}}), value_of(Row{{"k", {both}}}),
                         value_of(Row{{"k", {{a, b}}}})}) {
    EXPECT_EQ(v.kind(), Kind::kImages);
    ASSERT_EQ(v.images().size(), 2u);
    EXPECT_EQ(v.images()[0], a);
    EXPECT_EQ(v.images()[1], b);
  }
}

// ---- Value: a brace list of images ------------------------------------------------

TEST(CallsValueImages, BraceListIsAListInOrder) {
  const Image a(ramp({3, 2, 2}, 1), {.caption = "a"});
  const Image b(ramp({1, 2, 2}, 2), {.caption = "b"});
  const Row row{{"k", {a, b}}};
  EXPECT_EQ(value_of(row).kind(), Kind::kImages);
  ASSERT_EQ(value_of(row).images().size(), 2u);
  EXPECT_EQ(value_of(row).images()[0].caption(), "a");
  EXPECT_EQ(value_of(row).images()[1].caption(), "b");

  const Value three{Image(ramp({2, 2}, 3)), a, Image(ramp({2, 2}, 4))};
  EXPECT_EQ(three.kind(), Kind::kImages);
  ASSERT_EQ(three.images().size(), 3u);
  EXPECT_EQ(three.images()[1], a);
  EXPECT_EQ(three.images()[2], Image(ramp({2, 2}, 4)));
}

// ---- Value: a one-element tensor ---------------------------------------------------

TEST(CallsValueTensor, NumberOfEachDtypeFamily) {
  const Value f = at::scalar_tensor(0.25, at::kFloat);
  EXPECT_EQ(f.kind(), Kind::kJson);
  EXPECT_TRUE(f.json().is_number_float());
  EXPECT_EQ(f.json().get<double>(), 0.25);

  // float32 0.1 is logged as the double it is, as Python's float(t) does.
  const Value tenth = at::scalar_tensor(0.1, at::kFloat);
  EXPECT_EQ(tenth.json().get<double>(), static_cast<double>(0.1f));

  const Value d = at::full({1, 1}, -1.5, at::kDouble);
  EXPECT_EQ(d.json().get<double>(), -1.5);
  EXPECT_EQ(Value(at::scalar_tensor(0.5, at::kHalf)).json().get<double>(), 0.5);
  EXPECT_EQ(Value(at::scalar_tensor(2.0, at::kBFloat16)).json().get<double>(), 2.0);

  const int64_t big = (int64_t{1} << 53) + 1;  // not exact as a double
  const Value i = at::full({1}, big, at::kLong);
  EXPECT_TRUE(i.json().is_number_integer());
  EXPECT_EQ(i.json().get<int64_t>(), big);
  const Value u8 = at::full({1, 1, 1}, 255, at::kByte);
  EXPECT_TRUE(u8.json().is_number_integer());
  EXPECT_EQ(u8.json().get<int64_t>(), 255);
  EXPECT_EQ(Value(at::scalar_tensor(-7, at::kChar)).json().get<int64_t>(), -7);
  EXPECT_EQ(Value(at::scalar_tensor(-7, at::kShort)).json().get<int64_t>(), -7);
  EXPECT_EQ(Value(at::scalar_tensor(-7, at::kInt)).json().get<int64_t>(), -7);

  const Value flag = at::scalar_tensor(true, at::kBool);
  EXPECT_TRUE(flag.json().is_boolean());
  EXPECT_EQ(flag.json(), true);

  const Value nan = at::scalar_tensor(std::nan(""), at::kDouble);
  EXPECT_TRUE(std::isnan(nan.json().get<double>()));
}

TEST(CallsValueTensor, GradViewsAndDevices) {
  // A loss that requires grad, and an element picked out of a larger tensor
  // (a view with an offset).
  at::Tensor w = at::full({2, 2}, 3.0);
  w.set_requires_grad(true);
  const at::Tensor loss = (w * w).sum();
  ASSERT_TRUE(loss.requires_grad());
  EXPECT_EQ(Value(loss).json().get<double>(), 36.0);
  const at::Tensor m = at::arange(12, at::kLong).reshape({3, 4});
  EXPECT_EQ(Value(m[2][3]).json().get<int64_t>(), 11);
  EXPECT_EQ(Value(m.t()[3][2]).json().get<int64_t>(), 11);
  EXPECT_EQ(Value(m[1][1].to_sparse()).json().get<int64_t>(), 5);
  if (at::hasCUDA()) {
    EXPECT_EQ(Value(at::scalar_tensor(4.5).cuda()).json().get<double>(), 4.5);
  }
}

TEST(CallsValueTensor, InRowsAndSummaries) {
  const at::Tensor loss = at::scalar_tensor(0.75, at::kDouble);
  const Row row{{"loss", loss}, {"step_ok", at::scalar_tensor(true, at::kBool)}, {"n", 2}};
  EXPECT_EQ(row.find("loss")->json(), 0.75);
  EXPECT_EQ(row.find("step_ok")->json(), true);
  EXPECT_EQ(row.find("n")->json(), 2);
}

TEST(CallsValueTensor, BadTensorsAreTypeErrorsThatPointToImages) {
  EXPECT_THROW_MSG(Value(at::Tensor()), wandb::TypeError,
                   "value: expected a tensor of one element, got an undefined tensor");
  EXPECT_THROW_MSG(Value(at::zeros({3, 8, 8})), wandb::TypeError,
                   "expected a tensor of one element (a number such as a loss), got 192 "
                   "elements [3, 8, 8]");
  EXPECT_THROW_MSG(Value(at::zeros({3, 8, 8})), wandb::TypeError, "wandb::Image(tensor)");
  EXPECT_THROW_MSG(Value(at::zeros({3, 8, 8})), wandb::TypeError, "wandb::images_from_batch");
  EXPECT_THROW_MSG(Value(at::zeros({0})), wandb::TypeError, "got 0 elements [0]");
  EXPECT_THROW_MSG(Value(at::zeros({2})), wandb::TypeError, "got 2 elements [2]");
  EXPECT_THROW_MSG(Value(at::zeros({1}, at::kComplexFloat)), wandb::TypeError,
                   "value tensor dtype: expected bool, an integer or a floating-point dtype, got "
                   "ComplexFloat");
  EXPECT_THROW(Value(at::zeros({1}, at::TensorOptions().device(at::kMeta))), wandb::Error);
  EXPECT_THROW_MSG((Row{{"imgs", at::zeros({2, 3, 4, 4})}}), wandb::TypeError, "elements");
}

// ---- Value: a Mat ---------------------------------------------------------------------

TEST(CallsValueMat, IsTheImageOfTheMat) {
  cv::Mat bgr(4, 5, CV_8UC3);
  cv::randu(bgr, 0, 256);
  const Value v = bgr;
  EXPECT_EQ(v.kind(), Kind::kImage);
  ASSERT_EQ(v.images().size(), 1u);
  EXPECT_EQ(v.images()[0], Image(bgr));
  EXPECT_EQ(pixel_bytes(v.images()[0]), pixel_bytes(Image(bgr)));

  cv::Mat_<float> grey(3, 2, 0.5f);
  const Row row{{"img", grey}};
  EXPECT_EQ(row.find("img")->kind(), Kind::kImage);
  EXPECT_EQ(row.find("img")->images()[0].mode(), "L");

  EXPECT_THROW_MSG(Value(cv::Mat()), wandb::ValueError, "expected a non-empty Mat");
}

// ---- the H x W x C layout --------------------------------------------------------------

TEST(CallsLayout, HwcTensorIsReadAsTheSameImageAsItsChwTranspose) {
  for (const int64_t c : {1, 3, 4}) {
    const at::Tensor hwc = ramp({5, 7, c}, static_cast<uint64_t>(c));
    const Image from_hwc(hwc, {.layout = Layout::kHWC});
    const Image from_chw(hwc.permute({2, 0, 1}).contiguous());
    EXPECT_EQ(from_hwc.width(), 7);
    EXPECT_EQ(from_hwc.height(), 5);
    EXPECT_EQ(from_hwc.mode(), from_chw.mode());
    EXPECT_EQ(pixel_bytes(from_hwc), pixel_bytes(from_chw)) << "C = " << c;
    EXPECT_EQ(from_hwc.sha256(), from_chw.sha256());
  }
  // Two channels need mode LA, as for C x H x W.
  const at::Tensor la = ramp({3, 4, 2});
  EXPECT_EQ(pixel_bytes(Image(la, {.mode = "LA", .layout = Layout::kHWC})),
            pixel_bytes(Image(la.permute({2, 0, 1}).contiguous(), {.mode = "LA"})));
  EXPECT_THROW_MSG(Image(la, {.layout = Layout::kHWC}), wandb::ValueError, "Un-supported shape");
  // Integer data and a non-contiguous H x W x C view (every other row).
  const at::Tensor ints = at::randint(0, 256, {8, 3, 3}, at::kInt).slice(0, 0, 8, 2);
  EXPECT_EQ(pixel_bytes(Image(ints, {.layout = Layout::kHWC})),
            pixel_bytes(Image(ints.permute({2, 0, 1}).contiguous())));
}

TEST(CallsLayout, HwcMatchesTheDevicePath) {
  const at::Tensor hwc = ramp({6, 5, 3}) * 2 - 1;  // the [-1, 1] branch
  const Image image(hwc, {.layout = Layout::kHWC});
  const at::Tensor ops = wandb::detail::tensor_to_uint8_ops(hwc.permute({2, 0, 1}), true, nullptr);
  EXPECT_TRUE(at::equal(image.pixels(), ops));
}

TEST(CallsLayout, ExplicitChwAndTheDefaultAgree) {
  const at::Tensor chw = ramp({3, 6, 4});
  EXPECT_EQ(pixel_bytes(Image(chw, {.layout = Layout::kCHW})), pixel_bytes(Image(chw)));
  const at::Tensor hw = ramp({6, 4});
  EXPECT_EQ(pixel_bytes(Image(hw, {.layout = Layout::kAuto})), pixel_bytes(Image(hw)));
}

TEST(CallsLayout, LayoutThatDoesNotFitTheShapeIsAValueError) {
  EXPECT_THROW_MSG(Image(at::zeros({3, 8, 8}), {.layout = Layout::kHWC}), wandb::ValueError,
                   "image tensor with Layout::kHWC: expected H x W x C with C from 1 to 4, got "
                   "[3, 8, 8]");
  EXPECT_THROW_MSG(Image(at::zeros({8, 8, 3}), {.layout = Layout::kCHW}), wandb::ValueError,
                   "image tensor with Layout::kCHW: expected C x H x W with C from 1 to 4, got "
                   "[8, 8, 3]");
  EXPECT_THROW_MSG(Image(at::zeros({8, 8}), {.layout = Layout::kHWC}), wandb::ValueError,
                   "got 2 dimensions [8, 8]");
  EXPECT_THROW_MSG(Image(at::zeros({8, 8}), {.layout = Layout::kCHW}), wandb::ValueError,
                   "got 2 dimensions [8, 8]");
  EXPECT_THROW_MSG(Image(at::zeros({8, 8, 0}), {.layout = Layout::kHWC}), wandb::ValueError,
                   "got [8, 8, 0]");
  EXPECT_THROW_MSG(Image(at::zeros({1, 8, 8, 3}), {.layout = Layout::kHWC}), wandb::ValueError,
                   "image tensor with Layout::kHWC: expected H x W x C with C from 1 to 4, got 4 "
                   "dimensions [1, 8, 8, 3]");
  EXPECT_THROW_MSG(Image(at::zeros({2, 3, 8, 8})), wandb::ValueError,
                   "expected C x H x W or H x W, got 4 dimensions [2, 3, 8, 8] (a batch of "
                   "images: use wandb::images_from_batch)");
  EXPECT_THROW_MSG(Image(at::Tensor(), {.layout = Layout::kHWC}), wandb::ValueError,
                   "expected a defined tensor");
  // The default keeps its message and adds where to look.
  EXPECT_THROW_MSG(Image(at::zeros({8, 8, 3})), wandb::ValueError,
                   "Un-supported shape for image conversion [8, 8, 3]");
  EXPECT_THROW_MSG(Image(at::zeros({8, 8, 3})), wandb::ValueError,
                   "(an H x W x C tensor needs ImageOptions::layout = wandb::Layout::kHWC)");
  EXPECT_FALSE(wandb::test::throws_with<wandb::ValueError>([] { Image(at::zeros({5, 4, 7})); },
                                                           "Layout::kHWC"));
}

TEST(CallsLayout, MatsAreHwcAndOtherSourcesIgnoreIt) {
  cv::Mat bgr(3, 4, CV_8UC3, cv::Scalar(10, 20, 30));
  EXPECT_EQ(pixel_bytes(Image(bgr, {.layout = Layout::kHWC})), pixel_bytes(Image(bgr)));
  EXPECT_THROW_MSG(Image(bgr, {.layout = Layout::kCHW}), wandb::ValueError,
                   "image Mat layout: expected Layout::kAuto or Layout::kHWC (a Mat is H x W x C), "
                   "got Layout::kCHW");
  const Image source(bgr);
  const Image copy(source, {.layout = Layout::kCHW});
  EXPECT_EQ(pixel_bytes(copy), pixel_bytes(source));
  const Image decoded = Image::from_encoded(source.encoded(), "png", {.layout = Layout::kCHW});
  EXPECT_EQ(pixel_bytes(decoded), pixel_bytes(source));
}

// The SDK's golden numpy arrays are H x W x C in R G B order: as tensors with
// Layout::kHWC they must give the SDK's pixels bit for bit (the dtypes LibTorch
// has; uint16 has no tensor dtype here).
TEST(GoldenPixelsHwcTensor, NumpyCasesAsHwcTensorsMatchSdk) {
  const nlohmann::json cases = wandb::test::load_json("pixels.json")["cases"];
  int checked = 0;
  for (const auto& c : cases) {
    const auto& input = c["input"];
    const std::string dtype = input["dtype"];
    if (input["source"] != "numpy" || input["shape"].size() != 3 || dtype == "uint16") continue;
    SCOPED_TRACE(c["id"].get<std::string>());
    const at::Tensor t = wandb::test::make_tensor(input["data"].get<std::vector<double>>(),
                                                  input["shape"].get<std::vector<int64_t>>(),
                                                  wandb::test::torch_dtype(dtype));
    wandb::ImageOptions o{.layout = Layout::kHWC};
    const auto& args = c["args"];
    if (!args["mode"].is_null()) o.mode = args["mode"].get<std::string>();
    if (args.contains("file_type") && !args["file_type"].is_null()) {
      o.file_type = args["file_type"].get<std::string>();
    }
    o.normalize = args.value("normalize", true);
    const auto& expect = c["expect"];
    ++checked;
    if (expect.contains("error")) {
      EXPECT_THROW(Image(t, o), wandb::Error);
      continue;
    }
    const Image image(t, o);
    EXPECT_EQ(image.mode(), expect["mode"].get<std::string>());
    EXPECT_EQ(image.width(), expect["width"].get<int>());
    EXPECT_EQ(image.height(), expect["height"].get<int>());
    if (expect.contains("pixels")) {
      const std::vector<int> want = expect["pixels"].get<std::vector<int>>();
      EXPECT_EQ(pixel_bytes(image), std::vector<uint8_t>(want.begin(), want.end()));
    }
  }
  EXPECT_GE(checked, 20);
}

// ---- images_from_batch -------------------------------------------------------------------

TEST(CallsBatch, EachImageIsImageOfItsSlice) {
  const at::Tensor batch = ramp({3, 3, 5, 4}) * 4 - 2;  // out of range: each image clips alone
  const std::vector<Image> images = wandb::images_from_batch(batch);
  ASSERT_EQ(images.size(), 3u);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(pixel_bytes(images[static_cast<size_t>(i)]), pixel_bytes(Image(batch[i])));
    EXPECT_EQ(images[static_cast<size_t>(i)].width(), 4);
    EXPECT_EQ(images[static_cast<size_t>(i)].height(), 5);
    EXPECT_FALSE(images[static_cast<size_t>(i)].caption().has_value());
  }
  // Normalised one by one: an image in [0, 1] is scaled even when another
  // image of the batch is not.
  at::Tensor mixed = at::zeros({2, 1, 2, 2});
  mixed[0].fill_(1.0);
  mixed[1].fill_(200.0);
  const std::vector<Image> two = wandb::images_from_batch(mixed);
  EXPECT_EQ(two[0].pixels()[0][0][0].item<int>(), 255);
  EXPECT_EQ(two[1].pixels()[0][0][0].item<int>(), 200);
}

TEST(CallsBatch, NhwcGivesTheSameImagesAsNchw) {
  const at::Tensor nchw = ramp({2, 4, 3, 6});
  const at::Tensor nhwc = nchw.permute({0, 2, 3, 1}).contiguous();
  const auto a = wandb::images_from_batch(nchw);
  const auto b = wandb::images_from_batch(nhwc, {.layout = BatchLayout::kNHWC});
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(b[i].mode(), "RGBA");
    EXPECT_EQ(pixel_bytes(a[i]), pixel_bytes(b[i]));
  }
  // A strided batch (every other image) on the NHWC path too.
  const auto every_other = wandb::images_from_batch(nhwc.repeat({2, 1, 1, 1}).slice(0, 0, 4, 2),
                                                    {.layout = BatchLayout::kNHWC});
  EXPECT_EQ(pixel_bytes(every_other[1]), pixel_bytes(a[0]));
}

TEST(CallsBatch, CaptionsAndOptionsReachEveryImage) {
  const at::Tensor batch = ramp({2, 3, 4, 4});
  const auto named = wandb::images_from_batch(
      batch, {.captions = {"cat", "dog"},
              .image = {.caption = "ignored", .grouping = 2, .file_type = "jpg"}});
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].caption(), "cat");
  EXPECT_EQ(named[1].caption(), "dog");
  for (const Image& image : named) {
    EXPECT_EQ(image.grouping(), 2);
    EXPECT_EQ(image.format(), "jpg");
  }
  const auto shared = wandb::images_from_batch(batch, {.image = {.mode = "L", .caption = "same"}});
  for (const Image& image : shared) {
    EXPECT_EQ(image.caption(), "same");
    EXPECT_EQ(image.mode(), "L");
  }
  // A matching per-image layout is accepted.
  EXPECT_EQ(wandb::images_from_batch(batch, {.image = {.layout = Layout::kCHW}}).size(), 2u);
  // And the list logs as one value.
  const Row row{{"samples", wandb::images_from_batch(batch)}};
  EXPECT_EQ(row.find("samples")->kind(), Kind::kImages);
}

TEST(CallsBatch, BadBatchesAreValueErrorsNamingExpectedAndGot) {
  using wandb::images_from_batch;
  EXPECT_THROW_MSG(images_from_batch(at::zeros({3, 8, 8})), wandb::ValueError,
                   "image batch: expected a 4-D N x C x H x W tensor, got 3 dimensions [3, 8, 8] "
                   "(one image: use wandb::Image)");
  EXPECT_THROW_MSG(images_from_batch(at::zeros({8, 8, 3}), {.layout = BatchLayout::kNHWC}),
                   wandb::ValueError, "expected a 4-D N x H x W x C tensor, got 3 dimensions");
  EXPECT_THROW_MSG(images_from_batch(at::zeros({1, 2, 3, 8, 8})), wandb::ValueError,
                   "got 5 dimensions [1, 2, 3, 8, 8]");
  EXPECT_FALSE(wandb::test::throws_with<wandb::ValueError>(
      [] { images_from_batch(at::zeros({2, 2})); }, "wandb::Image"));
  EXPECT_THROW_MSG(images_from_batch(at::Tensor()), wandb::ValueError, "got an undefined tensor");
  EXPECT_THROW_MSG(images_from_batch(at::zeros({0, 3, 8, 8})), wandb::ValueError,
                   "image batch: expected at least one image, got [0, 3, 8, 8]");
  EXPECT_THROW_MSG(images_from_batch(at::zeros({3, 3, 8, 8}), {.captions = {"a", "b"}}),
                   wandb::ValueError, "captions: expected 3 (one per image of the batch), got 2");
  EXPECT_THROW_MSG(images_from_batch(at::zeros({2, 3, 8, 8}), {.image = {.layout = Layout::kHWC}}),
                   wandb::ValueError,
                   "image.layout: expected Layout::kAuto or Layout::kCHW (the batch is "
                   "N x C x H x W), got Layout::kHWC");
  EXPECT_THROW_MSG(images_from_batch(at::zeros({2, 3, 8, 8}), {.layout = BatchLayout::kNHWC}),
                   wandb::ValueError,
                   "image batch: expected N x H x W x C with C from 1 to 4, got [2, 3, 8, 8]");
  EXPECT_THROW_MSG(images_from_batch(at::zeros({2, 8, 8, 3})), wandb::ValueError,
                   "image batch: expected N x C x H x W with C from 1 to 4, got [2, 8, 8, 3] (an "
                   "N x H x W x C batch needs BatchOptions::layout = wandb::BatchLayout::kNHWC)");
  EXPECT_FALSE(wandb::test::throws_with<wandb::ValueError>(
      [] { images_from_batch(at::zeros({2, 8, 8, 8})); }, "kNHWC"));
  EXPECT_THROW_MSG(images_from_batch(at::zeros({2, 2, 8, 8})), wandb::ValueError,
                   "Un-supported shape");
  EXPECT_THROW_MSG(images_from_batch(at::zeros({2, 3, 8, 8}, at::kComplexFloat)),
                   wandb::TypeError, "image tensor dtype");
}

// ---- from_tensors with options ------------------------------------------------------------

TEST(CallsBoxes, OptionsGiveWhatThePositionalFormGave) {
  const at::Tensor rows = at::tensor({10.0, 20.0, 30.0, 40.0, 1.0, 2.0, 3.0, 4.0}).reshape({2, 4});
  const at::Tensor ids = at::tensor({1, 2}, at::kLong);
  const at::Tensor scores = at::tensor({0.5, 0.25});
  const wandb::ClassLabels labels{{1, "car"}, {2, "dog"}};
  const at::Tensor undefined;

  EXPECT_EQ(BoundingBoxes2D::from_tensors(rows, ids, wandb::BoxTensorOptions{}).json(),
            BoundingBoxes2D::from_tensors(rows, ids).json());
  EXPECT_EQ(BoundingBoxes2D::from_tensors(rows, ids, {.format = BoxFormat::kXYWH}).json(),
            BoundingBoxes2D::from_tensors(rows, ids, BoxFormat::kXYWH).json());

  const BoundingBoxes2D with_scores = BoundingBoxes2D::from_tensors(
      rows, ids, scores,
      {.format = BoxFormat::kCXCYWH, .domain = BoxDomain::kFraction, .score_name = "conf",
       .class_labels = labels});
  const BoundingBoxes2D positional = BoundingBoxes2D::from_tensors(
      rows, ids, BoxFormat::kCXCYWH, BoxDomain::kFraction, &scores, "conf", labels);
  EXPECT_EQ(with_scores.file_content(), positional.file_content());
  EXPECT_TRUE(with_scores.has_explicit_labels());
  EXPECT_EQ(with_scores.json().at("box_data").at(1).at("scores"), Json({{"conf", 0.25}}));
  EXPECT_FALSE(with_scores.json().at("box_data").at(0).contains("domain"));  // fractions

  const BoundingBoxes2D defaults = BoundingBoxes2D::from_tensors(rows, ids, scores);
  EXPECT_EQ(defaults.json().at("box_data").at(0).at("scores"), Json({{"score", 0.5}}));
  EXPECT_EQ(defaults.json().at("box_data").at(0).at("domain"), "pixel");
  EXPECT_FALSE(defaults.has_explicit_labels());

  EXPECT_THROW_MSG(BoundingBoxes2D::from_tensors(rows, ids, at::zeros({3})), wandb::ValueError,
                   "scores: expected a 1-D tensor of 2 scores, got [3]");
  EXPECT_THROW_MSG(BoundingBoxes2D::from_tensors(rows, ids, undefined, {}), wandb::ValueError,
                   "scores: expected a 1-D tensor of 2 scores, got an undefined tensor");
  EXPECT_THROW_MSG(BoundingBoxes2D::from_tensors(rows, at::tensor({1.0, 2.0}), {}),
                   wandb::TypeError, "expected an integer tensor, got Double");
}

}  // namespace
