// Rendering of boxes, masks and captions, grid previews, and the tensor mask
// factories. Geometry is probed on NON-SQUARE images (60 high x 100 wide) exactly on
// and one pixel off each outline, so that an off-by-one or an x/y swap fails.
#include "wandb/render.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "detail/render_layout.h"
#include "wandb/errors.h"
#include "wandb/image.h"
#include "wandb/warnings.h"

namespace {

using wandb::BoundingBoxes2D;
using wandb::Box;
using wandb::BoxCenter;
using wandb::BoxCorners;
using wandb::BoxDomain;
using wandb::ClassLabels;
using wandb::Image;
using wandb::ImageMask;
using wandb::ImageOptions;
using wandb::RenderOptions;

constexpr int kH = 60;
constexpr int kW = 100;

// Palette entries written out by hand from the table in render.h (B, G, R).
const cv::Vec3b kClass0(0x4b, 0x19, 0xe6);  // e6194b
const cv::Vec3b kClass1(0x4b, 0xb4, 0x3c);  // 3cb44b
const cv::Vec3b kClass2(0x19, 0xe1, 0xff);  // ffe119
const cv::Vec3b kBlackPx(0, 0, 0);

// Image options with normalize off, so that Mat values reach the pixels as given.
ImageOptions raw_options() {
  ImageOptions o;
  o.normalize = false;
  return o;
}

cv::Mat solid(int rows, int cols, cv::Scalar bgr) { return cv::Mat(rows, cols, CV_8UC3, bgr); }

Image blank_with_boxes(const std::vector<Box>& boxes) {
  ImageOptions o = raw_options();
  o.boxes = {{"boxes", BoundingBoxes2D(boxes)}};
  return Image(solid(kH, kW, cv::Scalar(0, 0, 0)), o);
}

// Outline geometry only: no label blocks to trip over.
RenderOptions outline_only(int line_width = 1) {
  RenderOptions r;
  r.line_width = line_width;
  r.draw_captions = false;
  r.draw_scores = false;
  return r;
}

Box pixel_box(BoxCorners c, int64_t class_id = 1) {
  Box b;
  b.position = c;
  b.domain = BoxDomain::kPixel;
  b.class_id = class_id;
  return b;
}

Box fraction_box(BoxCorners c, int64_t class_id = 1) {
  Box b;
  b.position = c;
  b.class_id = class_id;
  return b;
}

cv::Vec3b px(const cv::Mat& m, int y, int x) { return m.at<cv::Vec3b>(y, x); }

int count_non_black(const cv::Mat& m) {
  cv::Mat channels[3];
  cv::split(m, channels);
  return cv::countNonZero(channels[0] | channels[1] | channels[2]);
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

// floor(p * (1 - a) + c * a + 0.5), the blend documented for RenderOptions::mask_alpha.
cv::Vec3b blend(cv::Vec3b p, cv::Vec3b c, double a) {
  cv::Vec3b out;
  for (int i = 0; i < 3; ++i) {
    out[i] = static_cast<uint8_t>(std::floor(p[i] * (1 - a) + c[i] * a + 0.5));
  }
  return out;
}

template <class F>
void expect_throw_message(F&& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "expected an exception containing: " << fragment;
  } catch (const wandb::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

// The mask-size warning of Image is expected in the size-mismatch test; keep the
// test output quiet and restore the default sink afterwards.
struct QuietWarnings {
  QuietWarnings() {
    wandb::set_warning_handler([](const std::string&) {});
  }
  ~QuietWarnings() { wandb::set_warning_handler({}); }
};

// ---- Geometry ---------------------------------------------------------------------

TEST(Render, PixelCornersCoverMinToMaxExclusive) {
  // Columns 10..19, rows 5..14.
  const cv::Mat out = wandb::render(blank_with_boxes({pixel_box({10, 5, 20, 15})}), outline_only());
  ASSERT_EQ(out.type(), CV_8UC3);
  ASSERT_EQ(out.rows, kH);
  ASSERT_EQ(out.cols, kW);
  for (auto [y, x] :
       {std::pair{5, 10}, {5, 19}, {14, 10}, {14, 19}, {10, 10}, {10, 19}, {5, 15}, {14, 15}}) {
    EXPECT_EQ(px(out, y, x), kClass1) << "on the outline at y=" << y << " x=" << x;
  }
  for (auto [y, x] : {std::pair{10, 9}, {10, 20}, {4, 15}, {15, 15}, {4, 9}, {15, 20}}) {
    EXPECT_EQ(px(out, y, x), kBlackPx) << "outside at y=" << y << " x=" << x;
  }
  for (auto [y, x] : {std::pair{10, 11}, {10, 18}, {6, 15}, {13, 15}}) {
    EXPECT_EQ(px(out, y, x), kBlackPx) << "inside at y=" << y << " x=" << x;
  }
  EXPECT_EQ(count_non_black(out), 2 * 10 + 2 * 10 - 4);
}

TEST(Render, PixelCenterFormMatchesCorners) {
  Box centre = pixel_box({});
  centre.position = BoxCenter{15, 10, 10, 10};
  const cv::Mat a = wandb::render(blank_with_boxes({centre}), outline_only());
  const cv::Mat b = wandb::render(blank_with_boxes({pixel_box({10, 5, 20, 15})}), outline_only());
  EXPECT_TRUE(same(a, b));
}

TEST(Render, FractionXScalesByWidthAndYByHeight) {
  // 0.1..0.5 of 100 columns = columns 10..49; of 60 rows = rows 6..29.
  const cv::Mat out =
      wandb::render(blank_with_boxes({fraction_box({0.1, 0.1, 0.5, 0.5})}), outline_only());
  for (auto [y, x] : {std::pair{6, 10}, {29, 49}, {15, 10}, {15, 49}, {6, 30}, {29, 30}}) {
    EXPECT_EQ(px(out, y, x), kClass1) << "on the outline at y=" << y << " x=" << x;
  }
  for (auto [y, x] :
       {std::pair{15, 9}, {15, 50}, {5, 30}, {30, 30}, {15, 11}, {15, 48}, {7, 30}, {28, 30}}) {
    EXPECT_EQ(px(out, y, x), kBlackPx) << "off the outline at y=" << y << " x=" << x;
  }
  EXPECT_EQ(count_non_black(out), 2 * 40 + 2 * 24 - 4);

  Box centre = fraction_box({});
  centre.position = BoxCenter{0.3, 0.3, 0.4, 0.4};
  EXPECT_TRUE(same(wandb::render(blank_with_boxes({centre}), outline_only()), out));
}

TEST(Render, FractionBoxOfWholeImageOutlinesTheBorder) {
  const cv::Mat out = wandb::render(blank_with_boxes({fraction_box({0, 0, 1, 1})}), outline_only());
  for (auto [y, x] : {std::pair{30, 0}, {30, 99}, {0, 50}, {59, 50}, {0, 0}, {59, 99}}) {
    EXPECT_EQ(px(out, y, x), kClass1) << "y=" << y << " x=" << x;
  }
  for (auto [y, x] : {std::pair{30, 1}, {30, 98}, {1, 50}, {58, 50}}) {
    EXPECT_EQ(px(out, y, x), kBlackPx) << "y=" << y << " x=" << x;
  }
}

TEST(Render, EdgesRoundHalfUp) {
  // 10.5 -> 11, 20.49 -> 20 (last column 19), 4.5 -> 5, 15.5 -> 16 (last row 15).
  const cv::Mat out =
      wandb::render(blank_with_boxes({pixel_box({10.5, 4.5, 20.49, 15.5})}), outline_only());
  EXPECT_EQ(px(out, 10, 11), kClass1);
  EXPECT_EQ(px(out, 10, 10), kBlackPx);
  EXPECT_EQ(px(out, 10, 19), kClass1);
  EXPECT_EQ(px(out, 10, 20), kBlackPx);
  EXPECT_EQ(px(out, 5, 15), kClass1);
  EXPECT_EQ(px(out, 4, 15), kBlackPx);
  EXPECT_EQ(px(out, 15, 15), kClass1);
  EXPECT_EQ(px(out, 16, 15), kBlackPx);
}

TEST(Render, LineWidthGrowsInwards) {
  // Columns 10..29, rows 5..24, three pixels thick.
  const cv::Mat out =
      wandb::render(blank_with_boxes({pixel_box({10, 5, 30, 25})}), outline_only(3));
  EXPECT_EQ(px(out, 15, 10), kClass1);
  EXPECT_EQ(px(out, 15, 12), kClass1);
  EXPECT_EQ(px(out, 15, 13), kBlackPx);
  EXPECT_EQ(px(out, 15, 9), kBlackPx);
  EXPECT_EQ(px(out, 15, 27), kClass1);
  EXPECT_EQ(px(out, 15, 29), kClass1);
  EXPECT_EQ(px(out, 15, 26), kBlackPx);
  EXPECT_EQ(px(out, 15, 30), kBlackPx);
  EXPECT_EQ(px(out, 7, 20), kClass1);
  EXPECT_EQ(px(out, 8, 20), kBlackPx);
  EXPECT_EQ(px(out, 4, 20), kBlackPx);
  EXPECT_EQ(px(out, 22, 20), kClass1);
  EXPECT_EQ(px(out, 21, 20), kBlackPx);
  EXPECT_EQ(px(out, 25, 20), kBlackPx);
  EXPECT_EQ(count_non_black(out), 20 * 20 - 14 * 14);
}

TEST(Render, ClipsOutsideAndDrawsDegenerateBoxes) {
  // Partly outside: columns -10..19, rows -10..19; only the right and bottom edges show.
  cv::Mat out = wandb::render(blank_with_boxes({pixel_box({-10, -10, 20, 20})}), outline_only());
  EXPECT_EQ(px(out, 5, 19), kClass1);
  EXPECT_EQ(px(out, 19, 5), kClass1);
  EXPECT_EQ(px(out, 5, 0), kBlackPx);
  EXPECT_EQ(px(out, 0, 5), kBlackPx);
  EXPECT_EQ(count_non_black(out), 20 + 20 - 1);

  // Wholly outside, far outside, and inverted boxes.
  const std::vector<Box> boxes = {pixel_box({200, 200, 300, 300}), pixel_box({-50, -50, -40, -40}),
                                  fraction_box({5, 5, 9, 9})};
  RenderOptions with_labels;
  with_labels.line_width = 1;
  EXPECT_EQ(count_non_black(wandb::render(blank_with_boxes(boxes), with_labels)), 0);
  // A huge box covers the image: its outline is outside, its label at the top left.
  const Image huge = blank_with_boxes({pixel_box({-1e12, -1e300, 1e12, 1e300})});
  EXPECT_EQ(count_non_black(wandb::render(huge, outline_only())), 0);
  EXPECT_EQ(px(wandb::render(huge, with_labels), 0, 0), kClass1);

  // Zero area: a single pixel.
  out = wandb::render(blank_with_boxes({pixel_box({40, 30, 40, 30})}), outline_only());
  EXPECT_EQ(px(out, 30, 40), kClass1);
  EXPECT_EQ(count_non_black(out), 1);
  // Zero width: a one-column line over rows 5..14.
  out = wandb::render(blank_with_boxes({pixel_box({40, 5, 40, 15})}), outline_only(2));
  EXPECT_EQ(px(out, 5, 40), kClass1);
  EXPECT_EQ(px(out, 14, 40), kClass1);
  EXPECT_EQ(count_non_black(out), 10);
  // Corners in the wrong order are swapped.
  EXPECT_TRUE(same(wandb::render(blank_with_boxes({pixel_box({20, 15, 10, 5})}), outline_only()),
                   wandb::render(blank_with_boxes({pixel_box({10, 5, 20, 15})}), outline_only())));
  // Labels of boxes at the edges and corners of the image stay inside it.
  const cv::Rect picture(0, 0, kW, kH);
  for (const BoxCorners& c : {BoxCorners{90, 55, 120, 80}, BoxCorners{-5, -5, 3, 3},
                              BoxCorners{0, 0, 100, 60}, BoxCorners{99, 0, 99, 0}}) {
    EXPECT_NO_THROW(wandb::render(blank_with_boxes({pixel_box(c)}), with_labels));
    const std::vector<cv::Rect> rects =
        wandb::detail::label_rects(blank_with_boxes({pixel_box(c)}), with_labels);
    ASSERT_EQ(rects.size(), 1u);
    EXPECT_EQ(rects[0] & picture, rects[0]) << c.min_x << "," << c.min_y;
  }
}

TEST(Render, ZeroTensorImageAndBoxColourFromPalette) {
  ImageOptions o;
  Box b = pixel_box({10, 5, 20, 15}, 2);
  o.boxes = {{"boxes", BoundingBoxes2D({b})}};
  const Image image(at::zeros({3, kH, kW}), o);
  const cv::Mat out = wandb::render(image, outline_only());
  EXPECT_EQ(px(out, 5, 10), kClass2);
  EXPECT_EQ(px(out, 6, 11), kBlackPx);
}

TEST(Render, PaletteIsTheDocumentedTable) {
  EXPECT_EQ(wandb::palette_color(0), cv::Scalar(0x4b, 0x19, 0xe6));
  EXPECT_EQ(wandb::palette_color(1), cv::Scalar(0x4b, 0xb4, 0x3c));
  EXPECT_EQ(wandb::palette_color(19), cv::Scalar(0xa9, 0xa9, 0xa9));
  EXPECT_EQ(wandb::palette_color(20), wandb::palette_color(0));
  EXPECT_EQ(wandb::palette_color(-1), wandb::palette_color(19));
  for (int a = 0; a < 20; ++a) {
    for (int b = a + 1; b < 20; ++b) EXPECT_NE(wandb::palette_color(a), wandb::palette_color(b));
  }
}

// ---- Masks ------------------------------------------------------------------------

// Grey 100 everywhere; mask columns 0..32 class 0, 33..65 class 1, 66..99 class 2.
Image grey_with_mask(const std::string& layer = "seg") {
  cv::Mat mask(kH, kW, CV_8U, cv::Scalar(0));
  mask.colRange(33, 66).setTo(1);
  mask.colRange(66, 100).setTo(2);
  ImageOptions o = raw_options();
  o.masks = {{layer, ImageMask(mask)}};
  return Image(solid(kH, kW, cv::Scalar(100, 100, 100)), o);
}

TEST(Render, MaskBlendsClassColours) {
  const cv::Vec3b grey(100, 100, 100);
  RenderOptions r;
  r.mask_alpha = 0.5;
  cv::Mat out = wandb::render(grey_with_mask(), r);
  EXPECT_EQ(px(out, 30, 10), grey);  // class 0 is transparent by default
  EXPECT_EQ(px(out, 30, 50), blend(grey, kClass1, 0.5));
  EXPECT_EQ(px(out, 30, 50), cv::Vec3b(88, 140, 80));  // floor(50 + 37.5 + 0.5) etc.
  EXPECT_EQ(px(out, 30, 80), blend(grey, kClass2, 0.5));
  EXPECT_EQ(px(out, 0, 32), grey);
  EXPECT_EQ(px(out, 59, 33), blend(grey, kClass1, 0.5));

  r.mask_zero_transparent = false;
  r.mask_alpha = 0.3;
  out = wandb::render(grey_with_mask(), r);
  EXPECT_EQ(px(out, 30, 10), blend(grey, kClass0, 0.3));
  EXPECT_EQ(px(out, 30, 50), blend(grey, kClass1, 0.3));

  r.mask_alpha = 1.0;
  out = wandb::render(grey_with_mask(), r);
  EXPECT_EQ(px(out, 30, 80), kClass2);
  r.mask_alpha = 0.0;
  EXPECT_TRUE(same(wandb::render(grey_with_mask(), r), solid(kH, kW, cv::Scalar(100, 100, 100))));
}

TEST(Render, CustomClassColours) {
  RenderOptions r = outline_only();
  r.class_colors = {{1, cv::Scalar(255, 0, 7)}, {0, cv::Scalar(1, 2, 3)}};
  r.mask_zero_transparent = false;
  r.mask_alpha = 1.0;
  cv::Mat out = wandb::render(grey_with_mask(), r);
  EXPECT_EQ(px(out, 30, 10), cv::Vec3b(1, 2, 3));
  EXPECT_EQ(px(out, 30, 50), cv::Vec3b(255, 0, 7));
  EXPECT_EQ(px(out, 30, 80), kClass2);  // not overridden: palette
  out = wandb::render(blank_with_boxes({pixel_box({10, 5, 20, 15})}), r);
  EXPECT_EQ(px(out, 5, 10), cv::Vec3b(255, 0, 7));
  EXPECT_EQ(wandb::class_color(1, r), cv::Scalar(255, 0, 7));
  EXPECT_EQ(wandb::class_color(2, r), wandb::palette_color(2));
}

TEST(Render, MaskLayersBlendInLayerOrder) {
  cv::Mat all_one(kH, kW, CV_8U, cv::Scalar(1));
  cv::Mat all_two(kH, kW, CV_8U, cv::Scalar(2));
  ImageOptions o = raw_options();
  o.masks = {{"first", ImageMask(all_one)}, {"second", ImageMask(all_two)}};
  const Image image(solid(kH, kW, cv::Scalar(100, 100, 100)), o);
  RenderOptions r;
  r.mask_alpha = 0.5;
  const cv::Vec3b grey(100, 100, 100);
  // Requesting the layers in reverse order does not change the drawing order.
  r.mask_layers = {"second", "first"};
  EXPECT_EQ(px(wandb::render(image, r), 7, 7), blend(blend(grey, kClass1, 0.5), kClass2, 0.5));
  r.mask_layers = {"second"};
  EXPECT_EQ(px(wandb::render(image, r), 7, 7), blend(grey, kClass2, 0.5));
  r.draw_masks = false;
  EXPECT_EQ(px(wandb::render(image, r), 7, 7), grey);
}

// ---- Selection ---------------------------------------------------------------------

TEST(Render, SelectsLayersAndClasses) {
  cv::Mat mask(kH, kW, CV_8U, cv::Scalar(0));
  mask.colRange(50, 100).setTo(2);
  ImageOptions o = raw_options();
  o.boxes = {{"pred", BoundingBoxes2D({pixel_box({10, 5, 20, 15}, 1)})},
             {"truth", BoundingBoxes2D({pixel_box({30, 5, 40, 15}, 2)})}};
  o.masks = {{"seg", ImageMask(mask)}};
  const Image image(solid(kH, kW, cv::Scalar(0, 0, 0)), o);
  RenderOptions r = outline_only();
  r.mask_alpha = 1.0;

  cv::Mat out = wandb::render(image, r);
  EXPECT_EQ(px(out, 5, 10), kClass1);
  EXPECT_EQ(px(out, 5, 30), kClass2);
  EXPECT_EQ(px(out, 40, 70), kClass2);

  r.box_layers = {"truth"};
  out = wandb::render(image, r);
  EXPECT_EQ(px(out, 5, 10), kBlackPx);
  EXPECT_EQ(px(out, 5, 30), kClass2);

  r.box_layers = {};
  r.classes = {1};
  out = wandb::render(image, r);
  EXPECT_EQ(px(out, 5, 10), kClass1);
  EXPECT_EQ(px(out, 5, 30), kBlackPx);
  EXPECT_EQ(px(out, 40, 70), kBlackPx);  // class 2 of the mask is not selected either

  r.classes = {2};
  r.draw_boxes = false;
  out = wandb::render(image, r);
  EXPECT_EQ(px(out, 5, 30), kBlackPx);
  EXPECT_EQ(px(out, 40, 70), kClass2);

  // With a class selection, boxes without a class id are skipped; without one
  // they are white.
  Box plain;
  plain.position = BoxCorners{10, 5, 20, 15};
  plain.domain = BoxDomain::kPixel;
  ImageOptions with_labels = raw_options();
  with_labels.boxes = {{"b", BoundingBoxes2D({plain}, ClassLabels{{1, "car"}})}};
  const Image unclassified(solid(kH, kW, cv::Scalar(0, 0, 0)), with_labels);
  EXPECT_EQ(px(wandb::render(unclassified, outline_only()), 5, 10), cv::Vec3b(255, 255, 255));
  RenderOptions only_one = outline_only();
  only_one.classes = {1};
  EXPECT_EQ(count_non_black(wandb::render(unclassified, only_one)), 0);
}

TEST(Render, InvalidOptionsThrowValueError) {
  const Image image = blank_with_boxes({pixel_box({10, 5, 20, 15})});
  RenderOptions r;
  r.box_layers = {"nope"};
  EXPECT_THROW(wandb::render(image, r), wandb::ValueError);
  expect_throw_message([&] { wandb::render(image, r); },
                       "render box layer: expected one of \"boxes\", got \"nope\"");
  r = {};
  r.mask_layers = {"seg"};
  expect_throw_message([&] { wandb::render(image, r); },
                       "render mask layer: expected no layers, got \"seg\"");
  r = {};
  r.mask_alpha = 1.5;
  expect_throw_message([&] { wandb::render(image, r); },
                       "mask_alpha: expected a value in [0, 1], got 1.5");
  r.mask_alpha = -0.1;
  EXPECT_THROW(wandb::render(image, r), wandb::ValueError);
  r.mask_alpha = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(wandb::render(image, r), wandb::ValueError);
  r = {};
  r.line_width = 0;
  expect_throw_message([&] { wandb::render(image, r); },
                       "line_width: expected a positive number of pixels, got 0");
  r = {};
  r.font_scale = 0;
  expect_throw_message([&] { wandb::render(image, r); }, "font_scale: expected a positive");

  const Image reference("https://example.com/cat.png");
  expect_throw_message([&] { wandb::render(reference); },
                       "render: expected an image with pixels, got a reference");
  EXPECT_THROW(wandb::render_legend(ClassLabels{}), wandb::ValueError);
}

TEST(Render, MaskOfAnotherSizeThrows) {
  QuietWarnings quiet;
  ImageOptions o = raw_options();
  o.masks = {{"small", ImageMask(cv::Mat(10, 20, CV_8U, cv::Scalar(1)))}};
  const Image image(solid(kH, kW, cv::Scalar(0, 0, 0)), o);
  expect_throw_message([&] { wandb::render(image); },
                       "render mask layer \"small\": expected 100x60 (width x height, the "
                       "image's size), got 20x10");
  RenderOptions no_masks;
  no_masks.draw_masks = false;
  EXPECT_NO_THROW(wandb::render(image, no_masks));
}

// ---- Text -------------------------------------------------------------------------

TEST(Render, AsciiTextReplacesEachNonAsciiCharacter) {
  EXPECT_EQ(wandb::ascii_text(""), "");
  EXPECT_EQ(wandb::ascii_text("car 0.9"), "car 0.9");
  EXPECT_EQ(wandb::ascii_text("caf\xc3\xa9"), "caf?");             // é
  EXPECT_EQ(wandb::ascii_text("\xe6\x97\xa5\xe6\x9c\xac"), "??");  // 日本
  EXPECT_EQ(wandb::ascii_text("\xf0\x9f\x98\x80!"), "?!");         // emoji
  EXPECT_EQ(wandb::ascii_text("a\tb\n"), "a b?");
  EXPECT_EQ(wandb::ascii_text("\xff"), "?");
  EXPECT_EQ(wandb::ascii_text("\xe6\x97"), "??");  // truncated sequence: byte by byte
  EXPECT_EQ(wandb::ascii_text("\xc0\xaf"), "??");  // overlong
  EXPECT_EQ(wandb::ascii_text(std::string("a\0b", 3)), "a?b");
}

TEST(Render, LabelBlockSitsAboveTheBoxOrInsideAtTheTop) {
  Box low = pixel_box({20, 30, 60, 50});
  low.caption = "car";
  RenderOptions r;
  r.line_width = 1;
  cv::Mat out = wandb::render(blank_with_boxes({low}), r);
  // Column 20 of the block is padding, so it has the block's colour on every row.
  EXPECT_EQ(px(out, 29, 20), kClass1);
  EXPECT_EQ(px(out, 20, 20), kClass1);
  EXPECT_EQ(px(out, 40, 21), kBlackPx);  // nothing inside the box

  Box top = pixel_box({20, 0, 60, 30});
  top.caption = "car";
  out = wandb::render(blank_with_boxes({top}), r);
  EXPECT_EQ(px(out, 5, 21), kClass1);  // inside, no room above
  EXPECT_EQ(px(out, 40, 21), kBlackPx);

  EXPECT_EQ(px(wandb::render(blank_with_boxes({top}), outline_only()), 5, 21), kBlackPx);
}

TEST(Render, Utf8AndEmptyCaptionsAndScoresDoNotCrash) {
  std::vector<Box> boxes;
  for (const char* caption : {"", "\xe6\x97\xa5\xe6\x9c\xac caf\xc3\xa9", "a\nb\n", "\n\n",
                              "a very long caption that is wider than the image"}) {
    Box b = pixel_box({10, 20, 50, 40});
    b.caption = caption;
    b.scores = {{"\xcf\x83", 0.123456}, {"", 1e300}, {"iou", -0.5}};
    boxes.push_back(b);
  }
  Box no_class;
  no_class.position = BoxCorners{0.2, 0.2, 0.4, 0.4};
  no_class.caption = "";
  ImageOptions o = raw_options();
  o.boxes = {{"b", BoundingBoxes2D(boxes)},
             {"c", BoundingBoxes2D({no_class}, ClassLabels{{3, "\xe7\x8c\xab"}})}};
  const Image image(solid(kH, kW, cv::Scalar(0, 0, 0)), o);
  RenderOptions r;
  r.legend = true;
  cv::Mat out;
  ASSERT_NO_THROW(out = wandb::render(image, r));
  EXPECT_GT(count_non_black(out), 0);
  // Text that is not UTF-8 never gets as far as rendering (docs: one rule for text).
  Box invalid = pixel_box({10, 20, 50, 40});
  invalid.caption = "\xff\xfe";
  EXPECT_THROW(BoundingBoxes2D({invalid}), wandb::ValueError);

  // An empty caption falls back to the class name; without captions and scores
  // there is no label block at all.
  Box silent = pixel_box({20, 30, 60, 50});
  silent.caption = "";
  EXPECT_EQ(px(wandb::render(blank_with_boxes({silent})), 29, 20), kClass1);
  EXPECT_EQ(px(wandb::render(blank_with_boxes({silent}), outline_only()), 29, 20), kBlackPx);
}

TEST(Render, LegendIsAppendedOnTheRight) {
  RenderOptions r = outline_only();
  const Image image =
      blank_with_boxes({pixel_box({10, 5, 20, 15}, 1), pixel_box({30, 5, 40, 15}, 2)});
  const cv::Mat plain = wandb::render(image, r);
  r.legend = true;
  const cv::Mat out = wandb::render(image, r);
  ASSERT_GT(out.cols, kW);
  ASSERT_GE(out.rows, kH);
  EXPECT_TRUE(same(out(cv::Rect(0, 0, kW, kH)), plain));
  const cv::Mat panel = out(cv::Rect(kW, 0, out.cols - kW, out.rows));
  cv::Mat hits;
  cv::inRange(panel, cv::Scalar(kClass1), cv::Scalar(kClass1), hits);
  EXPECT_GT(cv::countNonZero(hits), 0);
  cv::inRange(panel, cv::Scalar(kClass2), cv::Scalar(kClass2), hits);
  EXPECT_GT(cv::countNonZero(hits), 0);

  // Class 0 of a transparent mask is not listed; with nothing drawn, no legend.
  cv::Mat zeros(kH, kW, CV_8U, cv::Scalar(0));
  ImageOptions o = raw_options();
  o.masks = {{"seg", ImageMask(zeros)}};
  const Image background_only(solid(kH, kW, cv::Scalar(0, 0, 0)), o);
  EXPECT_EQ(wandb::render(background_only, r).size(), cv::Size(kW, kH));
}

TEST(Render, GreyAndAlphaPixelsBecomeBgr) {
  const Image grey(cv::Mat(kH, kW, CV_8UC1, cv::Scalar(77)), raw_options());
  cv::Mat out = wandb::render(grey);
  ASSERT_EQ(out.type(), CV_8UC3);
  EXPECT_EQ(px(out, 3, 4), cv::Vec3b(77, 77, 77));
  const Image bgra(cv::Mat(kH, kW, CV_8UC4, cv::Scalar(10, 20, 30, 0)), raw_options());
  out = wandb::render(bgra);
  ASSERT_EQ(out.type(), CV_8UC3);
  EXPECT_EQ(px(out, 3, 4), cv::Vec3b(10, 20, 30));
  ImageOptions la = raw_options();
  la.mode = "LA";
  out = wandb::render(Image(cv::Mat(kH, kW, CV_8UC1, cv::Scalar(77)), la));
  EXPECT_EQ(px(out, 3, 4), cv::Vec3b(77, 77, 77));
}

// ---- Display scale ---------------------------------------------------------------

TEST(RenderScale, BoxEdgesMapToTheDisplayPixelsOfTheImageEdges) {
  // Columns 10..19 and rows 5..14 of the image are display columns 40..79 and
  // rows 20..59 at scale 4; the outline stays one display pixel thick.
  RenderOptions r = outline_only();
  r.scale = 4;
  const cv::Mat out = wandb::render(blank_with_boxes({pixel_box({10, 5, 20, 15})}), r);
  ASSERT_EQ(out.size(), cv::Size(4 * kW, 4 * kH));
  for (auto [y, x] : {std::pair{20, 40}, {20, 79}, {59, 40}, {59, 79}, {40, 40}, {40, 79}}) {
    EXPECT_EQ(px(out, y, x), kClass1) << "on the outline at y=" << y << " x=" << x;
  }
  for (auto [y, x] : {std::pair{40, 39}, {40, 80}, {19, 60}, {60, 60}, {40, 41}, {21, 60}}) {
    EXPECT_EQ(px(out, y, x), kBlackPx) << "off the outline at y=" << y << " x=" << x;
  }
  EXPECT_EQ(count_non_black(out), 2 * 40 + 2 * 40 - 4);

  // line_width counts display pixels.
  r.line_width = 3;
  const cv::Mat thick = wandb::render(blank_with_boxes({pixel_box({10, 5, 20, 15})}), r);
  EXPECT_EQ(px(thick, 40, 42), kClass1);
  EXPECT_EQ(px(thick, 40, 43), kBlackPx);

  // A fraction box 0..1 outlines the whole picture at a scale that is not whole.
  r = outline_only();
  r.scale = 2.5;
  const cv::Mat border = wandb::render(blank_with_boxes({fraction_box({0, 0, 1, 1})}), r);
  ASSERT_EQ(border.size(), cv::Size(250, 150));
  EXPECT_EQ(px(border, 75, 249), kClass1);
  EXPECT_EQ(px(border, 149, 125), kClass1);
  EXPECT_EQ(px(border, 75, 248), kBlackPx);
  // Pixel corners scale by width and height separately: 10.4 * 2.5 = 26 -> column 26.
  const cv::Mat odd = wandb::render(blank_with_boxes({pixel_box({10.4, 5, 20, 15})}), r);
  EXPECT_EQ(px(odd, 20, 26), kClass1);
  EXPECT_EQ(px(odd, 20, 25), kBlackPx);
  EXPECT_EQ(px(odd, 13, 30), kClass1);  // top row: floor(5 * 2.5 + 0.5) = 13
  EXPECT_EQ(px(odd, 12, 30), kBlackPx);
}

TEST(RenderScale, PixelsAreResampledFirstAndMasksWithNearestNeighbour) {
  cv::Mat pixels(kH, kW, CV_8UC3, cv::Scalar(0, 0, 0));
  pixels.at<cv::Vec3b>(3, 7) = cv::Vec3b(200, 200, 200);
  const Image dot(pixels, raw_options());
  RenderOptions r;
  r.scale = 4;
  // Enlarged: each image pixel becomes a 4 x 4 block (nearest neighbour).
  cv::Mat out = wandb::render(dot, r);
  EXPECT_EQ(px(out, 12, 28), cv::Vec3b(200, 200, 200));
  EXPECT_EQ(px(out, 15, 31), cv::Vec3b(200, 200, 200));
  EXPECT_EQ(px(out, 16, 28), kBlackPx);
  EXPECT_EQ(px(out, 12, 27), kBlackPx);
  EXPECT_EQ(count_non_black(out), 16);
  // Linear interpolation blurs the dot into its neighbours.
  r.resample = wandb::Resample::kLinear;
  EXPECT_GT(count_non_black(wandb::render(dot, r)), 16);
  // Shrunk: pixel areas are averaged (2 x 2 -> 1): 200 / 4.
  r = {};
  r.scale = 0.5;
  out = wandb::render(dot, r);
  ASSERT_EQ(out.size(), cv::Size(kW / 2, kH / 2));
  EXPECT_EQ(px(out, 1, 3), cv::Vec3b(50, 50, 50));

  // A mask's class boundary at image column 33 lands on display column 99 at
  // scale 3 and is blended there, never interpolated into a third colour.
  r = {};
  r.scale = 3;
  r.mask_alpha = 1.0;
  out = wandb::render(grey_with_mask(), r);
  ASSERT_EQ(out.size(), cv::Size(3 * kW, 3 * kH));
  EXPECT_EQ(px(out, 90, 98), cv::Vec3b(100, 100, 100));
  EXPECT_EQ(px(out, 90, 99), kClass1);
  EXPECT_EQ(px(out, 90, 197), kClass1);
  EXPECT_EQ(px(out, 90, 198), kClass2);
}

TEST(RenderScale, LabelsKeepTheirSizeWhateverTheScale) {
  Box b = pixel_box({20, 30, 60, 50});
  b.caption = "car";
  RenderOptions r;
  const std::vector<cv::Rect> at1 = wandb::detail::label_rects(blank_with_boxes({b}), r);
  r.scale = 4;
  const std::vector<cv::Rect> at4 = wandb::detail::label_rects(blank_with_boxes({b}), r);
  ASSERT_EQ(at1.size(), 1u);
  ASSERT_EQ(at4.size(), 1u);
  EXPECT_EQ(at4[0].size(), at1[0].size());
  // Above the box's top-left corner, display row 120 and column 80.
  EXPECT_EQ(at4[0].x, 80);
  EXPECT_EQ(at4[0].y + at4[0].height, 120);
}

TEST(RenderScale, InvalidScalesThrowValueError) {
  const Image image = blank_with_boxes({pixel_box({10, 5, 20, 15})});
  RenderOptions r;
  for (double bad : {0.0, -1.0, std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
    r.scale = bad;
    expect_throw_message([&] { wandb::render(image, r); },
                         "render scale: expected a positive finite number");
  }
  r.scale = 1000;  // 100000 x 60000 pixels
  expect_throw_message([&] { wandb::render(image, r); },
                       "render scale: expected a display size at most 65500");
  // A tiny scale still gives at least one pixel.
  r.scale = 1e-6;
  EXPECT_EQ(wandb::render(image, r).size(), cv::Size(1, 1));
}

// ---- Label placement -------------------------------------------------------------

Image boxes_on(int rows, int cols, const std::vector<Box>& boxes) {
  ImageOptions o = raw_options();
  o.boxes = {{"boxes", BoundingBoxes2D(boxes)}};
  return Image(solid(rows, cols, cv::Scalar(0, 0, 0)), o);
}

void expect_apart_and_inside(const std::vector<cv::Rect>& rects, cv::Size picture) {
  const cv::Rect whole(0, 0, picture.width, picture.height);
  for (size_t i = 0; i < rects.size(); ++i) {
    EXPECT_EQ(rects[i] & whole, rects[i]) << "label " << i << " leaves the picture";
    EXPECT_GT(rects[i].area(), 0) << i;
    for (size_t j = i + 1; j < rects.size(); ++j) {
      EXPECT_EQ((rects[i] & rects[j]).area(), 0) << "labels " << i << " and " << j << " overlap";
    }
  }
}

TEST(RenderLabels, CloseCornersGiveLabelsThatDoNotOverlap) {
  // Six boxes whose top-left corners are 3 pixels apart: every label wants the
  // same spot above them.
  std::vector<Box> boxes;
  for (int i = 0; i < 6; ++i) {
    Box b = pixel_box({60.0 + 3 * i, 80.0 + 3 * i, 160.0 + 3 * i, 170.0 + 3 * i}, i % 3);
    b.caption = "object " + std::to_string(i);
    b.scores = {{"score", 0.5 + i / 10.0}};
    boxes.push_back(b);
  }
  const Image image = boxes_on(240, 320, boxes);
  const std::vector<cv::Rect> rects = wandb::detail::label_rects(image);
  ASSERT_EQ(rects.size(), boxes.size());  // there is room for all of them
  expect_apart_and_inside(rects, {320, 240});
  // The first takes the preferred spot: just above its box, left-aligned.
  EXPECT_EQ(rects[0].x, 60);
  EXPECT_EQ(rects[0].y + rects[0].height, 80);
  // Each stays near its box: within 4 text lines of it.
  for (size_t i = 0; i < rects.size(); ++i) {
    const cv::Rect box(60 + 3 * static_cast<int>(i), 80 + 3 * static_cast<int>(i), 100, 90);
    cv::Rect near = box;
    near -= cv::Point(0, 4 * 17 + rects[i].height);
    near += cv::Size(0, 2 * (4 * 17 + rects[i].height));
    EXPECT_EQ((near & rects[i]), rects[i]) << i;
  }
  // What is drawn is what was placed: each block's corner has its box colour.
  const cv::Mat out = wandb::render(image);
  for (size_t i = 0; i < rects.size(); ++i) {
    const cv::Vec3b expected = i % 3 == 0 ? kClass0 : i % 3 == 1 ? kClass1 : kClass2;
    EXPECT_EQ(px(out, rects[i].y, rects[i].x), expected) << i;
    EXPECT_EQ(px(out, rects[i].br().y - 1, rects[i].br().x - 1), expected) << i;
  }
}

TEST(RenderLabels, CrowdedPicturesLeaveLabelsOutButNeverOverlap) {
  // Thirty boxes on one spot of a small picture: not every label fits.
  std::vector<Box> boxes;
  for (int i = 0; i < 30; ++i) {
    Box b = pixel_box({40, 25, 60, 35});
    b.caption = std::string(1, static_cast<char>('A' + i));
    b.scores = {{"p", 0.25}};
    boxes.push_back(b);
  }
  const std::vector<cv::Rect> rects = wandb::detail::label_rects(boxes_on(kH, kW, boxes));
  EXPECT_GT(rects.size(), 1u);
  EXPECT_LT(rects.size(), boxes.size());
  expect_apart_and_inside(rects, {kW, kH});
}

TEST(RenderLabels, ScoresGoFirstWhenSpaceIsShort) {
  // Caption + score need two lines (34 rows), which fit nowhere next to this box
  // in a 40-row picture; the caption alone fits inside its top edge.
  Box b = pixel_box({10, 10, 30, 20});
  b.caption = "car";
  b.scores = {{"p", 0.5}};
  const std::vector<cv::Rect> short_picture = wandb::detail::label_rects(boxes_on(40, 100, {b}));
  ASSERT_EQ(short_picture.size(), 1u);
  EXPECT_EQ(short_picture[0].height, 17);
  EXPECT_EQ(short_picture[0].y, 10);
  const std::vector<cv::Rect> tall_picture = wandb::detail::label_rects(boxes_on(100, 100, {b}));
  ASSERT_EQ(tall_picture.size(), 1u);
  EXPECT_EQ(tall_picture[0].height, 34);
}

TEST(RenderLabels, TextLargerThanThePictureIsCutToIt) {
  Box wide = pixel_box({2, 30, 20, 40});
  wide.caption = "a caption far wider than the forty pixels of this picture";
  wide.scores = {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}};
  const Image image = boxes_on(50, 40, {wide});
  const std::vector<cv::Rect> rects = wandb::detail::label_rects(image);
  ASSERT_EQ(rects.size(), 1u);
  expect_apart_and_inside(rects, {40, 50});
  EXPECT_LE(rects[0].width, 40);
  EXPECT_LE(rects[0].height, 2 * 17);  // as many lines as fit 50 rows
  // A picture lower than one text line has no label at all.
  EXPECT_TRUE(wandb::detail::label_rects(boxes_on(10, 40, {wide})).empty());
}

// ---- Layer styles ------------------------------------------------------------------

// One box (columns 10..69, rows 5..44) in each of the layers "a" and "b", class 1.
Image two_layers(const std::vector<std::string>& order = {"a", "b"}) {
  ImageOptions o = raw_options();
  for (const auto& name : order) {
    o.boxes.emplace_back(name, BoundingBoxes2D({pixel_box({10, 5, 70, 45})}));
  }
  return Image(solid(kH, kW, cv::Scalar(0, 0, 0)), o);
}

TEST(RenderStyles, SecondLayerIsDashedThirdDotted) {
  RenderOptions r = outline_only();
  r.box_layers = {"a"};
  const cv::Mat solid_line = wandb::render(two_layers(), r);
  for (int x = 10; x <= 69; ++x) EXPECT_EQ(px(solid_line, 5, x), kClass1) << x;

  // Dashed, line width 1: 4 on, 2 off from each corner along every edge.
  r.box_layers = {"b"};  // still the second layer: the selection changes no style
  const cv::Mat dashed = wandb::render(two_layers(), r);
  for (int x : {10, 13, 16, 19, 22, 69, 66}) EXPECT_EQ(px(dashed, 5, x), kClass1) << x;
  for (int x : {14, 15, 20, 21, 65, 64}) EXPECT_EQ(px(dashed, 5, x), kBlackPx) << x;
  for (int y : {5, 8, 11, 44, 41}) EXPECT_EQ(px(dashed, y, 10), kClass1) << y;
  for (int y : {9, 10, 40, 39}) EXPECT_EQ(px(dashed, y, 10), kBlackPx) << y;
  EXPECT_EQ(px(dashed, 44, 69), kClass1);  // every corner is drawn
  EXPECT_LT(count_non_black(dashed), count_non_black(solid_line));

  // Dotted, line width 2: 2 on, 4 off, two rows thick.
  ImageOptions o = raw_options();
  for (const char* name : {"a", "b", "c"}) {
    o.boxes.emplace_back(name, BoundingBoxes2D({pixel_box({10, 5, 70, 45})}));
  }
  const Image three(solid(kH, kW, cv::Scalar(0, 0, 0)), o);
  r = outline_only(2);
  r.box_layers = {"c"};
  const cv::Mat dotted = wandb::render(three, r);
  for (int x : {10, 11, 16, 17}) {
    EXPECT_EQ(px(dotted, 5, x), kClass1) << x;
    EXPECT_EQ(px(dotted, 6, x), kClass1) << x;
  }
  for (int x : {12, 13, 14, 15}) EXPECT_EQ(px(dotted, 5, x), kBlackPx) << x;
  EXPECT_EQ(px(dotted, 7, 16), kBlackPx);  // inside the two rows
}

TEST(RenderStyles, LayerStylesOverrideThePositions) {
  RenderOptions r = outline_only();
  r.box_layers = {"a"};
  r.layer_styles = {{"a", wandb::BoxStyle::kDashed}, {"not in the image", wandb::BoxStyle::kDotted}};
  const cv::Mat a = wandb::render(two_layers(), r);
  EXPECT_EQ(px(a, 5, 13), kClass1);
  EXPECT_EQ(px(a, 5, 14), kBlackPx);
  r.box_layers = {"b"};
  r.layer_styles = {{"b", wandb::BoxStyle::kSolid}};
  EXPECT_EQ(px(wandb::render(two_layers(), r), 5, 14), kClass1);
}

TEST(RenderStyles, GroundTruthAndPredictionLabelsOfOneClassDiffer) {
  ImageOptions o = raw_options();
  Box pred = pixel_box({10, 20, 40, 40});
  pred.caption = "car";
  Box truth = pixel_box({50, 20, 80, 40});
  truth.caption = "car";
  o.boxes = {{"predictions", BoundingBoxes2D({pred})}, {"ground_truth", BoundingBoxes2D({truth})}};
  const Image image(solid(kH, kW, cv::Scalar(0, 0, 0)), o);
  RenderOptions r;
  const std::vector<cv::Rect> rects = wandb::detail::label_rects(image, r);
  ASSERT_EQ(rects.size(), 2u);
  const cv::Mat out = wandb::render(image, r);
  // Both blocks have the class colour on their edge...
  EXPECT_EQ(px(out, rects[0].y, rects[0].x), kClass1);
  EXPECT_EQ(px(out, rects[1].y, rects[1].x), kClass1);
  // ...but inside its frame the dashed layer's block is white (padding, no text).
  const int frame = r.line_width;
  EXPECT_EQ(px(out, rects[0].y + frame, rects[0].x + frame), kClass1);
  EXPECT_EQ(px(out, rects[1].y + frame, rects[1].x + frame), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(px(out, rects[1].y + frame - 1, rects[1].x + frame), kClass1);
}

TEST(RenderStyles, GridKeepsOneStylePerLayerName) {
  // The second image lists "b" first; in a sheet it still gets "b"'s style from
  // the first image (dashed), while rendered alone it would be solid.
  const std::vector<Image> images = {two_layers({"a", "b"}), two_layers({"b", "a"})};
  wandb::GridOptions g;
  g.padding = 0;
  g.render = outline_only();
  g.render.box_layers = {"b"};
  const cv::Mat sheet = wandb::make_grid(images, g);
  EXPECT_EQ(px(sheet, 5, kW + 14), kBlackPx);  // a gap of the dash pattern
  EXPECT_EQ(px(sheet, 5, kW + 13), kClass1);
  EXPECT_EQ(px(wandb::render(images[1], g.render), 5, 14), kClass1);
}

TEST(RenderStyles, LegendListsLayerStylesWhenTwoOrMoreAreDrawn) {
  RenderOptions r = outline_only();
  r.legend = true;
  const cv::Mat both = wandb::render(two_layers(), r);
  r.box_layers = {"a"};
  const cv::Mat one = wandb::render(two_layers(), r);
  ASSERT_GT(both.cols, kW);
  ASSERT_GT(one.cols, kW);
  // Rows: class 1, then the layers "a" and "b" in their styles (dark grey).
  const cv::Mat panel = both(cv::Rect(kW, 0, both.cols - kW, both.rows));
  cv::Mat grey;
  cv::inRange(panel, cv::Scalar(64, 64, 64), cv::Scalar(64, 64, 64), grey);
  EXPECT_GT(cv::countNonZero(grey), 0);
  cv::inRange(one(cv::Rect(kW, 0, one.cols - kW, one.rows)), cv::Scalar(64, 64, 64),
              cv::Scalar(64, 64, 64), grey);
  EXPECT_EQ(cv::countNonZero(grey), 0);

  // render_legend on its own: the dashed row has gaps, the solid row none.
  const cv::Mat legend = wandb::render_legend(
      ClassLabels{}, r, {{"p", wandb::BoxStyle::kSolid}, {"g", wandb::BoxStyle::kDashed}});
  cv::inRange(legend, cv::Scalar(64, 64, 64), cv::Scalar(64, 64, 64), grey);
  int solid_row = -1, dashed_row = -1;
  for (int y = 0; y < legend.rows; ++y) {
    const int n = cv::countNonZero(grey.row(y));
    if (n == 0) continue;
    if (solid_row < 0) solid_row = n;
    else if (y > legend.rows / 2) dashed_row = std::max(dashed_row, n);
  }
  EXPECT_GT(solid_row, dashed_row);
  EXPECT_GT(dashed_row, 0);
  EXPECT_THROW(wandb::render_legend(ClassLabels{}, r, {}), wandb::ValueError);
}

// ---- Grids ------------------------------------------------------------------------

cv::Vec3b tile_color(int i) {
  return cv::Vec3b(static_cast<uint8_t>(40 * i), static_cast<uint8_t>(250 - 40 * i), 7);
}

Image solid_image(int rows, int cols, cv::Vec3b color, const std::string& caption = "") {
  ImageOptions o = raw_options();
  if (!caption.empty()) o.caption = caption;
  return Image(solid(rows, cols, cv::Scalar(color)), o);
}

TEST(Grid, SizeArithmeticAndTilePlacement) {
  std::vector<Image> images;
  for (int i = 0; i < 5; ++i) images.push_back(solid_image(kH, kW, tile_color(i)));
  wandb::GridOptions g;
  g.columns = 3;
  g.padding = 4;
  g.background = cv::Scalar(10, 20, 30);
  const cv::Vec3b bg(10, 20, 30);
  const cv::Mat sheet = wandb::make_grid(images, g);
  ASSERT_EQ(sheet.type(), CV_8UC3);
  EXPECT_EQ(sheet.cols, 3 * (kW + 4) + 4);  // 316
  EXPECT_EQ(sheet.rows, 2 * (kH + 4) + 4);  // 132
  for (int i = 0; i < 5; ++i) {
    const int x = 4 + (i % 3) * (kW + 4);
    const int y = 4 + (i / 3) * (kH + 4);
    EXPECT_EQ(px(sheet, y, x), tile_color(i)) << i;
    EXPECT_EQ(px(sheet, y + kH - 1, x + kW - 1), tile_color(i)) << i;
    EXPECT_EQ(px(sheet, y - 1, x), bg) << i;
    EXPECT_EQ(px(sheet, y, x - 1), bg) << i;
    EXPECT_EQ(px(sheet, y + kH, x + kW - 1), bg) << i;
    EXPECT_EQ(px(sheet, y + kH - 1, x + kW), bg) << i;
  }
  EXPECT_EQ(px(sheet, 4 + kH + 4, 4 + 2 * (kW + 4)), bg);  // the sixth cell is empty
  EXPECT_EQ(px(sheet, sheet.rows - 1, sheet.cols - 1), bg);
}

TEST(Grid, FewerImagesThanColumns) {
  const std::vector<Image> images = {solid_image(kH, kW, tile_color(0)),
                                     solid_image(kH, kW, tile_color(1))};
  const cv::Mat sheet = wandb::make_grid(images);  // 8 columns, padding 2
  EXPECT_EQ(sheet.cols, 2 * (kW + 2) + 2);
  EXPECT_EQ(sheet.rows, kH + 2 + 2);
  EXPECT_EQ(px(sheet, 2, 2 + kW + 2), tile_color(1));
  wandb::GridOptions one_column;
  one_column.columns = 1;
  one_column.padding = 0;
  const cv::Mat column = wandb::make_grid(images, one_column);
  EXPECT_EQ(column.size(), cv::Size(kW, 2 * kH));
  EXPECT_EQ(px(column, kH, 0), tile_color(1));
  EXPECT_EQ(px(column, kH - 1, kW - 1), tile_color(0));
}

TEST(Grid, LetterboxesTilesIntoTheLargestSize) {
  const cv::Vec3b red(0, 0, 255), green(0, 255, 0), blue(255, 0, 0), white(255, 255, 255);
  const std::vector<Image> images = {
      solid_image(kH, kW, red),     // the largest: sets the 60 x 100 cell
      solid_image(30, 50, green),   // x2 -> fills the 60 x 100 cell
      solid_image(60, 50, blue),    // x1 -> columns 25..74 of the cell
      solid_image(20, 100, white),  // x1 -> rows 20..39 of the cell
  };
  wandb::GridOptions g;
  g.columns = 4;
  g.padding = 0;
  g.background = cv::Scalar(1, 2, 3);
  const cv::Vec3b bg(1, 2, 3);
  const cv::Mat sheet = wandb::make_grid(images, g);
  ASSERT_EQ(sheet.size(), cv::Size(4 * kW, kH));
  EXPECT_EQ(px(sheet, 0, kW), green);
  EXPECT_EQ(px(sheet, kH - 1, 2 * kW - 1), green);
  EXPECT_EQ(px(sheet, 30, 2 * kW + 24), bg);
  EXPECT_EQ(px(sheet, 30, 2 * kW + 25), blue);
  EXPECT_EQ(px(sheet, 30, 2 * kW + 74), blue);
  EXPECT_EQ(px(sheet, 30, 2 * kW + 75), bg);
  EXPECT_EQ(px(sheet, 19, 3 * kW + 50), bg);
  EXPECT_EQ(px(sheet, 20, 3 * kW + 50), white);
  EXPECT_EQ(px(sheet, 39, 3 * kW + 50), white);
  EXPECT_EQ(px(sheet, 40, 3 * kW + 50), bg);

  // A fixed tile size shrinks: 60 x 100 into 30 x 40 is scaled by 0.4 to 24 x 40,
  // centred with 3 rows above.
  g.tile_size = cv::Size(40, 30);
  const cv::Mat small = wandb::make_grid({images[0]}, g);
  ASSERT_EQ(small.size(), cv::Size(40, 30));
  EXPECT_EQ(px(small, 2, 20), bg);
  EXPECT_EQ(px(small, 3, 0), red);
  EXPECT_EQ(px(small, 26, 39), red);
  EXPECT_EQ(px(small, 27, 20), bg);
}

TEST(Grid, TilesAreRenderedAtTheirShownSize) {
  // A 30 x 50 image in a 60 x 100 cell is shown at scale 2: its 1-pixel outline
  // stays 1 pixel (render-then-resize would make it 2) and lies on the enlarged
  // pixels of columns 10..19, rows 5..14.
  ImageOptions o = raw_options();
  o.boxes = {{"boxes", BoundingBoxes2D({pixel_box({10, 5, 20, 15})})}};
  const Image small(solid(30, 50, cv::Scalar(0, 0, 0)), o);
  wandb::GridOptions g;
  g.padding = 0;
  g.tile_size = cv::Size(kW, kH);
  g.render = outline_only();
  const cv::Mat sheet = wandb::make_grid({small}, g);
  ASSERT_EQ(sheet.size(), cv::Size(kW, kH));
  EXPECT_EQ(px(sheet, 10, 20), kClass1);
  EXPECT_EQ(px(sheet, 29, 39), kClass1);
  EXPECT_EQ(px(sheet, 11, 21), kBlackPx);
  EXPECT_EQ(px(sheet, 9, 20), kBlackPx);
  EXPECT_EQ(count_non_black(sheet), 2 * 20 + 2 * 20 - 4);

  // Without tile_size, render.scale sizes the cells.
  g.tile_size = cv::Size(0, 0);
  g.render.scale = 3;
  EXPECT_EQ(wandb::make_grid({small}, g).size(), cv::Size(150, 90));

  // One legend for the sheet, on its right.
  g.render.legend = true;
  const cv::Mat with_legend = wandb::make_grid({small, small}, g);
  EXPECT_GT(with_legend.cols, 2 * 150);
  EXPECT_EQ(with_legend.rows, 90);
  EXPECT_EQ(px(with_legend, 0, 2 * 150), cv::Vec3b(255, 255, 255));
}

TEST(Grid, RendersOverlaysOrRawPixels) {
  const Image image = blank_with_boxes({pixel_box({10, 5, 20, 15})});
  wandb::GridOptions g;
  g.padding = 3;
  g.render = outline_only();
  EXPECT_EQ(px(wandb::make_grid({image}, g), 3 + 5, 3 + 10), kClass1);
  g.render_overlays = false;
  EXPECT_EQ(px(wandb::make_grid({image}, g), 3 + 5, 3 + 10), kBlackPx);
}

TEST(Grid, CaptionStripsUnderTiles) {
  const std::vector<Image> images = {solid_image(kH, kW, tile_color(0), "left"),
                                     solid_image(kH, kW, tile_color(1)),
                                     solid_image(kH, kW, tile_color(2),
                                                 "\xe6\x97\xa5\xe6\x9c\xac \xc3\xbcnic\xc3\xb8"
                                                 "de and a caption much too long\nfor "
                                                 "the tile")};
  wandb::GridOptions g;
  g.columns = 3;
  g.padding = 2;
  g.background = cv::Scalar(255, 255, 255);
  const cv::Mat sheet = wandb::make_grid(images, g);
  const int strip = sheet.rows - (kH + 2 + 2);
  ASSERT_GT(strip, 0);
  EXPECT_EQ(sheet.cols, 3 * (kW + 2) + 2);
  auto ink_in_strip = [&](int i) {
    const cv::Rect r(2 + i * (kW + 2), 2 + kH, kW, strip);
    cv::Mat grey;
    cv::cvtColor(sheet(r), grey, cv::COLOR_BGR2GRAY);
    return cv::countNonZero(grey < 255);
  };
  EXPECT_GT(ink_in_strip(0), 0);
  EXPECT_EQ(ink_in_strip(1), 0);
  EXPECT_GT(ink_in_strip(2), 0);
  // The shortened caption stays inside its cell: the padding column after it is blank.
  cv::Mat gap;
  cv::cvtColor(sheet(cv::Rect(2 + 3 * kW + 2 * 2, 0, 2, sheet.rows)), gap, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(cv::countNonZero(gap < 255), 0);

  g.captions = false;
  EXPECT_EQ(wandb::make_grid(images, g).rows, kH + 4);
  // Images without captions get no strip.
  g.captions = true;
  EXPECT_EQ(wandb::make_grid({images[1]}, g).rows, kH + 4);
}

TEST(Grid, InvalidArgumentsThrowValueError) {
  const std::vector<Image> one = {solid_image(kH, kW, tile_color(0))};
  expect_throw_message([] { wandb::make_grid({}); },
                       "make_grid: expected at least one image, got none");
  wandb::GridOptions g;
  g.columns = 0;
  expect_throw_message([&] { wandb::make_grid(one, g); },
                       "make_grid columns: expected at least 1, got 0");
  g = {};
  g.padding = -1;
  expect_throw_message([&] { wandb::make_grid(one, g); }, "make_grid padding: expected 0 or more");
  g = {};
  g.tile_size = cv::Size(0, 5);
  expect_throw_message([&] { wandb::make_grid(one, g); }, "got 0x5");
  g = {};
  g.render.line_width = -2;
  EXPECT_THROW(wandb::make_grid(one, g), wandb::ValueError);
  expect_throw_message([] { wandb::make_grid({Image("s3://bucket/cat.png")}); }, "reference");
}

// ---- Tensor mask factories ---------------------------------------------------------

std::vector<uint8_t> values_of(const ImageMask& m) { return m.values(); }

TEST(MaskFactory, FromStackLastSetLayerWins) {
  // K = 3 layers over a 2 x 3 image.
  at::Tensor stack = at::zeros({3, 2, 3}, at::kBool);
  auto set = [&](int k, int y, int x) { stack[k][y][x] = true; };
  set(0, 0, 0);                              // only layer 0 -> 1
  set(0, 0, 1), set(2, 0, 1);                // 0 and 2 -> 3
  set(1, 0, 2);                              // only layer 1 -> 2
  set(0, 1, 0), set(1, 1, 0), set(2, 1, 0);  // all -> 3
  set(1, 1, 1), set(0, 1, 1);                // 0 and 1 -> 2
  // (1, 2): none -> 0
  const ImageMask m = ImageMask::from_stack(stack);
  EXPECT_EQ(m.height(), 2);
  EXPECT_EQ(m.width(), 3);
  EXPECT_EQ(values_of(m), (std::vector<uint8_t>{1, 3, 2, 3, 2, 0}));
  EXPECT_EQ(m.class_labels(), wandb::default_class_labels({0, 1, 2, 3}));

  const ClassLabels labels{{0, "bg"}, {1, "a"}, {2, "b"}, {3, "c"}};
  const ImageMask from_ints = ImageMask::from_stack(stack.to(at::kLong), labels);
  EXPECT_EQ(values_of(from_ints), values_of(m));
  EXPECT_EQ(from_ints.class_labels(), labels);
  EXPECT_EQ(values_of(ImageMask::from_stack(stack.to(at::kByte))), values_of(m));

  // 255 layers: the last one gives class 255.
  at::Tensor many = at::zeros({255, 1, 2}, at::kBool);
  many[254][0][1] = true;
  many[3][0][1] = true;
  many[7][0][0] = true;
  EXPECT_EQ(values_of(ImageMask::from_stack(many)), (std::vector<uint8_t>{8, 255}));
}

TEST(MaskFactory, FromStackErrors) {
  auto expect_value = [](const at::Tensor& t, const std::string& fragment) {
    try {
      ImageMask::from_stack(t);
      ADD_FAILURE() << "expected ValueError: " << fragment;
    } catch (const wandb::ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_value(at::zeros({2, 3}, at::kBool), "mask stack: expected a (K, H, W) tensor");
  expect_value(at::zeros({2, 3}, at::kBool), "got [2, 3]");
  expect_value(at::zeros({0, 2, 3}, at::kBool), "every dimension at least 1, got [0, 2, 3]");
  expect_value(at::zeros({2, 0, 3}, at::kBool), "got [2, 0, 3]");
  expect_value(at::zeros({256, 2, 2}, at::kBool), "expected at most 255 layers");
  expect_value(at::tensor({0, 2, 1, 0}, at::kInt).view({1, 2, 2}),
               "expected values 0 or 1, got values from 0 to 2");
  expect_value(at::full({1, 2, 2}, -1, at::kLong), "got values from -1 to -1");
  expect_value(at::Tensor(), "got an undefined tensor");
  try {
    ImageMask::from_stack(at::zeros({1, 2, 2}, at::kFloat));
    ADD_FAILURE() << "expected TypeError";
  } catch (const wandb::TypeError& e) {
    EXPECT_NE(
        std::string(e.what()).find("expected a bool or integer tensor of 0/1 values, got Float"),
        std::string::npos)
        << e.what();
  }
}

TEST(MaskFactory, FromLogitsArgmaxLowestIndexOnTies) {
  // C = 3 over 1 x 4: clear winners, a tie between 1 and 2, and a three-way tie.
  const at::Tensor logits = at::tensor({0.9f, 0.1f, 0.2f, 5.0f,   // class 0
                                        0.0f, 0.8f, 0.7f, 5.0f,   // class 1
                                        0.1f, 0.3f, 0.7f, 5.0f})  // class 2
                                .view({3, 1, 4});
  const ImageMask m = ImageMask::from_logits(logits);
  EXPECT_EQ(values_of(m), (std::vector<uint8_t>{0, 1, 1, 0}));
  EXPECT_EQ(values_of(ImageMask::from_logits(logits.to(at::kDouble))), values_of(m));
  EXPECT_EQ(values_of(ImageMask::from_logits(logits.to(at::kHalf))), values_of(m));
  EXPECT_EQ(values_of(ImageMask::from_logits(logits.to(at::kBFloat16))), values_of(m));
  EXPECT_EQ(values_of(ImageMask::from_logits(logits.clone().requires_grad_(true))), values_of(m));
  // Non-contiguous input (a transposed view) gives the same classes.
  const at::Tensor t = logits.transpose(1, 2).contiguous().transpose(1, 2);
  EXPECT_EQ(values_of(ImageMask::from_logits(t)), values_of(m));

  const ClassLabels labels{{0, "sky"}, {1, "road"}, {2, "car"}};
  EXPECT_EQ(ImageMask::from_logits(logits, labels).class_labels(), labels);

  // 256 classes: the last one is class 255.
  at::Tensor wide = at::zeros({256, 1, 2});
  wide[255][0][0] = 1.0f;
  wide[17][0][1] = 1.0f;
  EXPECT_EQ(values_of(ImageMask::from_logits(wide)), (std::vector<uint8_t>{255, 17}));
}

TEST(MaskFactory, FromLogitsErrors) {
  try {
    ImageMask::from_logits(at::zeros({2, 2, 2}, at::kLong));
    ADD_FAILURE() << "expected TypeError";
  } catch (const wandb::TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("mask logits: expected a floating-point tensor, got Long"),
              std::string::npos)
        << e.what();
  }
  auto expect_value = [](const at::Tensor& t, const std::string& fragment) {
    try {
      ImageMask::from_logits(t);
      ADD_FAILURE() << "expected ValueError: " << fragment;
    } catch (const wandb::ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_value(at::zeros({257, 1, 1}),
               "expected at most 256 classes so that class ids fit in 0..255, got 257");
  expect_value(at::zeros({1, 2, 2, 2}),
               "expected a (C, H, W) tensor with every dimension at least 1, got [1, 2, 2, 2]");
  expect_value(at::zeros({4, 4}), "got [4, 4]");
  expect_value(at::zeros({3, 0, 2}), "got [3, 0, 2]");
  expect_value(at::Tensor(), "got an undefined tensor");
}

TEST(MaskFactory, RendersLikeAnyMask) {
  at::Tensor logits = at::zeros({3, kH, kW});
  logits[2].narrow(1, 50, 50).fill_(1.0f);
  ImageOptions o;
  o.masks = {{"pred", ImageMask::from_logits(logits)}};
  const Image image(at::zeros({3, kH, kW}), o);
  RenderOptions r;
  r.mask_alpha = 1.0;
  const cv::Mat out = wandb::render(image, r);
  EXPECT_EQ(px(out, 30, 49), kBlackPx);
  EXPECT_EQ(px(out, 30, 50), kClass2);
}

}  // namespace
