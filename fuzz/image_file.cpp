// Image(path).pixels() and ImageMask::from_file on a file holding any bytes,
// named .png, .jpg or .bmp by the first byte.
#include "fuzz_support.h"

#include <filesystem>
#include <fstream>

#include <ATen/ATen.h>
#include <wandb/errors.h>
#include <wandb/image.h>
#include <wandb/masks.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const wandb_fuzz::ScratchDir scratch("image-file");
  const std::filesystem::path path =
      scratch.path() / (std::string("input.") + wandb_fuzz::image_format(data[0]));
  {  // closed before the library opens it
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
    wandb_fuzz::check(out.good(), "the input file is written");
  }
  try {
    const wandb::Image image(path.string());
    image.pixels();
  } catch (const wandb::Error&) {
  }
  try {
    const wandb::ImageMask mask = wandb::ImageMask::from_file(path.string());
    mask.png();
  } catch (const wandb::Error&) {
  }
  return 0;
}
