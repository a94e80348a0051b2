// A classical OpenCV pipeline feeding wandb::Image: Otsu threshold + connected
// components give a mask and boxes for each sample photo, and the images are
// previewed as W&B would show them.
//
//   wandb_opencv_pipeline [--dir DIR] [preview.png [single.png]]
//
// logs to an offline run under DIR/wandb/, writes a contact sheet of all photos to
// preview.png (default: ./preview.png) and, when a second path is given, the first
// photo rendered on its own with a legend.
#include <algorithm>
#include <cstdint>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "cli.h"
#include "wandb/wandb.h"

namespace {

constexpr int kMaxSide = 320;  // previews need no more, and the pipeline runs faster
constexpr int kMaxBoxes = 5;
constexpr double kMinArea = 0.01;  // of the image: smaller components are noise
const cv::Scalar kBackground(32, 32, 32);

// Distinct ids for mask and box classes: an image's classes are one id -> name map,
// in which a mask label would replace a box label with the same id.
constexpr uint8_t kForeground = 3;
const wandb::ClassLabels kMaskLabels{{0, "background"}, {kForeground, "foreground"}};
const wandb::ClassLabels kBoxLabels{{1, "large object"}, {2, "small object"}};

cv::Mat read_photo(const std::string& path) {
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) throw wandb::IoError("cannot read image " + path);
  const double scale = static_cast<double>(kMaxSide) / std::max(bgr.cols, bgr.rows);
  if (scale < 1) cv::resize(bgr, bgr, cv::Size(), scale, scale, cv::INTER_AREA);
  return bgr;
}

// Foreground = the Otsu class that covers less of the picture, since which side of
// the threshold holds the subject depends on the photo.
cv::Mat foreground_of(const cv::Mat& bgr) {
  cv::Mat grey, binary;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  cv::GaussianBlur(grey, grey, cv::Size(5, 5), 0);
  cv::threshold(grey, binary, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  if (2 * static_cast<size_t>(cv::countNonZero(binary)) > binary.total()) {
    cv::bitwise_not(binary, binary);
  }
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5));
  cv::morphologyEx(binary, binary, cv::MORPH_OPEN, kernel);
  return binary;
}

wandb::Image analyse(const std::string& path, const std::string& caption) {
  const cv::Mat bgr = read_photo(path);
  const cv::Mat binary = foreground_of(bgr);

  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(binary, labels, stats, centroids, 8, CV_32S);
  const double image_area = static_cast<double>(bgr.total());
  std::vector<int> kept;
  for (int i = 1; i < n; ++i) {  // 0 is the background component
    if (stats.at<int>(i, cv::CC_STAT_AREA) >= kMinArea * image_area) kept.push_back(i);
  }
  // Largest first, ties by label, so that the output does not depend on sort stability.
  std::sort(kept.begin(), kept.end(), [&](int a, int b) {
    const int aa = stats.at<int>(a, cv::CC_STAT_AREA), ab = stats.at<int>(b, cv::CC_STAT_AREA);
    return aa != ab ? aa > ab : a < b;
  });
  if (kept.size() > kMaxBoxes) kept.resize(kMaxBoxes);

  // Every photo is centred on a kMaxSide square: the SDK warns about a list of
  // images of different sizes, which its UI draws wrongly.
  const int top = (kMaxSide - bgr.rows) / 2, left = (kMaxSide - bgr.cols) / 2;

  cv::Mat mask(bgr.size(), CV_8U, cv::Scalar(0));
  std::vector<wandb::Box> boxes;
  for (size_t rank = 0; rank < kept.size(); ++rank) {
    const int i = kept[rank];
    mask.setTo(kForeground, labels == i);
    const int x = left + stats.at<int>(i, cv::CC_STAT_LEFT), y = top + stats.at<int>(i, cv::CC_STAT_TOP);
    const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    const double area = stats.at<int>(i, cv::CC_STAT_AREA) / image_area;
    wandb::Box box;
    // Component stats are whole pixels, so x + w is the exclusive right edge.
    box.position = wandb::BoxCorners{static_cast<double>(x), static_cast<double>(y),
                                     static_cast<double>(x + w), static_cast<double>(y + h)};
    box.domain = wandb::BoxDomain::kPixel;
    box.class_id = area >= 0.1 ? 1 : 2;
    box.caption = "blob " + std::to_string(rank + 1);
    box.scores = {{"area", area}};
    boxes.push_back(std::move(box));
  }

  const int bottom = kMaxSide - bgr.rows - top, right = kMaxSide - bgr.cols - left;
  cv::Mat padded, padded_mask;
  cv::copyMakeBorder(bgr, padded, top, bottom, left, right, cv::BORDER_CONSTANT, kBackground);
  cv::copyMakeBorder(mask, padded_mask, top, bottom, left, right, cv::BORDER_CONSTANT, cv::Scalar(0));

  wandb::ImageOptions options;
  options.caption = caption;
  options.boxes = {{"components", wandb::BoundingBoxes2D(std::move(boxes), kBoxLabels)}};
  options.masks = {{"otsu", wandb::ImageMask(padded_mask, kMaskLabels)}};
  return wandb::Image(padded, std::move(options));
}

}  // namespace

int main(int argc, char** argv) {
  wandb::cli::App app("wandb_opencv_pipeline",
                      "Segments the sample photos with OpenCV (Otsu + connected components), logs\n"
                      "them with their masks and boxes to an offline run under DIR/wandb/ and\n"
                      "writes a preview grid of them and, when asked, one rendered image.");
  std::string preview_path = "preview.png";
  std::string single_path;
  std::string dir = ".";
  app.add_option("preview", preview_path, "where the preview grid goes (default preview.png)")
      ->check(wandb::cli::image_file_name());
  app.add_option("single", single_path, "where the first photo goes, rendered with a legend")
      ->check(wandb::cli::image_file_name());
  app.add_option("--dir", dir, "parent folder of the run (default .)")->type_name("DIR");
  app.parse_or_exit(argc, argv);

  const std::string data = WANDB_EXAMPLE_DATA_DIR;
  return app.run([&] {
    std::vector<wandb::Image> images;
    for (const char* name : {"astronaut", "coffee", "chelsea", "camera"}) {
      images.push_back(analyse(data + "/" + name + ".png", name));
    }

    // Log them to an offline run, one image per key and all of them as a list.
    wandb::Run run = wandb::init({.dir = dir, .project = "wandb-image-opencv", .name = "otsu-blobs"});
    wandb::Row row;
    for (const wandb::Image& image : images) row.set("photos/" + *image.caption(), image);
    row.set("all", images);
    run.log(row);
    run.finish();
    std::cout << "logged " << images.size() << " images to " << run.root().string()
              << " (upload: wandb sync " << run.root().string() << ")\n";

    wandb::GridOptions grid;
    grid.columns = 2;
    grid.padding = 4;
    grid.tile_size = cv::Size(kMaxSide, kMaxSide);
    grid.background = kBackground;
    grid.render.line_width = 2;
    if (!cv::imwrite(preview_path, wandb::make_grid(images, grid))) {
      throw wandb::IoError("cannot write " + preview_path);
    }
    std::cout << "preview grid of " << images.size() << " images written to " << preview_path
              << '\n';

    if (!single_path.empty()) {
      wandb::RenderOptions single = grid.render;
      single.legend = true;
      if (!cv::imwrite(single_path, wandb::render(images.front(), single))) {
        throw wandb::IoError("cannot write " + single_path);
      }
      std::cout << "rendered " << *images.front().caption() << " written to " << single_path
                << '\n';
    }
  });
}
