// JSON type used across the API, and Python-compatible serialisation.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "wandb/export.h"

namespace wandb {

/// Insertion-ordered JSON, so documents keep the key order the SDK writes.
/// Any nlohmann::json converts to it implicitly.
using Json = nlohmann::ordered_json;

/// Serialises like Python's `json.dumps(value)`: separators ", " and ": ",
/// non-ASCII escaped as \uXXXX, NaN/Infinity/-Infinity spelled as Python does,
/// floats in shortest round-trip form with Python's ".0" and exponent style.
WANDB_IMAGE_EXPORT std::string dumps_python(const Json& value);

}  // namespace wandb
