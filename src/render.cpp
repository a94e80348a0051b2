// OpenCV previews of images with their boxes and masks. Deliberately free of
// LibTorch: the pixels come from Image::pixels_mat().
#include "wandb/render.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "detail/guard.h"
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
}

// The layers of `all` named in `wanted` (all of them when `wanted` is empty), in
// the image's order, so that drawing order never depends on the request's order.
template <class T>
std::vector<const std::pair<std::string, T>*> select_layers(const Layers<T>& all,
                                                            const std::vector<std::string>& wanted,
                                                            const char* kind) {
  std::vector<std::string> names;
  for (const auto& layer : all) names.push_back(layer.first);
  for (const auto& name : wanted) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw ValueError(std::string("render ") + kind + " layer: expected " + quoted_list(names) +
                       ", got \"" + name + "\"");
    }
  }
  std::vector<const std::pair<std::string, T>*> out;
  for (const auto& layer : all) {
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), layer.first) != wanted.end()) {
      out.push_back(&layer);
    }
  }
  return out;
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

PixelBox pixel_box(const Box& box, int width, int height) {
  BoxCorners c = box.corners();
  if (box.domain == BoxDomain::kFraction) {
    c.min_x *= width;
    c.max_x *= width;
    c.min_y *= height;
    c.max_y *= height;
  }
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

// The outline lies inside the box, so the box's extent is exactly its pixel span
// whatever the line width (cv::rectangle centres thick lines on the edge instead).
void draw_outline(cv::Mat& img, const PixelBox& b, int line_width, const cv::Scalar& color) {
  const int64_t w = line_width;
  fill_clipped(img, b.x0, b.y0, b.x1, std::min(b.y1, b.y0 + w - 1), color);  // top
  fill_clipped(img, b.x0, std::max(b.y0, b.y1 - w + 1), b.x1, b.y1, color);  // bottom
  fill_clipped(img, b.x0, b.y0, std::min(b.x1, b.x0 + w - 1), b.y1, color);  // left
  fill_clipped(img, std::max(b.x0, b.x1 - w + 1), b.y0, b.x1, b.y1, color);  // right
}

struct Label {
  PixelBox box;
  cv::Scalar color;
  std::vector<std::string> lines;
};

void draw_label(cv::Mat& img, const Label& label, const FontMetrics& fm, double scale) {
  int block_w = 0;
  for (const auto& line : label.lines) block_w = std::max(block_w, text_width(line, scale));
  block_w += 2 * kTextPad;
  const int block_h = fm.line_height() * static_cast<int>(label.lines.size());
  const PixelBox& b = label.box;
  // Anchor at the top-left corner of the part of the box that is in the image.
  const int64_t ax = std::clamp<int64_t>(b.x0, 0, img.cols - 1);
  const int64_t ay = std::clamp<int64_t>(b.y0, 0, img.rows - 1);
  int64_t top = ay - block_h >= 0 ? ay - block_h : ay;
  int64_t left = std::min<int64_t>(ax, img.cols - block_w);
  left = std::max<int64_t>(left, 0);
  fill_clipped(img, left, top, left + block_w - 1, top + block_h - 1, label.color);
  const cv::Scalar ink = text_color_on(label.color);
  for (size_t i = 0; i < label.lines.size(); ++i) {
    const int64_t baseline_y =
        top + static_cast<int64_t>(i) * fm.line_height() + kTextPad + fm.ascent;
    cv::putText(img, label.lines[i],
                cv::Point(static_cast<int>(left + kTextPad), static_cast<int>(baseline_y)), kFont,
                scale, ink, kTextThickness, cv::LINE_AA);
  }
}

std::vector<std::string> label_lines(const Box& box, const ClassLabels& labels,
                                     const RenderOptions& o) {
  std::vector<std::string> lines;
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
      if (!ascii.empty()) lines.push_back(std::move(ascii));
    }
  }
  if (o.draw_scores) {
    for (const auto& [name, value] : box.scores)
      lines.push_back(ascii_text(format_score(name, value)));
  }
  return lines;
}

// The colour term of the blend is precomputed per class so that the per-pixel
// work stays one multiply-add per channel.
void blend_mask(cv::Mat& img, const ImageMask& mask, const RenderOptions& o) {
  std::array<bool, 256> drawn{};
  std::array<cv::Scalar, 256> color{};
  for (int c = 0; c < 256; ++c) {
    drawn[c] = mask_class_drawn(c, o);
    if (drawn[c]) color[c] = class_color(c, o) * o.mask_alpha;
  }
  const double keep = 1.0 - o.mask_alpha;
  const std::vector<uint8_t>& values = mask.values();
  for (int y = 0; y < img.rows; ++y) {
    auto* row = img.ptr<cv::Vec3b>(y);
    const uint8_t* classes = values.data() + static_cast<size_t>(y) * img.cols;
    for (int x = 0; x < img.cols; ++x) {
      const uint8_t c = classes[x];
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

// Fits `tile` into a w x h cell (see make_grid's documentation).
void letterbox_into(const cv::Mat& tile, cv::Mat cell) {
  if (tile.size() == cell.size()) {
    tile.copyTo(cell);
    return;
  }
  const double s = std::min(static_cast<double>(cell.cols) / tile.cols,
                            static_cast<double>(cell.rows) / tile.rows);
  const int w = std::clamp(static_cast<int>(std::lround(tile.cols * s)), 1, cell.cols);
  const int h = std::clamp(static_cast<int>(std::lround(tile.rows * s)), 1, cell.rows);
  cv::Mat scaled;
  if (w == tile.cols && h == tile.rows) {
    scaled = tile;
  } else {
    cv::resize(tile, scaled, cv::Size(w, h), 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_NEAREST);
  }
  scaled.copyTo(cell(cv::Rect((cell.cols - w) / 2, (cell.rows - h) / 2, w, h)));
}

// Shortens `text` with "..." until it is at most `max_width` pixels wide.
std::string fit_text(std::string text, int max_width, double scale) {
  if (text_width(text, scale) <= max_width) return text;
  while (!text.empty()) {
    text.pop_back();
    const std::string candidate = text + "...";
    if (text_width(candidate, scale) <= max_width) return candidate;
  }
  return text_width("...", scale) <= max_width ? "..." : "";
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

cv::Mat render_legend(const ClassLabels& labels, const RenderOptions& options) try {
  check_options(options);
  if (labels.empty()) throw ValueError("legend: expected at least one class, got none");
  const FontMetrics fm = metrics(options.font_scale);
  const int row_h = fm.line_height();
  const int swatch = row_h - 2;
  int width = 0;
  std::vector<std::string> names;
  for (const auto& [id, name] : labels) {
    names.push_back(ascii_text(name));
    width = std::max(width, text_width(names.back(), options.font_scale));
  }
  width += 3 * kTextPad + swatch + 2 * kTextPad;
  const int height = row_h * static_cast<int>(labels.size()) + 2 * kTextPad;
  cv::Mat out(height, width, CV_8UC3, kWhite);
  int y = kTextPad;
  size_t i = 0;
  for (const auto& [id, name] : labels) {
    (void)name;
    const cv::Rect sw(2 * kTextPad, y + 1, swatch, swatch);
    out(sw).setTo(class_color(id, options));
    cv::rectangle(out, sw, kBlack, 1);  // keeps white and pale swatches visible
    cv::putText(out, names[i++], cv::Point(sw.x + swatch + 2 * kTextPad, y + kTextPad + fm.ascent),
                kFont, options.font_scale, kBlack, kTextThickness, cv::LINE_AA);
    y += row_h;
  }
  return out;
} WANDB_PUBLIC_CALL("render_legend")

cv::Mat render(const Image& image, const RenderOptions& options) try {
  check_options(options);
  // pixels_mat() returns the image's own copy: drawing on it changes nothing else.
  cv::Mat img = to_bgr(image);

  std::vector<const std::pair<std::string, ImageMask>*> masks;
  std::vector<const std::pair<std::string, BoundingBoxes2D>*> boxes;
  // Both selections are validated before drawing so an error never leaves half a picture.
  if (options.draw_masks) masks = select_layers(image.masks(), options.mask_layers, "mask");
  if (options.draw_boxes) boxes = select_layers(image.boxes(), options.box_layers, "box");
  for (const auto* layer : masks) {
    const ImageMask& m = layer->second;
    if (m.width() != img.cols || m.height() != img.rows) {
      throw ValueError("render mask layer \"" + layer->first + "\": expected " +
                       std::to_string(img.cols) + "x" + std::to_string(img.rows) +
                       " (width x height, the image's size), got " + std::to_string(m.width()) +
                       "x" + std::to_string(m.height()));
    }
  }

  for (const auto* layer : masks) blend_mask(img, layer->second, options);

  std::vector<Label> labels;
  for (const auto* layer : boxes) {
    const BoundingBoxes2D& b = layer->second;
    for (const Box& box : b.boxes()) {
      if (!options.classes.empty() && !(box.class_id && class_selected(*box.class_id, options))) {
        continue;
      }
      const cv::Scalar color = box.class_id ? class_color(*box.class_id, options) : kWhite;
      const PixelBox pb = pixel_box(box, img.cols, img.rows);
      draw_outline(img, pb, options.line_width, color);
      const bool visible = pb.x1 >= 0 && pb.y1 >= 0 && pb.x0 < img.cols && pb.y0 < img.rows;
      if (!visible) continue;
      std::vector<std::string> lines = label_lines(box, b.class_labels(), options);
      if (!lines.empty()) labels.push_back({pb, color, std::move(lines)});
    }
  }
  if (!labels.empty()) {
    const FontMetrics fm = metrics(options.font_scale);
    for (const Label& label : labels) draw_label(img, label, fm, options.font_scale);
  }

  if (!options.legend) return img;
  ClassLabels legend;  // boxes first, then masks, as Image::classes() orders them
  for (const auto* layer : boxes) {
    for (const auto& [id, name] : layer->second.class_labels()) {
      if (class_selected(id, options)) legend.set(id, name);
    }
  }
  for (const auto* layer : masks) {
    for (const auto& [id, name] : layer->second.class_labels()) {
      if (mask_class_drawn(id, options)) legend.set(id, name);
    }
  }
  if (legend.empty()) return img;
  const cv::Mat panel = render_legend(legend, options);
  cv::Mat out(std::max(img.rows, panel.rows), img.cols + panel.cols, CV_8UC3, kWhite);
  img.copyTo(out(cv::Rect(0, 0, img.cols, img.rows)));
  panel.copyTo(out(cv::Rect(img.cols, 0, panel.cols, panel.rows)));
  return out;
} WANDB_PUBLIC_CALL("render")

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

  std::vector<cv::Mat> tiles;
  tiles.reserve(images.size());
  int cell_w = ts.width, cell_h = ts.height;
  for (const Image& image : images) {
    tiles.push_back(options.render_overlays ? render(image, options.render) : to_bgr(image));
    if (auto_size) {
      cell_w = std::max(cell_w, tiles.back().cols);
      cell_h = std::max(cell_h, tiles.back().rows);
    }
  }

  const double scale = options.render.font_scale;
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
  for (int i = 0; i < n; ++i) {
    const int x = pad + (i % cols) * (cell_w + pad);
    const int y = pad + (i / cols) * (cell_h + strip + pad);
    letterbox_into(tiles[i], sheet(cv::Rect(x, y, cell_w, cell_h)));
    if (strip && !captions[i].empty()) {
      const int tw = text_width(captions[i], scale);
      cv::Mat cell_strip = sheet(cv::Rect(x, y + cell_h, cell_w, strip));
      cv::putText(cell_strip, captions[i], cv::Point((cell_w - tw) / 2, kTextPad + fm.ascent),
                  kFont, scale, ink, kTextThickness, cv::LINE_AA);
    }
  }
  return sheet;
} WANDB_PUBLIC_CALL("make_grid")

}  // namespace wandb
