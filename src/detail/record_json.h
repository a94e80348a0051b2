// Protobuf messages as JSON, the view of a run file's records that
// read_run_file returns and the tools print.
#pragma once

#include <google/protobuf/message.h>

#include "wandb/json.h"

namespace wandb::detail {

/// JSON rendering of any message: fields in field-number order with their
/// .proto names, only the ones set; integers (also 64-bit) as numbers, enums
/// by name, strings (value_json too) as strings; the Record's `num` is always
/// present. Field numbers this schema lacks go to "unknown_fields".
Json message_to_json(const google::protobuf::Message& message);

}  // namespace wandb::detail
