// The main demo: a tiny LibTorch segmentation model trained on crops of the
// sample photos, logging scalars and images with predicted and ground-truth
// boxes and masks into an offline W&B run.
//
//   wandb_demo [--steps N] [--log-every N] [--dir DIR] [--live]
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cli.h"
#include "wandb/wandb.h"

namespace {

const char* const kPhotos[] = {"astronaut.png", "coffee.png", "chelsea.png", "camera.png"};
constexpr int kSize = 64;

struct Batch {
  torch::Tensor images;  // N x 3 x H x W, float in [0, 1]
  torch::Tensor masks;   // N x H x W, int64 class ids (1 = target)
  std::vector<cv::Rect> boxes;
};

// A random crop of a sample photo with a coloured square pasted in: the square
// is what the model learns to find.
Batch make_batch(const std::vector<torch::Tensor>& photos, int n, torch::Generator& gen) {
  Batch b;
  b.images = torch::empty({n, 3, kSize, kSize});
  b.masks = torch::zeros({n, kSize, kSize}, torch::kLong);
  for (int i = 0; i < n; ++i) {
    const auto& photo = photos[torch::randint(photos.size(), {1}, gen).item<int64_t>()];
    const int64_t y0 = torch::randint(photo.size(1) - kSize, {1}, gen).item<int64_t>();
    const int64_t x0 = torch::randint(photo.size(2) - kSize, {1}, gen).item<int64_t>();
    b.images[i] = photo.slice(1, y0, y0 + kSize).slice(2, x0, x0 + kSize);
    const int side = static_cast<int>(torch::randint(12, 28, {1}, gen).item<int64_t>());
    const int y = static_cast<int>(torch::randint(0, kSize - side, {1}, gen).item<int64_t>());
    const int x = static_cast<int>(torch::randint(0, kSize - side, {1}, gen).item<int64_t>());
    b.images[i].slice(1, y, y + side).slice(2, x, x + side).copy_(
        torch::tensor({0.9f, 0.2f, 0.1f}).view({3, 1, 1}));
    b.masks[i].slice(0, y, y + side).slice(1, x, x + side).fill_(1);
    b.boxes.emplace_back(x, y, side, side);
  }
  return b;
}

struct TinySegmenter : torch::nn::Module {
  TinySegmenter()
      : c1(register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 16, 3).padding(1)))),
        c2(register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 16, 3).padding(1)))),
        out(register_module("out", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 2, 1)))) {}
  torch::Tensor forward(torch::Tensor x) {
    return out(torch::relu(c2(torch::relu(c1(x)))));
  }
  torch::nn::Conv2d c1, c2, out;
};

torch::Tensor load_photo(const std::string& path) {
  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) throw wandb::IoError("cannot read sample photo " + path);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kUInt8)
      .permute({2, 0, 1})
      .to(torch::kFloat)
      .div(255);
}

// The predicted box: the extent of the pixels predicted as target.
std::optional<wandb::Box> predicted_box(const torch::Tensor& pred, const torch::Tensor& prob) {
  const torch::Tensor ys = pred.any(1).nonzero();
  const torch::Tensor xs = pred.any(0).nonzero();
  if (ys.numel() == 0) return std::nullopt;
  const double confidence = prob.masked_select(pred.to(torch::kBool)).mean().item<double>();
  return wandb::Box{.position = wandb::BoxCorners{xs.min().item<double>(), ys.min().item<double>(),
                                                  xs.max().item<double>() + 1, ys.max().item<double>() + 1},
                    .domain = wandb::BoxDomain::kPixel,
                    .class_id = 1,
                    .caption = "target",
                    .scores = {{"confidence", confidence}}};
}

}  // namespace

int main(int argc, char** argv) {
  wandb::cli::App app("wandb_demo",
                      "Trains a tiny LibTorch segmenter on crops of the sample photos and logs\n"
                      "images with boxes and masks to an offline run under DIR/wandb/, with its\n"
                      "console output, system metrics and run metadata.");
  int steps = 60, log_every = 10;
  std::string dir = ".";
  bool live = false;
  app.add_integer("--steps", steps, "training steps (default 60)", /*min=*/1);
  app.add_integer("--log-every", log_every, "log images every N steps, and at the last (default 10)",
                  /*min=*/1);
  app.add_option("--dir", dir, "parent folder of the run (default .)")->type_name("DIR");
  app.add_flag("--live", live,
               "also upload while training: starts `wandb beta sync --live`\n"
               "(wandb 0.24 or later on PATH, logged in)");
  app.parse_or_exit(argc, argv);

  return app.run([&] {
    torch::manual_seed(0);
    torch::Generator gen = torch::make_generator<torch::CPUGeneratorImpl>(42);
    std::vector<torch::Tensor> photos;
    for (const char* name : kPhotos) {
      photos.push_back(load_photo(std::string(WANDB_EXAMPLE_DATA_DIR) + "/" + name));
    }
    const wandb::ClassLabels labels{{0, "background"}, {1, "target"}};

    wandb::Run run = wandb::init({.dir = dir,
                                  .project = "wandb-image-demo",
                                  .name = "tiny-segmenter",
                                  .tags = {"demo", "libtorch"},
                                  .config = {{"steps", steps}, {"lr", 0.01}, {"batch", 16}},
                                  .console = wandb::Console::kTee,
                                  .sync = live ? wandb::Sync::kLive : wandb::Sync::kOffline});
    // Validation IoU: higher is better, and the UI shows its best value.
    run.define_metric("val/iou", {.summary = "max", .goal = "maximize"});
    auto model = std::make_shared<TinySegmenter>();
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.01));
    const Batch val = make_batch(photos, 4, gen);
    int images_logged = 0;
    for (int step = 0; step < steps; ++step) {
      const Batch batch = make_batch(photos, 16, gen);
      optimizer.zero_grad();
      const torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(batch.images), batch.masks);
      loss.backward();
      optimizer.step();
      wandb::Row row{{"loss", loss.item<double>()}};
      if (step % log_every == 0 || step == steps - 1) {
        torch::NoGradGuard no_grad;
        const torch::Tensor logits = model->forward(val.images);
        const torch::Tensor prob = logits.softmax(1).select(1, 1);
        const torch::Tensor pred = logits.argmax(1);
        std::vector<wandb::Image> examples;
        for (int i = 0; i < 4; ++i) {
          const cv::Rect& gt = val.boxes[i];
          std::vector<wandb::Box> pred_boxes;
          if (auto box = predicted_box(pred[i], prob[i])) pred_boxes.push_back(*box);
          wandb::ImageOptions options;
          options.caption = "val " + std::to_string(i);
          options.boxes = {
              {"predictions", wandb::BoundingBoxes2D(pred_boxes, labels)},
              {"ground_truth",
               wandb::BoundingBoxes2D({wandb::Box{.position = wandb::BoxCorners{double(gt.x), double(gt.y),
                                                                               double(gt.x + gt.width),
                                                                               double(gt.y + gt.height)},
                                                  .domain = wandb::BoxDomain::kPixel,
                                                  .class_id = 1}},
                                      labels)}};
          options.masks = {{"prediction", wandb::ImageMask(pred[i], labels)},
                           {"ground_truth", wandb::ImageMask(val.masks[i], labels)}};
          examples.emplace_back(val.images[i], options);
        }
        images_logged += static_cast<int>(examples.size());
        const double iou = (pred.eq(1) & val.masks.eq(1)).sum().item<double>() /
                           std::max(1.0, (pred.eq(1) | val.masks.eq(1)).sum().item<double>());
        row.set("val/iou", iou);
        row.set("val/examples", examples);
        std::cout << "step " << step << "  loss " << loss.item<double>() << "  val IoU " << iou << '\n';
      }
      run.log(row);
    }
    run.summary("final_example", wandb::Image(val.images[0], {.caption = "input"}));
    run.finish();
    // The run prints where it is and the `wandb sync` command (stderr).
    std::cout << "\nLogged " << steps << " steps and " << images_logged
              << " images with boxes and masks to the offline run above\n";
  });
}
