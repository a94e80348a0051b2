// Builds images with boxes and masks from a photo (no run) and prints their
// metadata: size, mode, format, hash and encoded size.
//
//   wandb_image_info [photo]
#include <iostream>

#include <opencv2/imgcodecs.hpp>

#include "cli_help.h"
#include "wandb/wandb.h"

int main(int argc, char** argv) {
  wandb::cli::exit_on_help(argc, argv,
                           "usage: wandb_image_info [photo]\n"
                           "Builds images with boxes and masks from a photo (default: the sample\n"
                           "astronaut) and prints their size, mode, format, hash and encoded size.\n"
                           "Writes nothing.\n");
  const std::string photo = argc > 1 ? argv[1] : WANDB_EXAMPLE_DATA_DIR "/astronaut.png";
  try {
    const cv::Mat bgr = cv::imread(photo, cv::IMREAD_COLOR);
    if (bgr.empty()) throw wandb::IoError("cannot read image " + photo);
    cv::Mat floats;
    bgr.convertTo(floats, CV_32F, 1.0 / 255.0);
    cv::Mat mask(bgr.rows, bgr.cols, CV_8U, cv::Scalar(0));
    mask(cv::Rect(bgr.cols / 4, bgr.rows / 8, bgr.cols / 2, bgr.rows / 2)).setTo(1);
    wandb::BoundingBoxes2D boxes({wandb::Box{.position = wandb::BoxCorners{0.25, 0.125, 0.75, 0.625},
                                             .class_id = 1,
                                             .caption = "astronaut",
                                             .scores = {{"confidence", 0.93}}}},
                                 wandb::ClassLabels{{0, "background"}, {1, "person"}});
    wandb::ImageOptions options;
    options.caption = "astronaut";
    options.boxes = {{"predictions", boxes}};
    options.masks = {{"segmentation", wandb::ImageMask(mask, wandb::ClassLabels{{0, "background"}, {1, "person"}})}};
    const wandb::Image image(floats, options);
    const wandb::Image from_file(photo);
    for (const wandb::Image* img : {&image, &from_file}) {
      std::cout << img->width() << "x" << img->height() << " " << img->mode() << " "
                << img->format() << " sha256=" << img->sha256() << " size=" << img->size()
                << '\n';
    }
  } catch (const wandb::Error& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
