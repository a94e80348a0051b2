// Child process for the crash-safety test: logs images and scalars into a run
// under argv[1] until it is killed.
#include <iostream>

#include <opencv2/core.hpp>

#include "wandb/run.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: run_crash_child <dir>\n";
    return 2;
  }
  wandb::Run run(wandb::RunOptions{.dir = argv[1], .id = "crashrun"});
  cv::Mat image(96, 128, CV_8UC3);
  cv::RNG rng(7);
  for (int64_t i = 0;; ++i) {
    rng.fill(image, cv::RNG::UNIFORM, 0, 256);
    std::vector<wandb::Image> batch;
    for (int k = 0; k < 3; ++k) batch.emplace_back(image.clone(), wandb::ImageOptions{.caption = "b"});
    run.log({{"img", wandb::Image(image)}, {"batch", batch}, {"loss", 1.0 / static_cast<double>(i + 1)}});
    if (i == 20) std::cout << "ready" << std::endl;
  }
}
