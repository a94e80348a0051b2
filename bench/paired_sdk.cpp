// One side of the paired comparison with the Python SDK (bench/paired_sdk.py
// runs it alternately with a Python stand-in of the SDK's work):
//
//   wandb_image_paired photo <dir>   init, 20 x log({"photo": Image(3x512x512 float)}), finish; 1 encoder
//   wandb_image_paired crops <dir>   init, log({"crops": 64 Images of 3x224x224 float}), finish; 2 encoders
//
// The tensors are made before the clock starts, as the Python side's arrays
// are; wandb::Image construction (the pixel copy and normalisation) is timed,
// as wandb.Image(...) is on the Python side. Prints the milliseconds.
#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "wandb/image.h"
#include "wandb/run.h"

namespace {

constexpr int kPhotos = 20;
constexpr int kCrops = 64;
constexpr int kCropSize = 224;

// The astronaut as a 3 x H x W float tensor in [0, 1] (RGB).
at::Tensor astronaut() {
  const cv::Mat bgr = cv::imread(std::string(WANDB_EXAMPLE_DATA_DIR) + "/astronaut.png", cv::IMREAD_COLOR);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return at::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, at::kByte).permute({2, 0, 1}).to(at::kFloat).div(255).contiguous();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "photo") != 0 && std::strcmp(argv[1], "crops") != 0)) {
    std::fprintf(stderr, "usage: wandb_image_paired photo|crops <dir>\n");
    return 2;
  }
  const bool photo = std::strcmp(argv[1], "photo") == 0;
  const at::Tensor full = astronaut();
  std::vector<at::Tensor> crops;
  for (int i = 0; i < kCrops; ++i) {
    const int64_t y = (i * 37) % (full.size(1) - kCropSize);
    const int64_t x = (i * 53) % (full.size(2) - kCropSize);
    crops.push_back(full.slice(1, y, y + kCropSize).slice(2, x, x + kCropSize).contiguous());
  }
  const auto start = std::chrono::steady_clock::now();
  {
    wandb::RunOptions options;
    options.dir = argv[2];
    options.project = "paired";
    options.workers = photo ? 1 : 2;
    options.silent = true;
    // WANDB_PAIRED_NO_SYNC=1: without the per-file fdatasync (RunOptions::sync_media),
    // as the SDK writes its files.
    if (const char* v = std::getenv("WANDB_PAIRED_NO_SYNC")) options.sync_media = std::strcmp(v, "1") != 0;
    wandb::Run run(options);
    if (photo) {
      for (int i = 0; i < kPhotos; ++i) run.log({{"photo", wandb::Image(full)}});
    } else {
      std::vector<wandb::Image> images;
      for (const at::Tensor& c : crops) images.emplace_back(c);
      run.log({{"crops", images}});
    }
    run.finish();
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.3f\n", ms);
  return 0;
}
