// ImageMask from the SDK's dict shape ({"mask_data": [[...]]} or {"path": ...}),
// parsed from any JSON text, then encoded as its PNG.
#include "fuzz_support.h"

#include <string>

// ImageMask(Json) competes with the Tensor and Mat constructors, and overload
// resolution needs those types complete (wandb/fwd.h only declares them).
#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <wandb/errors.h>
#include <wandb/json.h>
#include <wandb/masks.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const wandb::Json layer = wandb::Json::parse(data, data + size, nullptr, false);
  if (layer.is_discarded()) return 0;
  try {
    const wandb::ImageMask mask(layer);
    wandb_fuzz::check(mask.values().size() ==
                          static_cast<size_t>(mask.width()) * static_cast<size_t>(mask.height()),
                      "values() holds width * height class ids");
    wandb_fuzz::check(!mask.png().empty(), "a mask encodes to a non-empty PNG");
  } catch (const wandb::Error&) {
  }
  return 0;
}
