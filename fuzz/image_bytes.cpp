// Image::from_encoded on any bytes, as png, jpg or bmp (chosen by the first
// byte), then the decoded pixels.
#include "fuzz_support.h"

#include <vector>

#include <ATen/ATen.h>
#include <wandb/errors.h>
#include <wandb/image.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  try {
    const wandb::Image image = wandb::Image::from_encoded(
        std::vector<uint8_t>(data + 1, data + size), wandb_fuzz::image_format(data[0]));
    const at::Tensor pixels = image.pixels();
    wandb_fuzz::check(pixels.dim() == 3 && pixels.size(0) == image.height() &&
                          pixels.size(1) == image.width() && pixels.size(2) == image.channels(),
                      "pixels() is height x width x channels");
  } catch (const wandb::Error&) {
  }
  return 0;
}
