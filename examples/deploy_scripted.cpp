// Deployment: a TorchScript model that builds wandb images itself (written by
// examples/python/make_scripted_model.py) runs on the sample photos and logs
// into an offline run. The model's own torch.ops.wandb.log calls go to the run
// made current here; the images it returns are logged again, as one list.
//
//   wandb_deploy_scripted <model.pt> [--dir DIR]
#include <torch/script.h>

#include <filesystem>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "wandb/torch_ops.h"
#include "cli_help.h"
#include "wandb/wandb.h"

namespace {

const char* const kPhotos[] = {"astronaut.png", "coffee.png", "chelsea.png", "camera.png"};

// A photo as the model takes it: 3 x H x W floats in [0, 1], RGB.
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

// A model's forward takes the photo, as `model.forward({photo})` in the
// README; make_scripted_model.py's also takes an optional caption, which gets
// the file name. Schema arguments start with self.
c10::IValue run_model(torch::jit::Module& model, const torch::Tensor& photo,
                      const std::string& name) {
  const auto& arguments = model.get_method("forward").function().getSchema().arguments();
  if (arguments.size() > 2 && c10::StringType::get()->isSubtypeOf(*arguments[2].type())) {
    return model.forward({photo, name});
  }
  return model.forward({photo});
}

int usage() {
  std::cerr << "usage: wandb_deploy_scripted <model.pt> [--dir DIR]\n"
               "  model.pt: written by examples/python/make_scripted_model.py\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  wandb::cli::exit_on_help(argc, argv,
                           "usage: wandb_deploy_scripted <model.pt> [--dir DIR]\n"
                           "Runs a TorchScript model that logs images itself on the sample photos,\n"
                           "into an offline run under DIR/wandb/ (default DIR: .).\n"
                           "  model.pt: written by examples/python/make_scripted_model.py\n");
  std::string model_path;
  std::filesystem::path dir = ".";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (model_path.empty() && arg.rfind("--", 0) != 0) {
      model_path = arg;
    } else {
      return usage();
    }
  }
  if (model_path.empty()) return usage();

  try {
    // Registers torch.classes.wandb.Image and torch.ops.wandb.* (and makes the
    // linker keep libwandb_image_ops.so) before the model refers to them.
    wandb::ops::load();
    torch::jit::Module model = torch::jit::load(model_path);
    model.eval();

    wandb::Run run = wandb::init({.dir = dir, .project = "deploy-scripted", .name = "scripted"});
    std::vector<wandb::Image> predictions;
    {
      wandb::ops::CurrentRun current(run);  // the model's log calls go here
      torch::NoGradGuard no_grad;
      for (const char* name : kPhotos) {
        const torch::Tensor photo =
            load_photo((std::filesystem::path(WANDB_EXAMPLE_DATA_DIR) / name).string());
        const c10::IValue out = run_model(model, photo, name);
        predictions.push_back(wandb::ops::to_image(out));
        std::cout << name << ": " << predictions.back().width() << "x"
                  << predictions.back().height() << ", " << predictions.back().boxes().size()
                  << " box layer(s)\n";
      }
    }
    run.log({{"all_predictions", predictions}});
    run.finish();
    const auto root = std::filesystem::absolute(run.root()).lexically_normal().string();
    std::cout << "run: " << root << "\nUpload it with:\n  wandb sync " << root << "\n";
  } catch (const std::exception& e) {
    std::cerr << "wandb_deploy_scripted: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
