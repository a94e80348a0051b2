// Builds images with boxes and masks from a photo (no run) and prints their
// metadata: size, mode, format, hash and encoded size.
//
//   wandb_image_info [photo]
#include <filesystem>
#include <iostream>
#include <string>

#include <opencv2/core.hpp>

#include "cli.h"
#include "wandb/wandb.h"

int main(int argc, char** argv) {
  wandb::cli::App app("wandb_image_info",
                      "Builds a wandb::Image with a box and a mask from the photo's pixels, and one\n"
                      "from the file itself, and prints the size, mode, format, SHA-256 and encoded\n"
                      "size of each. Writes nothing.");
  std::string photo = WANDB_EXAMPLE_DATA_DIR "/astronaut.png";
  app.add_option("photo", photo, "a PNG, JPEG or BMP file (default: the sample astronaut)");
  app.parse_or_exit(argc, argv);

  return app.run([&] {
    // The file as the library reads it: its errors say what is wrong with the
    // file, where cv::imread would only warn and return nothing.
    const wandb::Image from_file(photo);
    cv::Mat floats;
    from_file.pixels_mat().convertTo(floats, CV_32F, 1.0 / 255.0);
    const int rows = floats.rows, cols = floats.cols;
    cv::Mat mask(rows, cols, CV_8U, cv::Scalar(0));
    mask(cv::Rect(cols / 4, rows / 8, cols / 2, rows / 2)).setTo(1);
    const wandb::ClassLabels labels{{0, "background"}, {1, "subject"}};
    wandb::BoundingBoxes2D boxes({wandb::Box{.position = wandb::BoxCorners{0.25, 0.125, 0.75, 0.625},
                                             .class_id = 1,
                                             .caption = "subject",
                                             .scores = {{"confidence", 0.93}}}},
                                 labels);
    wandb::ImageOptions options;
    options.caption = std::filesystem::path(photo).stem().string();
    options.boxes = {{"predictions", boxes}};
    options.masks = {{"segmentation", wandb::ImageMask(mask, labels)}};
    const wandb::Image built(floats, options);
    for (const auto& [what, img] : {std::pair<const char*, const wandb::Image*>{"from pixels:", &built},
                                    {"from file:  ", &from_file}}) {
      std::cout << what << " " << img->width() << "x" << img->height() << " " << img->mode() << " "
                << img->format() << " sha256=" << img->sha256() << " size=" << img->size() << '\n';
    }
  });
}
