// Deployment: a TorchScript model that builds wandb images itself (written by
// examples/python/make_scripted_model.py) runs on the sample photos and logs
// into an offline run. The model's own torch.ops.wandb.log calls go to the run
// made current here; the images it returns are logged again, in one row.
//
//   wandb_deploy_scripted <model.pt> [--dir DIR]
#include <torch/script.h>

#include <filesystem>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "cli.h"
#include "wandb/torch_ops.h"
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

// Says what is wrong with the file in one line: c10::Error's what() carries a
// C++ backtrace.
torch::jit::Module load_model(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw wandb::IoError("model: expected a TorchScript file, got \"" + path + "\" (" +
                         (std::filesystem::exists(path) ? "not a regular file" : "no such file") + ")");
  }
  try {
    return torch::jit::load(path);
  } catch (const c10::Error& e) {
    throw wandb::ValueError("model: expected a TorchScript file, got \"" + path +
                            "\": " + e.what_without_backtrace());
  }
}

}  // namespace

int main(int argc, char** argv) {
  wandb::cli::App app("wandb_deploy_scripted",
                      "Runs a TorchScript model that logs images itself on the sample photos,\n"
                      "into an offline run under DIR/wandb/.");
  std::string model_path;
  std::string dir = ".";
  app.add_option("model", model_path,
                 "the TorchScript model, written by\nexamples/python/make_scripted_model.py")
      ->required();
  app.add_option("--dir", dir, "parent folder of the run (default .)")->type_name("DIR");
  app.parse_or_exit(argc, argv);

  return app.run([&] {
    // Registers torch.classes.wandb.Image and torch.ops.wandb.* (and makes the
    // linker keep libwandb_image_ops.so) before the model refers to them.
    wandb::ops::load();
    torch::jit::Module model = load_model(model_path);
    model.eval();

    wandb::Run run = wandb::init({.dir = dir, .project = "deploy-scripted", .name = "scripted"});
    // One key per photo, not one list: the photos differ in size, and the SDK
    // warns about (and its UI misdraws) a list of images of different sizes.
    wandb::Row predictions;
    {
      wandb::ops::CurrentRun current(run);  // the model's log calls go here
      torch::NoGradGuard no_grad;
      for (const char* name : kPhotos) {
        const torch::Tensor photo =
            load_photo((std::filesystem::path(WANDB_EXAMPLE_DATA_DIR) / name).string());
        const c10::IValue out = run_model(model, photo, name);
        const wandb::Image prediction = wandb::ops::to_image(out);
        std::cout << name << ": " << prediction.width() << "x" << prediction.height() << ", "
                  << prediction.boxes().size() << " box layer(s)\n";
        predictions.set("all_predictions/" + std::filesystem::path(name).stem().string(), prediction);
      }
    }
    run.log(predictions);
    run.finish();
    // The run itself prints where it is and the `wandb sync` command (stderr).
  });
}
