// The consumer's program: an Image from a small tensor, logged into an offline
// run under argv[1]; checks the library version, an exception thrown inside
// the library and caught here by type, and that the build type is argv[2].
#include <ATen/ops/arange.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "wandb/wandb.h"

namespace {

int fail(const std::string& message) {
  std::cerr << "consumer app: " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return fail("usage: app <run parent folder> <expected build type>");
  if (std::string(WANDB_CONSUMER_CONFIG) != argv[2]) {
    return fail(std::string("build type: expected ") + argv[2] + ", got " + WANDB_CONSUMER_CONFIG);
  }
  if (std::string(wandb::version()) != WANDB_IMAGE_VERSION_STRING) {
    return fail(std::string("wandb::version(): expected " WANDB_IMAGE_VERSION_STRING ", got ") +
                wandb::version());
  }
  try {
    wandb::parse_box_format("abcd");
    return fail("parse_box_format(\"abcd\"): expected a wandb::ValueError, got none");
  } catch (const wandb::ValueError&) {
    // thrown in the library, caught here by type: one type_info
  }

  wandb::ImageOptions options;
  options.caption = "ramp";
  const wandb::Image image(at::arange(3 * 4 * 5, at::kFloat).reshape({3, 4, 5}), options);
  wandb::RunOptions run_options;
  run_options.dir = argv[1];
  run_options.id = "consumer";
  wandb::Run run(run_options);
  run.log({{"ramp", image}});
  run.finish();

  int pngs = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(run.dir() / "media")) {
    if (entry.path().extension() == ".png") ++pngs;
  }
  if (pngs != 1) return fail("media PNG files: expected 1, got " + std::to_string(pngs));
  std::cout << "consumer app: wandb-image " << wandb::version() << ", " << WANDB_CONSUMER_CONFIG
            << ", " << image.width() << "x" << image.height() << " image logged to "
            << run.root().string() << "\n";
  return 0;
}
