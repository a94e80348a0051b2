// Previews of what the W&B media panel shows: an Image's masks, boxes and captions
// drawn with OpenCV, and contact sheets of several images.
//
// Display size. Overlays are drawn at the size the picture is shown, never drawn
// small and then enlarged: render() first resamples the pixels to the display
// size (RenderOptions::scale; make_grid() uses each tile's size), then blends the
// masks (their class ids resampled with nearest neighbour to the same size), then
// draws outlines `line_width` display pixels thick and labels in a font of
// `font_scale` at display resolution. So a 64 x 64 image shown at 256 x 256 has
// thin outlines and legible labels rather than 4x-thick lines and giant text.
//
// Geometry. A box's corners are positions on the continuous image plane in which
// pixel column c spans [c, c + 1) and row r spans [r, r + 1). Fraction-domain
// boxes are scaled first: x by the image WIDTH, y by the image HEIGHT. At a
// display size of W x H for a w x h image, positions are then multiplied by
// W / w (x) and H / h (y), so they land on the display pixels that show the
// image position (at scale 1 nothing changes). Each edge is then rounded to the
// nearest display pixel boundary, halves up (floor(v + 0.5)):
//   first column = floor(min_x + 0.5), last column = floor(max_x + 0.5) - 1,
//   first row    = floor(min_y + 0.5), last row    = floor(max_y + 0.5) - 1.
// So at scale 1 a pixel-domain box with minX 10, maxX 20 covers the 10 columns
// 10..19, and at scale 4 the 40 columns 40..79, exactly the display columns of
// image columns 10..19; a fraction box 0..1 covers the whole picture at any
// scale. With nearest-neighbour enlarging by a whole factor the outline sits
// exactly on the enlarged pixels; at other factors it may be one display pixel
// off the pixel edge the resampler chose. The outline is `line_width` pixels
// thick and lies inside that span (its outer edge is the first/last column and
// row). Corners given in the wrong order are swapped; a box narrower or lower
// than one pixel after rounding still covers one column or row, so zero-area
// boxes show up as lines or dots. Everything is clipped to the picture.
//
// Labels. Each box's label block is placed, in drawing order, at the first of
// these spots that lies wholly inside the picture and overlaps no label placed
// before it: just above the box, just inside its top edge, just below it, each
// first left-aligned with the box and then right-aligned with it (the box's
// visible part, the block kept inside the picture); then the same three spots
// moved one text line further (up for the first, down for the others), and so
// on up to 4 lines. When none is free, the block is tried again without its
// score lines; when still none is free, the label is left out (its outline is
// drawn all the same). Lines wider than the picture are shortened with "...",
// and lines that do not fit its height are dropped, so labels never leave the
// picture nor cover each other (they may cover other boxes' outlines).
//
// Text. OpenCV's Hershey fonts only have ASCII glyphs, so every text is passed
// through ascii_text() before it is drawn.
#pragma once

#include <cstdint>
#include <map>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wandb/classes.h"
#include "wandb/export.h"
#include "wandb/image.h"

namespace wandb {

/// How a box layer's outlines are drawn, so that layers of the same classes
/// (ground truth and predictions, say) can be told apart. Lengths are in display
/// pixels, u = RenderOptions::line_width.
enum class BoxStyle {
  kSolid,   ///< a continuous line
  kDashed,  ///< dashes 4u long with gaps of 2u (u = 1: 4 on, 2 off)
  kDotted,  ///< dots u long with gaps of 2u
};
// Along each edge the pattern starts at both corners and meets in the middle
// (a pixel at distance d from the nearer corner is drawn when d mod period is
// below the dash length), so every corner is drawn and the box's extent stays
// visible whatever its size.

/// How the pixels are resampled to the display size.
enum class Resample {
  /// kArea to shrink, kNearest to enlarge (or keep the size): every image
  /// pixel stays a crisp block, the pixels a model saw, rather than a blur
  /// that suggests detail the image lacks.
  kAuto,
  kNearest,  ///< cv::INTER_NEAREST_EXACT (pixel centres), for pixel art and small inputs
  kLinear,   ///< cv::INTER_LINEAR, smoother for photos enlarged by odd factors
  kArea,     ///< cv::INTER_AREA, the best for shrinking
};

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
  /// Thickness of box outlines in display pixels, drawn inwards from the box edge; must be > 0.
  int line_width = 2;
  /// Outline style per box layer name. A layer not listed here takes the style
  /// of its position among the image's box layers (all of them, selected or
  /// not, so a style does not change with the selection): the first solid, the
  /// second dashed, the third dotted, the fourth solid again, and so on. Names
  /// the image lacks are ignored (one map can serve images with other layers).
  std::map<std::string, BoxStyle> layer_styles{};
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
  /// Append a legend (colour swatch + class name for each drawn class, and a
  /// line sample + name for each box layer when two or more are drawn) to the
  /// right of the image; see render().
  bool legend = false;
  /// Scale of the Hershey Simplex font used for every text, at display
  /// resolution; must be > 0. 0.4 gives capitals 9 pixels high and label lines
  /// 17 pixels apart.
  double font_scale = 0.4;
  /// Display scale: render() returns the image resampled to
  /// max(1, lround(width * scale)) x max(1, lround(height * scale)) pixels with
  /// the overlays drawn at that size (see the top of this header). Must be
  /// finite and > 0, and the result at most Image::MAX_DIMENSION on each side.
  /// make_grid() renders each tile at its cell's size instead (this scale only
  /// sizes the cells when GridOptions::tile_size is 0 x 0).
  double scale = 1.0;
  /// How the pixels are resampled when the display size differs from the image's.
  Resample resample = Resample::kAuto;
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

/// The image as W&B's media panel would show it, as an 8-bit B G R Mat of the
/// display size (RenderOptions::scale):
/// 1. the log-ready pixels (Image::pixels_mat()); grey is replicated to three
///    channels and an alpha channel is dropped; resampled to the display size
///    (RenderOptions::resample);
/// 2. each selected mask layer, in layer order, its class ids resampled to the
///    display size with nearest neighbour, alpha-blended in its class colours
///    (see RenderOptions::mask_alpha and mask_zero_transparent);
/// 3. each selected box layer, in layer order, as outlines in the class colours
///    and the layer's BoxStyle (geometry at the top of this header);
/// 4. the box labels, after all outlines so that no outline crosses a label: one
///    line with the caption (or the class name, see draw_captions), then
///    "name: value" lines for the scores, placed as described at the top of
///    this header. A solid layer's label is a block filled with the box colour
///    (black or white text, whichever reads better); a dashed or dotted layer's
///    label is white with black text, framed in the box colour as thick as the
///    outline (at most 3 pixels). A caption's "\n" starts a new line.
/// With `options.legend`, a white panel (render_legend()) is appended on the
/// right. It lists the classes that appear in the picture, in id order: those
/// of the drawn boxes (named by their layer's labels, "class_<id>" for an id
/// they lack) and those present in the drawn masks (the transparent class 0
/// excluded; a mask layer's name wins over a box layer's, as in
/// Image::classes()); then, when two or more box layers are drawn, their names
/// and line styles. The result is then wider (and taller if the
/// legend is), and the picture keeps its pixel coordinates at the top left.
///
/// @throws ValueError for a reference image (it has no pixels), an unknown layer
///         name, a drawn mask whose size differs from the image, mask_alpha outside
///         [0, 1], a line_width below 1, a font_scale or scale that is not a
///         positive finite number, or a display size above Image::MAX_DIMENSION.
WANDB_IMAGE_EXPORT cv::Mat render(const Image& image, const RenderOptions& options = {});

/// A legend, black on white: one row per class of `labels` (a colour swatch in
/// class_color() and the class name), then one row per entry of `box_layers`
/// (a short dark grey line in that style, options.line_width thick, and the
/// layer name). Names go through ascii_text(); rows are one text line of
/// options.font_scale high. Throws ValueError when both lists are empty.
WANDB_IMAGE_EXPORT cv::Mat render_legend(
    const ClassLabels& labels, const RenderOptions& options = {},
    const std::vector<std::pair<std::string, BoxStyle>>& box_layers = {});

/// Layout of make_grid().
struct GridOptions {
  /// Tiles per row; fewer when there are fewer images. Must be > 0.
  int columns = 8;
  /// Pixels between tiles and around the sheet, as in torchvision's make_grid. Must be >= 0.
  int padding = 2;
  /// Colour (B, G, R) of the padding, the letterbox bars and the caption strips.
  cv::Scalar background{0, 0, 0};
  /// Draw each image's masks and boxes (true) or show its raw pixels (false).
  bool render_overlays = true;
  /// How each tile is drawn (with render_overlays) and resampled; its font also
  /// writes the captions. render.legend puts one legend for the whole sheet on
  /// its right (see make_grid()) instead of one per tile.
  RenderOptions render{};
  /// Write each image's caption (ascii_text(), newlines as spaces, shortened with
  /// "..." to fit) centred in a strip under its tile. The strip exists only when
  /// some image has a non-empty caption.
  bool captions = true;
  /// Size of every tile cell; 0 x 0 = the largest display size of the images
  /// (width and height taken separately), each image's size times render.scale
  /// rounded as in render(). Both or neither must be zero.
  cv::Size tile_size{0, 0};
};

/// A contact sheet of `images` (like torchvision's make_grid or TensorBoard's
/// add_images), as an 8-bit B G R Mat. With n images, c = min(columns, n) columns
/// and r = ceil(n / c) rows, cell size w x h and caption strip height s (one text
/// line of render.font_scale, 0 when no caption is drawn), the grid is
/// c * (w + padding) + padding pixels wide and r * (h + s + padding) + padding high.
/// Image i sits in row i / c, column i % c, its cell's top-left corner at
/// x = padding + column * (w + padding), y = padding + row * (h + s + padding).
/// Each image is shown as large as fits its cell keeping its aspect ratio: at the
/// scale min(w / width, h / height), each side rounded to the nearest pixel, and
/// centred, the left/top margin being the floor of half the spare space. It is
/// rendered at that size (render() with that scale), so its outlines and labels
/// are drawn at the size they are shown; without overlays its pixels are
/// resampled the same way (render.resample).
///
/// Within the sheet, a box layer that render.layer_styles does not name gets the
/// style of its position in the first image that has it, so that a layer looks
/// the same in every tile. With render.legend (and render_overlays), one legend
/// of every drawn class and, when two or more box layers are drawn, every layer
/// style (render_legend(); a class named differently in two tiles takes the
/// first tile's name) is appended on the right of the grid, top aligned: the
/// sheet is then wider by the legend's width and at least as high as the legend.
///
/// @throws ValueError for an empty list, columns < 1, padding < 0, a tile_size with
///         one zero or negative side, a sheet wider or higher than
///         Image::MAX_DIMENSION, invalid `render` options (checked even without
///         overlays, since its font draws the captions), and anything render() throws.
WANDB_IMAGE_EXPORT cv::Mat make_grid(const std::vector<Image>& images, const GridOptions& options = {});

}  // namespace wandb
