// BoundingBoxes2D from the SDK's dict shape, parsed from any JSON text.
#include "fuzz_support.h"

#include <wandb/boxes.h>
#include <wandb/errors.h>
#include <wandb/json.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Text that is not JSON never reaches the library.
  const wandb::Json layer = wandb::Json::parse(data, data + size, nullptr, false);
  if (layer.is_discarded()) return 0;
  try {
    const wandb::BoundingBoxes2D boxes(layer);
    wandb_fuzz::check(boxes.file_content() == wandb::dumps_python(boxes.json()),
                      "file_content is dumps_python(json)");
  } catch (const wandb::Error&) {
  }
  return 0;
}
