// OpenCV previews of images with their boxes and masks. Deliberately free of
// LibTorch: the pixels come from Image::pixels_mat().
#include "wandb/render.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <optional>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "detail/guard.h"
#include "detail/render_layout.h"
#include "wandb/errors.h"

namespace wandb {
namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr int kTextThickness = 1;
constexpr int kTextPad = 2;  // between a text and the edge of its background block

// RGB hex of Trubetskoy's "20 distinct colours", in the order documented in render.h.
constexpr std::array<uint32_t, 20> kPalette = {0xe6194b, 0x3cb44b, 0xffe119, 0x4363d8, 0xf58231,
                                               0x911eb4, 0x42d4f4, 0xf032e6, 0xbfef45, 0xfabed4,
                                               0x469990, 0xdcbeff, 0x9a6324, 0xfffac8, 0x800000,
                                               0xaaffc3, 0x808000, 0xffd8b1, 0x000075, 0xa9a9a9};

const cv::Scalar kWhite(255, 255, 255);
const cv::Scalar kBlack(0, 0, 0);

std::string quoted_list(const std::vector<std::string>& names) {
  if (names.empty()) return "no layers";
  std::string out = "one of ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += "\"" + names[i] + "\"";
  }
  return out;
}

void check_options(const RenderOptions& o) {
  if (!(o.mask_alpha >= 0.0 && o.mask_alpha <= 1.0)) {  // also rejects NaN
    std::ostringstream os;
    os << "mask_alpha: expected a value in [0, 1], got " << o.mask_alpha;
    throw ValueError(os.str());
  }
  if (o.line_width < 1) {
    throw ValueError("line_width: expected a positive number of pixels, got " +
                     std::to_string(o.line_width));
  }
  if (!(o.font_scale > 0.0) || !std::isfinite(o.font_scale)) {
    std::ostringstream os;
    os << "font_scale: expected a positive finite number, got " << o.font_scale;
    throw ValueError(os.str());
  }
  if (!(o.scale > 0.0) || !std::isfinite(o.scale)) {
    std::ostringstream os;
    os << "render scale: expected a positive finite number, got " << o.scale;
    throw ValueError(os.str());
  }
}

// The display size of a width x height image at `scale` (see RenderOptions::scale).
cv::Size display_size(int width, int height, double scale) {
  const double w = std::max(1.0, std::round(width * scale));
  const double h = std::max(1.0, std::round(height * scale));
  if (w > Image::MAX_DIMENSION || h > Image::MAX_DIMENSION) {
    std::ostringstream os;
    os << "render scale: expected a display size at most " << Image::MAX_DIMENSION
       << " pixels wide and high, got " << w << "x" << h << " (" << width << "x" << height
       << " times " << scale << ")";
    throw ValueError(os.str());
  }
  return {static_cast<int>(w), static_cast<int>(h)};
}

int interpolation(Resample r, cv::Size from, cv::Size to) {
  switch (r) {
    case Resample::kNearest: return cv::INTER_NEAREST_EXACT;
    case Resample::kLinear: return cv::INTER_LINEAR;
    case Resample::kArea: return cv::INTER_AREA;
    case Resample::kAuto: break;
  }
  const bool shrinks = to.width < from.width || to.height < from.height;
  return shrinks ? cv::INTER_AREA : cv::INTER_NEAREST_EXACT;
}

cv::Mat resampled(const cv::Mat& m, cv::Size to, int interp) {
  if (m.size() == to) return m;
  cv::Mat out;
  cv::resize(m, out, to, 0, 0, interp);
  return out;
}

// The layers of `all` named in `wanted` (all of them when `wanted` is empty), in
// the image's order, so that drawing order never depends on the request's order.
// Each comes with its index among all the image's layers.
template <class T>
std::vector<std::pair<size_t, const std::pair<std::string, T>*>> select_layers(
    const Layers<T>& all, const std::vector<std::string>& wanted, const char* kind) {
  std::vector<std::string> names;
  for (const auto& layer : all) names.push_back(layer.first);
  for (const auto& name : wanted) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw ValueError(std::string("render ") + kind + " layer: expected " + quoted_list(names) +
                       ", got \"" + name + "\"");
    }
  }
  std::vector<std::pair<size_t, const std::pair<std::string, T>*>> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), all[i].first) != wanted.end()) {
      out.emplace_back(i, &all[i]);
    }
  }
  return out;
}

BoxStyle default_style(size_t layer_index) {
  constexpr std::array<BoxStyle, 3> kCycle = {BoxStyle::kSolid, BoxStyle::kDashed,
                                              BoxStyle::kDotted};
  return kCycle[layer_index % kCycle.size()];
}

BoxStyle style_of(const std::string& layer, size_t index, const RenderOptions& o) {
  const auto it = o.layer_styles.find(layer);
  return it != o.layer_styles.end() ? it->second : default_style(index);
}

bool class_selected(int64_t id, const RenderOptions& o) {
  return o.classes.empty() || std::find(o.classes.begin(), o.classes.end(), id) != o.classes.end();
}

// Whether a mask's class is painted (the legend lists exactly these).
bool mask_class_drawn(int64_t id, const RenderOptions& o) {
  return class_selected(id, o) && !(id == 0 && o.mask_zero_transparent);
}

// Black text on light colours, white on dark ones (ITU-R BT.601 luma).
cv::Scalar text_color_on(const cv::Scalar& bgr) {
  const double luma = 0.114 * bgr[0] + 0.587 * bgr[1] + 0.299 * bgr[2];
  return luma > 140 ? kBlack : kWhite;
}

// One line height for every text, so that lines of a block do not jitter with
// their letters' descenders.
struct FontMetrics {
  int ascent = 0;
  int descent = 0;
  int line_height() const { return ascent + descent + 2 * kTextPad; }
};

FontMetrics metrics(double scale) {
  int baseline = 0;
  const cv::Size s = cv::getTextSize("Ag", kFont, scale, kTextThickness, &baseline);
  return {s.height, baseline};
}

int text_width(const std::string& text, double scale) {
  int baseline = 0;
  return cv::getTextSize(text, kFont, scale, kTextThickness, &baseline).width;
}

// Shortens `text` with "..." until it is at most `max_width` pixels wide; "" when
// not even "..." fits.
std::string fit_text(std::string text, int max_width, double scale) {
  if (text_width(text, scale) <= max_width) return text;
  // Widths grow with the prefix length, so the longest prefix that fits with
  // "..." is found by bisection: a caption of any length costs a few measures.
  size_t lo = 0, hi = text.size();  // the prefix of length lo fits (or lo is 0)
  while (lo < hi) {
    const size_t mid = (lo + hi + 1) / 2;
    if (text_width(text.substr(0, mid) + "...", scale) <= max_width) lo = mid;
    else hi = mid - 1;
  }
  if (lo == 0) return text_width("...", scale) <= max_width ? "..." : "";
  return text.substr(0, lo) + "...";
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    const size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::string format_score(const std::string& name, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", value);
  return name + ": " + buf;
}

// Rounds an edge position to a pixel boundary (halves up). Positions far outside
// any image are clamped first, so the integer arithmetic below cannot overflow.
int64_t edge(double v) {
  constexpr double kLimit = 1e9;
  return static_cast<int64_t>(std::floor(std::clamp(v, -kLimit, kLimit) + 0.5));
}

// Inclusive pixel span of a box; see the geometry notes in render.h.
struct PixelBox {
  int64_t x0, y0, x1, y1;
};

// `image` is the image's own size, `display` the picture's.
PixelBox pixel_box(const Box& box, cv::Size image, cv::Size display) {
  BoxCorners c = box.corners();
  // Fractions go straight to display pixels, so 0..1 covers the picture exactly.
  const double sx = box.domain == BoxDomain::kFraction
                        ? display.width
                        : static_cast<double>(display.width) / image.width;
  const double sy = box.domain == BoxDomain::kFraction
                        ? display.height
                        : static_cast<double>(display.height) / image.height;
  c.min_x *= sx;
  c.max_x *= sx;
  c.min_y *= sy;
  c.max_y *= sy;
  if (c.min_x > c.max_x) std::swap(c.min_x, c.max_x);
  if (c.min_y > c.max_y) std::swap(c.min_y, c.max_y);
  PixelBox p{edge(c.min_x), edge(c.min_y), edge(c.max_x) - 1, edge(c.max_y) - 1};
  p.x1 = std::max(p.x1, p.x0);
  p.y1 = std::max(p.y1, p.y0);
  return p;
}

// Fills the inclusive rectangle [x0, x1] x [y0, y1], clipped to the image.
void fill_clipped(cv::Mat& img, int64_t x0, int64_t y0, int64_t x1, int64_t y1,
                  const cv::Scalar& color) {
  x0 = std::max<int64_t>(x0, 0);
  y0 = std::max<int64_t>(y0, 0);
  x1 = std::min<int64_t>(x1, img.cols - 1);
  y1 = std::min<int64_t>(y1, img.rows - 1);
  if (x0 > x1 || y0 > y1) return;
  img(cv::Rect(static_cast<int>(x0), static_cast<int>(y0), static_cast<int>(x1 - x0 + 1),
               static_cast<int>(y1 - y0 + 1)))
      .setTo(color);
}

// One edge of an outline: positions start..end along the edge (x for a
// horizontal one), across0..across1 across it, in `style` (see BoxStyle).
void draw_edge(cv::Mat& img, bool horizontal, int64_t start, int64_t end, int64_t across0,
               int64_t across1, BoxStyle style, int64_t u, const cv::Scalar& color) {
  auto fill = [&](int64_t a, int64_t b) {
    if (horizontal) fill_clipped(img, a, across0, b, across1, color);
    else fill_clipped(img, across0, a, across1, b, color);
  };
  if (style == BoxStyle::kSolid) {
    fill(start, end);
    return;
  }
  const int64_t on = style == BoxStyle::kDashed ? 4 * u : u;
  const int64_t period = on + 2 * u;
  // Only the part inside the picture is walked: boxes may reach 1e9 pixels out.
  const int64_t size = horizontal ? img.cols : img.rows;
  const int64_t lo = std::max<int64_t>(start, 0), hi = std::min<int64_t>(end, size - 1);
  int64_t run = -1;  // first position of the current dash, -1 when in a gap
  for (int64_t t = lo; t <= hi; ++t) {
    const bool drawn = std::min(t - start, end - t) % period < on;
    if (drawn && run < 0) run = t;
    if (!drawn && run >= 0) {
      fill(run, t - 1);
      run = -1;
    }
  }
  if (run >= 0) fill(run, hi);
}

// The outline lies inside the box, so the box's extent is exactly its pixel span
// whatever the line width (cv::rectangle centres thick lines on the edge instead).
void draw_outline(cv::Mat& img, const PixelBox& b, int line_width, BoxStyle style,
                  const cv::Scalar& color) {
  const int64_t w = line_width;
  draw_edge(img, true, b.x0, b.x1, b.y0, std::min(b.y1, b.y0 + w - 1), style, w, color);  // top
  draw_edge(img, true, b.x0, b.x1, std::max(b.y0, b.y1 - w + 1), b.y1, style, w, color);  // bottom
  draw_edge(img, false, b.y0, b.y1, b.x0, std::min(b.x1, b.x0 + w - 1), style, w, color);  // left
  draw_edge(img, false, b.y0, b.y1, std::max(b.x0, b.x1 - w + 1), b.x1, style, w, color);  // right
}

struct Label {
  PixelBox box;
  cv::Scalar color;
  std::vector<std::string> lines;
  size_t title_lines = 0;  // the caption's lines; the rest are scores
  // 0: a block filled with the box colour (solid layers). Otherwise a white
  // block framed this thick in the box colour (dashed and dotted layers), so
  // that labels of two layers of one class differ as much as their lines do.
  int frame = 0;
};

// Keeps the lines of `label` that fit a picture `width` x `height`: each
// shortened to the width, and as many as fit the height.
void fit_lines(Label& label, int width, int height, const FontMetrics& fm, double scale) {
  std::vector<std::string> kept;
  size_t titles = 0;
  const size_t max_lines =
      static_cast<size_t>(std::max(0, (height - 2 * label.frame) / fm.line_height()));
  for (size_t i = 0; i < label.lines.size() && kept.size() < max_lines; ++i) {
    std::string fitted =
        fit_text(std::move(label.lines[i]), width - 2 * (kTextPad + label.frame), scale);
    if (fitted.empty()) continue;
    kept.push_back(std::move(fitted));
    if (i < label.title_lines) ++titles;
  }
  label.lines = std::move(kept);
  label.title_lines = titles;
}

cv::Size block_size(const Label& label, const FontMetrics& fm, double scale) {
  int w = 0;
  for (const auto& line : label.lines) w = std::max(w, text_width(line, scale));
  return {w + 2 * (kTextPad + label.frame),
          fm.line_height() * static_cast<int>(label.lines.size()) + 2 * label.frame};
}

// The first free spot for a block of `block` size next to `b` (rules in render.h).
std::optional<cv::Rect> place_label(cv::Size block, const PixelBox& b, cv::Size picture,
                                    int line_height, const std::vector<cv::Rect>& taken) {
  constexpr int kMaxShift = 4;  // lines a label may move away from its box
  // The part of the box inside the picture: a label follows what can be seen.
  const int64_t vx0 = std::clamp<int64_t>(b.x0, 0, picture.width - 1);
  const int64_t vx1 = std::clamp<int64_t>(b.x1, 0, picture.width - 1);
  const int64_t vy0 = std::clamp<int64_t>(b.y0, 0, picture.height - 1);
  const int64_t vy1 = std::clamp<int64_t>(b.y1, 0, picture.height - 1);
  const int64_t max_left = picture.width - block.width;
  const std::array<int64_t, 2> lefts = {std::clamp<int64_t>(vx0, 0, max_left),
                                        std::clamp<int64_t>(vx1 + 1 - block.width, 0, max_left)};
  const int64_t above = vy0 - block.height, inside = vy0, below = vy1 + 1;
  for (int k = 0; k <= kMaxShift; ++k) {
    const int64_t shift = static_cast<int64_t>(k) * line_height;
    for (const int64_t top : {above - shift, inside + shift, below + shift}) {
      if (top < 0 || top + block.height > picture.height) continue;
      for (const int64_t left : lefts) {
        const cv::Rect r(static_cast<int>(left), static_cast<int>(top), block.width, block.height);
        const bool free = std::none_of(taken.begin(), taken.end(),
                                       [&](const cv::Rect& t) { return (t & r).area() > 0; });
        if (free) return r;
      }
    }
  }
  return std::nullopt;
}

void draw_label(cv::Mat& img, const cv::Rect& at, const Label& label, const FontMetrics& fm,
                double scale) {
  // Text is drawn into the block only, so that a glyph's antialiased edge never
  // reaches a neighbouring label.
  cv::Mat block = img(at);
  block.setTo(label.color);
  cv::Scalar paper = label.color;
  if (label.frame > 0) {
    paper = kWhite;
    block(cv::Rect(label.frame, label.frame, at.width - 2 * label.frame,
                   at.height - 2 * label.frame))
        .setTo(paper);
  }
  const cv::Scalar ink = text_color_on(paper);
  for (size_t i = 0; i < label.lines.size(); ++i) {
    const int baseline = label.frame + static_cast<int>(i) * fm.line_height() + kTextPad + fm.ascent;
    cv::putText(block, label.lines[i], cv::Point(label.frame + kTextPad, baseline), kFont, scale,
                ink, kTextThickness, cv::LINE_AA);
  }
}

// Places and draws `labels` in order; returns the blocks drawn.
std::vector<cv::Rect> draw_labels(cv::Mat& img, std::vector<Label>& labels, double scale) {
  std::vector<cv::Rect> taken;
  if (labels.empty()) return taken;
  const FontMetrics fm = metrics(scale);
  for (Label& label : labels) {
    fit_lines(label, img.cols, img.rows, fm, scale);
    if (label.lines.empty()) continue;
    std::optional<cv::Rect> at =
        place_label(block_size(label, fm, scale), label.box, img.size(), fm.line_height(), taken);
    if (!at && label.title_lines > 0 && label.title_lines < label.lines.size()) {
      label.lines.resize(label.title_lines);  // scores go first when space is short
      at = place_label(block_size(label, fm, scale), label.box, img.size(), fm.line_height(),
                       taken);
    }
    if (!at) continue;
    draw_label(img, *at, label, fm, scale);
    taken.push_back(*at);
  }
  return taken;
}

Label make_label(const Box& box, const ClassLabels& labels, const RenderOptions& o) {
  Label label;
  if (o.draw_captions) {
    std::string title;
    if (box.caption && !box.caption->empty()) {
      title = *box.caption;
    } else if (box.class_id) {
      const std::string* name = labels.find(*box.class_id);
      title = name ? *name : "class_" + std::to_string(*box.class_id);
    }
    for (const auto& line : split_lines(title)) {
      std::string ascii = ascii_text(line);
      if (!ascii.empty()) label.lines.push_back(std::move(ascii));
    }
  }
  label.title_lines = label.lines.size();
  if (o.draw_scores) {
    for (const auto& [name, value] : box.scores)
      label.lines.push_back(ascii_text(format_score(name, value)));
  }
  return label;
}

// The colour term of the blend is precomputed per class so that the per-pixel
// work stays one multiply-add per channel. `classes` is CV_8U of img's size.
void blend_mask(cv::Mat& img, const cv::Mat& classes, const RenderOptions& o) {
  std::array<bool, 256> drawn{};
  std::array<cv::Scalar, 256> color{};
  for (int c = 0; c < 256; ++c) {
    drawn[c] = mask_class_drawn(c, o);
    if (drawn[c]) color[c] = class_color(c, o) * o.mask_alpha;
  }
  const double keep = 1.0 - o.mask_alpha;
  for (int y = 0; y < img.rows; ++y) {
    auto* row = img.ptr<cv::Vec3b>(y);
    const uint8_t* ids = classes.ptr<uint8_t>(y);
    for (int x = 0; x < img.cols; ++x) {
      const uint8_t c = ids[x];
      if (!drawn[c]) continue;
      for (int ch = 0; ch < 3; ++ch) {
        const double v = std::floor(row[x][ch] * keep + color[c][ch] + 0.5);
        row[x][ch] = cv::saturate_cast<uint8_t>(v);
      }
    }
  }
}

cv::Mat to_bgr(const Image& image) {
  if (image.is_reference()) {
    throw ValueError("render: expected an image with pixels, got a reference to " +
                     image.source_path());
  }
  const cv::Mat px = image.pixels_mat();
  cv::Mat bgr;
  switch (px.channels()) {
    case 1: cv::cvtColor(px, bgr, cv::COLOR_GRAY2BGR); break;
    case 2: {  // L A: the luma channel only
      cv::Mat luma;
      cv::extractChannel(px, luma, 0);
      cv::cvtColor(luma, bgr, cv::COLOR_GRAY2BGR);
      break;
    }
    case 3: bgr = px; break;
    case 4: cv::cvtColor(px, bgr, cv::COLOR_BGRA2BGR); break;
    default:
      throw ValueError("render: expected 1 to 4 channels, got " + std::to_string(px.channels()));
  }
  return bgr;
}

// What a rendering drew, for legends and tests.
struct Drawn {
  std::vector<cv::Rect> labels;
  std::map<int64_t, std::string> classes;                // by id, as the legend lists them
  std::vector<std::pair<std::string, BoxStyle>> layers;  // the box layers drawn
};

// render() at an explicit display size, without the legend.
cv::Mat draw(const Image& image, const RenderOptions& options, cv::Size display, Drawn* drawn) {
  const cv::Mat pixels = to_bgr(image);
  const cv::Size native = pixels.size();

  std::vector<std::pair<size_t, const std::pair<std::string, ImageMask>*>> masks;
  std::vector<std::pair<size_t, const std::pair<std::string, BoundingBoxes2D>*>> boxes;
  // Both selections are validated before drawing so an error never leaves half a picture.
  if (options.draw_masks) masks = select_layers(image.masks(), options.mask_layers, "mask");
  if (options.draw_boxes) boxes = select_layers(image.boxes(), options.box_layers, "box");
  for (const auto& [index, layer] : masks) {
    (void)index;
    const ImageMask& m = layer->second;
    if (m.width() != native.width || m.height() != native.height) {
      throw ValueError("render mask layer \"" + layer->first + "\": expected " +
                       std::to_string(native.width) + "x" + std::to_string(native.height) +
                       " (width x height, the image's size), got " + std::to_string(m.width()) +
                       "x" + std::to_string(m.height()));
    }
  }

  // A resampled Mat is a new buffer; an unresampled one is pixels_mat()'s own copy
  // (or to_bgr's conversion): drawing on it changes nothing else.
  cv::Mat img = resampled(pixels, display, interpolation(options.resample, native, display));

  for (const auto& [index, layer] : masks) {
    (void)index;
    const std::vector<uint8_t>& values = layer->second.values();
    // Read-only header over the mask's values; resize() and blend only read it.
    const cv::Mat ids(native.height, native.width, CV_8U, const_cast<uint8_t*>(values.data()));
    blend_mask(img, resampled(ids, display, cv::INTER_NEAREST_EXACT), options);
  }

  std::vector<Label> labels;
  for (const auto& [index, layer] : boxes) {
    const BoundingBoxes2D& b = layer->second;
    const BoxStyle style = style_of(layer->first, index, options);
    if (drawn) drawn->layers.emplace_back(layer->first, style);
    for (const Box& box : b.boxes()) {
      if (!options.classes.empty() && !(box.class_id && class_selected(*box.class_id, options))) {
        continue;
      }
      const cv::Scalar color = box.class_id ? class_color(*box.class_id, options) : kWhite;
      const PixelBox pb = pixel_box(box, native, display);
      draw_outline(img, pb, options.line_width, style, color);
      const bool visible = pb.x1 >= 0 && pb.y1 >= 0 && pb.x0 < img.cols && pb.y0 < img.rows;
      if (!visible) continue;
      Label label = make_label(box, b.class_labels(), options);
      if (!label.lines.empty()) {
        label.box = pb;
        label.color = color;
        label.frame = style == BoxStyle::kSolid ? 0 : std::min(options.line_width, 3);
        labels.push_back(std::move(label));
      }
    }
  }
  std::vector<cv::Rect> placed = draw_labels(img, labels, options.font_scale);

  if (drawn) {
    drawn->labels = std::move(placed);
    // Classes that appear in the picture; a mask layer's name wins over a box
    // layer's, as in Image::classes().
    std::map<int64_t, std::string> box_classes, mask_classes;
    for (const auto& [index, layer] : boxes) {
      (void)index;
      const ClassLabels& names = layer->second.class_labels();
      for (const Box& box : layer->second.boxes()) {
        if (!box.class_id || !class_selected(*box.class_id, options)) continue;
        const std::string* name = names.find(*box.class_id);
        box_classes[*box.class_id] = name ? *name : "class_" + std::to_string(*box.class_id);
      }
    }
    for (const auto& [index, layer] : masks) {
      (void)index;
      std::array<bool, 256> present{};
      for (const uint8_t v : layer->second.values()) present[v] = true;
      const ClassLabels& names = layer->second.class_labels();
      for (int id = 0; id < 256; ++id) {
        if (!present[id] || !mask_class_drawn(id, options)) continue;
        const std::string* name = names.find(id);
        mask_classes[id] = name ? *name : "class_" + std::to_string(id);
      }
    }
    mask_classes.merge(box_classes);  // keeps the mask's name for an id in both
    drawn->classes = std::move(mask_classes);
  }
  return img;
}

// The legend of what was drawn, or an empty Mat when there is nothing to list.
cv::Mat legend_for(const Drawn& drawn, const RenderOptions& options) {
  const std::vector<std::pair<std::string, BoxStyle>> no_layers;
  const auto& layers = drawn.layers.size() >= 2 ? drawn.layers : no_layers;
  if (drawn.classes.empty() && layers.empty()) return {};
  ClassLabels classes;
  for (const auto& [id, name] : drawn.classes) classes.set(id, name);
  return render_legend(classes, options, layers);
}

// `picture` with `panel` on its right, top aligned, on `fill`.
cv::Mat append_right(const cv::Mat& picture, const cv::Mat& panel, const cv::Scalar& fill) {
  cv::Mat out(std::max(picture.rows, panel.rows), picture.cols + panel.cols, CV_8UC3, fill);
  picture.copyTo(out(cv::Rect(0, 0, picture.cols, picture.rows)));
  panel.copyTo(out(cv::Rect(picture.cols, 0, panel.cols, panel.rows)));
  return out;
}

}  // namespace

cv::Scalar palette_color(int64_t class_id) try {
  const int64_t n = static_cast<int64_t>(kPalette.size());
  const uint32_t rgb = kPalette[static_cast<size_t>(((class_id % n) + n) % n)];
  return cv::Scalar(rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff);
} WANDB_PUBLIC_CALL("palette_color")

cv::Scalar class_color(int64_t class_id, const RenderOptions& options) try {
  const auto it = options.class_colors.find(class_id);
  return it != options.class_colors.end() ? it->second : palette_color(class_id);
} WANDB_PUBLIC_CALL("class_color")

std::string ascii_text(std::string_view utf8) try {
  std::string out;
  out.reserve(utf8.size());
  size_t i = 0;
  while (i < utf8.size()) {
    const auto b = static_cast<unsigned char>(utf8[i]);
    if (b == '\t') {
      out += ' ';
      ++i;
      continue;
    }
    if (b >= 0x20 && b < 0x7f) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    out += '?';
    // Swallow the continuation bytes of a well-formed sequence so that one
    // character gives one '?'; a malformed byte is replaced on its own.
    size_t len = 1;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (b >= 0xc2 && b <= 0xdf) {
      len = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b == 0xe0) lo = 0xa0;  // overlong
      if (b == 0xed) hi = 0x9f;  // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b == 0xf0) lo = 0x90;  // overlong
      if (b == 0xf4) hi = 0x8f;  // above U+10FFFF
    }
    bool ok = len > 1 && i + len <= utf8.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto c = static_cast<unsigned char>(utf8[i + k]);
      ok = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xbf);
    }
    i += ok ? len : 1;
  }
  return out;
} WANDB_PUBLIC_CALL("ascii_text")

cv::Mat render_legend(const ClassLabels& labels, const RenderOptions& options,
                      const std::vector<std::pair<std::string, BoxStyle>>& box_layers) try {
  check_options(options);
  if (labels.empty() && box_layers.empty()) {
    throw ValueError("legend: expected at least one class or box layer, got none");
  }
  const FontMetrics fm = metrics(options.font_scale);
  const int row_h = fm.line_height();
  const int swatch = row_h - 2;
  const int u = options.line_width;
  // Wide enough for two dashes and a gap from each end: the pattern reads as dashed.
  const int sample = box_layers.empty() ? swatch : std::max({swatch, 24, 16 * u});
  const int text_x = 2 * kTextPad + sample + 2 * kTextPad;
  int width = 0;
  std::vector<std::string> names;
  for (const auto& [id, name] : labels) {
    (void)id;
    names.push_back(ascii_text(name));
    width = std::max(width, text_width(names.back(), options.font_scale));
  }
  for (const auto& [name, style] : box_layers) {
    (void)style;
    names.push_back(ascii_text(name));
    width = std::max(width, text_width(names.back(), options.font_scale));
  }
  width += text_x + 2 * kTextPad;
  const int rows = static_cast<int>(labels.size() + box_layers.size());
  const int height = std::max(row_h * rows + 2 * kTextPad, u + 2 * kTextPad);
  cv::Mat out(height, width, CV_8UC3, kWhite);
  int y = kTextPad;
  size_t i = 0;
  auto name_at = [&](int row_y) {
    cv::putText(out, names[i++], cv::Point(text_x, row_y + kTextPad + fm.ascent), kFont,
                options.font_scale, kBlack, kTextThickness, cv::LINE_AA);
  };
  for (const auto& [id, name] : labels) {
    (void)name;
    const cv::Rect sw(2 * kTextPad, y + 1, swatch, swatch);
    out(sw).setTo(class_color(id, options));
    cv::rectangle(out, sw, kBlack, 1);  // keeps white and pale swatches visible
    name_at(y);
    y += row_h;
  }
  const cv::Scalar grey(64, 64, 64);
  for (const auto& [name, style] : box_layers) {
    (void)name;
    const int64_t top = y + (row_h - u) / 2;
    draw_edge(out, true, 2 * kTextPad, 2 * kTextPad + sample - 1, top, top + u - 1, style, u, grey);
    name_at(y);
    y += row_h;
  }
  return out;
} WANDB_PUBLIC_CALL("render_legend")

cv::Mat render(const Image& image, const RenderOptions& options) try {
  check_options(options);
  if (image.is_reference()) (void)to_bgr(image);  // its error, before any size arithmetic
  Drawn drawn;
  cv::Mat img = draw(image, options, display_size(image.width(), image.height(), options.scale),
                     options.legend ? &drawn : nullptr);
  if (!options.legend) return img;
  const cv::Mat panel = legend_for(drawn, options);
  return panel.empty() ? img : append_right(img, panel, kWhite);
} WANDB_PUBLIC_CALL("render")

std::vector<cv::Rect> detail::label_rects(const Image& image, const RenderOptions& options) {
  check_options(options);
  Drawn drawn;
  (void)draw(image, options, display_size(image.width(), image.height(), options.scale), &drawn);
  return drawn.labels;
}

cv::Mat make_grid(const std::vector<Image>& images, const GridOptions& options) try {
  if (images.empty()) throw ValueError("make_grid: expected at least one image, got none");
  if (options.columns < 1) {
    throw ValueError("make_grid columns: expected at least 1, got " +
                     std::to_string(options.columns));
  }
  if (options.padding < 0) {
    throw ValueError("make_grid padding: expected 0 or more pixels, got " +
                     std::to_string(options.padding));
  }
  check_options(options.render);  // its font is used for the captions even without overlays
  const cv::Size ts = options.tile_size;
  const bool auto_size = ts.width == 0 && ts.height == 0;
  if (!auto_size && (ts.width < 1 || ts.height < 1)) {
    throw ValueError("make_grid tile_size: expected 0x0 or both sides positive, got " +
                     std::to_string(ts.width) + "x" + std::to_string(ts.height));
  }

  // One style per layer name across the sheet, so that a layer looks the same in
  // every tile even when images order their layers differently.
  RenderOptions r = options.render;
  for (const Image& image : images) {
    for (size_t i = 0; i < image.boxes().size(); ++i) {
      r.layer_styles.try_emplace(image.boxes()[i].first, default_style(i));
    }
  }

  int cell_w = ts.width, cell_h = ts.height;
  if (auto_size) {
    for (const Image& image : images) {
      if (image.is_reference()) (void)to_bgr(image);  // its error
      const cv::Size d = display_size(image.width(), image.height(), r.scale);
      cell_w = std::max(cell_w, d.width);
      cell_h = std::max(cell_h, d.height);
    }
  }

  const double scale = r.font_scale;
  std::vector<std::string> captions;
  bool any_caption = false;
  if (options.captions) {
    for (const Image& image : images) {
      std::string text = image.caption().value_or("");
      std::replace(text.begin(), text.end(), '\n', ' ');
      captions.push_back(fit_text(ascii_text(text), cell_w - 2 * kTextPad, scale));
      any_caption = any_caption || !captions.back().empty();
    }
  }
  const FontMetrics fm = metrics(scale);
  const int strip = any_caption ? fm.line_height() : 0;

  const int n = static_cast<int>(images.size());
  const int cols = std::min(options.columns, n);
  const int rows = (n + cols - 1) / cols;
  const int pad = options.padding;
  const int64_t width = static_cast<int64_t>(cols) * (cell_w + pad) + pad;
  const int64_t height = static_cast<int64_t>(rows) * (cell_h + strip + pad) + pad;
  if (width > Image::MAX_DIMENSION || height > Image::MAX_DIMENSION) {
    throw ValueError("make_grid: expected a sheet at most " + std::to_string(Image::MAX_DIMENSION) +
                     " pixels wide and high, got " + std::to_string(width) + "x" +
                     std::to_string(height));
  }
  cv::Mat sheet(static_cast<int>(height), static_cast<int>(width), CV_8UC3, options.background);
  const cv::Scalar ink = text_color_on(options.background);
  Drawn all;  // what the legend lists: classes and layers of every tile
  for (int i = 0; i < n; ++i) {
    const Image& image = images[i];
    const int x = pad + (i % cols) * (cell_w + pad);
    const int y = pad + (i / cols) * (cell_h + strip + pad);
    if (image.is_reference()) (void)to_bgr(image);  // its error
    const double s = std::min(static_cast<double>(cell_w) / image.width(),
                              static_cast<double>(cell_h) / image.height());
    const cv::Size fit(std::clamp(static_cast<int>(std::lround(image.width() * s)), 1, cell_w),
                       std::clamp(static_cast<int>(std::lround(image.height() * s)), 1, cell_h));
    cv::Mat tile;
    if (options.render_overlays) {
      Drawn drawn;
      tile = draw(image, r, fit, r.legend ? &drawn : nullptr);
      all.classes.merge(drawn.classes);  // an id already listed keeps its name
      for (const auto& layer : drawn.layers) {
        const bool seen = std::any_of(all.layers.begin(), all.layers.end(),
                                      [&](const auto& l) { return l.first == layer.first; });
        if (!seen) all.layers.push_back(layer);
      }
    } else {
      const cv::Mat px = to_bgr(image);
      tile = resampled(px, fit, interpolation(r.resample, px.size(), fit));
    }
    tile.copyTo(sheet(cv::Rect(x + (cell_w - fit.width) / 2, y + (cell_h - fit.height) / 2,
                               fit.width, fit.height)));
    if (strip && !captions[i].empty()) {
      const int tw = text_width(captions[i], scale);
      cv::Mat cell_strip = sheet(cv::Rect(x, y + cell_h, cell_w, strip));
      cv::putText(cell_strip, captions[i], cv::Point((cell_w - tw) / 2, kTextPad + fm.ascent),
                  kFont, scale, ink, kTextThickness, cv::LINE_AA);
    }
  }
  if (!(r.legend && options.render_overlays)) return sheet;
  const cv::Mat panel = legend_for(all, r);
  if (panel.empty()) return sheet;
  if (sheet.cols + static_cast<int64_t>(panel.cols) > Image::MAX_DIMENSION) {
    throw ValueError("make_grid: expected a sheet at most " + std::to_string(Image::MAX_DIMENSION) +
                     " pixels wide with its legend, got " +
                     std::to_string(sheet.cols + static_cast<int64_t>(panel.cols)));
  }
  return append_right(sheet, panel, options.background);
} WANDB_PUBLIC_CALL("make_grid")

}  // namespace wandb
