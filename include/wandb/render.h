// Previews of what the W&B media panel shows: an Image's masks, boxes and captions
// drawn with OpenCV, and contact sheets of several images.
//
// Geometry. A box's corners are positions on the continuous image plane in which
// pixel column c spans [c, c + 1) and row r spans [r, r + 1). Fraction-domain
// boxes are scaled first: x by the image WIDTH, y by the image HEIGHT. Each edge
// is then rounded to the nearest pixel boundary, halves up (floor(v + 0.5)):
//   first column = floor(min_x + 0.5), last column = floor(max_x + 0.5) - 1,
//   first row    = floor(min_y + 0.5), last row    = floor(max_y + 0.5) - 1.
// So a pixel-domain box with minX 10, maxX 20 covers the 10 columns 10..19, and a
// fraction box 0..1 covers the whole image. The outline is `line_width` pixels
// thick and lies inside that span (its outer edge is the first/last column and
// row). Corners given in the wrong order are swapped; a box narrower or lower
// than one pixel after rounding still covers one column or row, so zero-area
// boxes show up as lines or dots. Everything is clipped to the image.
//
// Text. OpenCV's Hershey fonts only have ASCII glyphs, so every text is passed
// through ascii_text() before it is drawn.
#pragma once

#include <cstdint>
#include <map>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "wandb/classes.h"
#include "wandb/export.h"
#include "wandb/image.h"

namespace wandb {

/// What render() draws and how. Every field has a usable default; with C++20:
/// `wandb::render(img, {.box_layers = {"predictions"}, .mask_alpha = 0.6})`.
struct RenderOptions {
  /// Draw box layers at all (false hides every box and its label).
  bool draw_boxes = true;
  /// Names of the box layers to draw; empty = every layer. An unknown name is a ValueError.
  std::vector<std::string> box_layers{};
  /// Draw mask layers at all.
  bool draw_masks = true;
  /// Names of the mask layers to draw; empty = every layer. An unknown name is a ValueError.
  std::vector<std::string> mask_layers{};
  /// Class ids to draw, in boxes and masks alike; empty = every class. With a
  /// selection, boxes without a class_id are not drawn.
  std::vector<int64_t> classes{};
  /// Thickness of box outlines in pixels, drawn inwards from the box edge; must be > 0.
  int line_width = 2;
  /// Opacity of mask colours, 0 (invisible) to 1 (opaque). Each mask pixel becomes
  /// floor(pixel * (1 - alpha) + colour * alpha + 0.5) per channel; layers are
  /// blended one after another in the image's layer order.
  double mask_alpha = 0.5;
  /// Leave mask pixels of class 0 (usually "background") untouched, as W&B does by default.
  bool mask_zero_transparent = true;
  /// Colours (B, G, R) that replace the palette for the given class ids.
  std::map<int64_t, cv::Scalar> class_colors{};
  /// Label each box with its caption, or its class name when the caption is
  /// missing or empty (the layer's labels; "class_<id>" for an id they lack).
  bool draw_captions = true;
  /// Add one "name: value" line per score under a box's label (value printed with
  /// up to 4 significant digits).
  bool draw_scores = true;
  /// Append a legend (colour swatch + class name for each drawn class) to the right
  /// of the image; see render().
  bool legend = false;
  /// Scale of the Hershey Simplex font used for every text; must be > 0.
  double font_scale = 0.4;
};

/// Colour (B, G, R) of a class id when RenderOptions::class_colors has none: entry
/// `id mod 20` (non-negative remainder) of Sasha Trubetskoy's "20 distinct colours",
/// in this order (RGB hex): 0 e6194b red, 1 3cb44b green, 2 ffe119 yellow,
/// 3 4363d8 blue, 4 f58231 orange, 5 911eb4 purple, 6 42d4f4 cyan, 7 f032e6 magenta,
/// 8 bfef45 lime, 9 fabed4 pink, 10 469990 teal, 11 dcbeff lavender, 12 9a6324 brown,
/// 13 fffac8 beige, 14 800000 maroon, 15 aaffc3 mint, 16 808000 olive,
/// 17 ffd8b1 apricot, 18 000075 navy, 19 a9a9a9 grey. Ids 20 apart share a colour:
/// give class_colors to tell more than 20 classes apart.
WANDB_IMAGE_EXPORT cv::Scalar palette_color(int64_t class_id);

/// Colour used for `class_id` under `options`: class_colors if it has the id, else
/// palette_color(). Boxes without a class id are drawn in white.
WANDB_IMAGE_EXPORT cv::Scalar class_color(int64_t class_id, const RenderOptions& options = {});

/// `utf8` made drawable with the Hershey fonts: ASCII characters 0x20-0x7E are kept,
/// a tab becomes a space, every other character (a well-formed multi-byte UTF-8
/// sequence, a control character such as a newline, or a byte that is not valid
/// UTF-8) becomes one '?'.
WANDB_IMAGE_EXPORT std::string ascii_text(std::string_view utf8);

/// The image as W&B's media panel would show it, as an 8-bit B G R Mat:
/// 1. the log-ready pixels (Image::pixels_mat()); grey is replicated to three
///    channels and an alpha channel is dropped;
/// 2. each selected mask layer, in layer order, alpha-blended in its class colours
///    (see RenderOptions::mask_alpha and mask_zero_transparent);
/// 3. each selected box layer, in layer order, as outlines in the class colours
///    (geometry at the top of this header);
/// 4. the box labels, after all outlines so that no outline crosses a label: one
///    line with the caption (or the class name, see draw_captions), then
///    "name: value" lines for the scores, on a filled block in the box colour, above
///    the box's top-left corner, or just inside the box when there is no room above.
///    A caption's "\n" starts a new line.
/// With `options.legend`, a white panel listing the drawn classes (box layers'
/// labels, then mask layers' labels, later names winning; the transparent class 0
/// excluded) is appended on the right: the result is then wider (and taller if the
/// legend is), and the image keeps its pixel coordinates at the top left.
///
/// @throws ValueError for a reference image (it has no pixels), an unknown layer
///         name, a drawn mask whose size differs from the image, mask_alpha outside
///         [0, 1], a line_width below 1 or a font_scale that is not positive.
WANDB_IMAGE_EXPORT cv::Mat render(const Image& image, const RenderOptions& options = {});

/// A legend for `labels`: one row per class, a colour swatch (class_color()) and the
/// class name (ascii_text()), black on white. Throws ValueError when `labels` is empty.
WANDB_IMAGE_EXPORT cv::Mat render_legend(const ClassLabels& labels, const RenderOptions& options = {});

/// Layout of make_grid().
struct GridOptions {
  /// Tiles per row; fewer when there are fewer images. Must be > 0.
  int columns = 8;
  /// Pixels between tiles and around the sheet, as in torchvision's make_grid. Must be >= 0.
  int padding = 2;
  /// Colour (B, G, R) of the padding, the letterbox bars and the caption strips.
  cv::Scalar background{0, 0, 0};
  /// Draw each image with render(image, render) (true) or show its raw pixels (false).
  bool render_overlays = true;
  /// Options for render() when render_overlays is true.
  RenderOptions render{};
  /// Write each image's caption (ascii_text(), newlines as spaces, shortened with
  /// "..." to fit) centred in a strip under its tile. The strip exists only when
  /// some image has a non-empty caption.
  bool captions = true;
  /// Size of every tile cell; 0 x 0 = the largest rendered tile's width and height
  /// (taken separately). Both or neither must be zero.
  cv::Size tile_size{0, 0};
};

/// A contact sheet of `images` (like torchvision's make_grid or TensorBoard's
/// add_images), as an 8-bit B G R Mat. With n images, c = min(columns, n) columns
/// and r = ceil(n / c) rows, cell size w x h and caption strip height s (one text
/// line of render.font_scale, 0 when no caption is drawn), the sheet is
/// c * (w + padding) + padding pixels wide and r * (h + s + padding) + padding high.
/// Image i sits in row i / c, column i % c, its cell's top-left corner at
/// x = padding + column * (w + padding), y = padding + row * (h + s + padding).
/// A tile whose size differs from the cell is letterboxed: scaled by
/// min(w / tile width, h / tile height) keeping its aspect ratio (each side rounded
/// to the nearest pixel; INTER_AREA to shrink, INTER_NEAREST to enlarge so that
/// pixels stay crisp) and centred, the left/top margin being the floor of half the
/// spare space.
///
/// @throws ValueError for an empty list, columns < 1, padding < 0, a tile_size with
///         one zero or negative side, a sheet wider or higher than
///         Image::MAX_DIMENSION, invalid `render` options (checked even without
///         overlays, since its font draws the captions), and anything render() throws.
WANDB_IMAGE_EXPORT cv::Mat make_grid(const std::vector<Image>& images, const GridOptions& options = {});

}  // namespace wandb
