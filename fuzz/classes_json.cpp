// Classes::from_json and ClassLabels::from_json on any JSON text; what they
// accept must survive a round trip through to_json().
#include "fuzz_support.h"

#include <optional>

#include <wandb/classes.h>
#include <wandb/errors.h>
#include <wandb/json.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const wandb::Json json = wandb::Json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return 0;
  std::optional<wandb::ClassLabels> labels;
  std::optional<wandb::Classes> classes;
  try {
    labels = wandb::ClassLabels::from_json(json);
  } catch (const wandb::Error&) {
  }
  try {
    classes = wandb::Classes::from_json(json);
  } catch (const wandb::Error&) {
  }
  // Outside the try blocks: a wandb::Error here is a failure too.
  if (labels) {
    wandb_fuzz::check(wandb::ClassLabels::from_json(labels->to_json()) == *labels,
                      "ClassLabels round-trips through to_json");
  }
  if (classes) {
    wandb_fuzz::check(wandb::Classes::from_json(classes->to_json()["class_set"]) == *classes,
                      "Classes round-trips through to_json");
  }
  return 0;
}
