// Internal calls on a Run that are not public API: the Python SDK's own media
// methods (bind_to_run, seq_to_json), which the tests use to check the SDK's
// file names and JSON piece by piece. Logging does all of this by itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "detail/media.h"
#include "wandb/run.h"

namespace wandb::detail {

/// The step text media bound outside history carry ("summary").
inline constexpr const char* kSummaryStep = "summary";

/// The SDK's Image.bind_to_run: encodes the image and has the run's writer
/// write its files (waits until they are written), announcing them in the
/// run's next Files record and registering its class labels. `step` is a
/// number or kSummaryStep. StateError when the run is finished, ValueError for
/// references, unsafe keys or ids, IoError when a file cannot be written.
Binding bind_to_run(Run& run, const Image& image, const std::string& key, const std::string& step,
                    const std::optional<std::string>& id = std::nullopt);

/// The SDK's Image.seq_to_json: truncates to MAX_ITEMS (with the SDK's
/// warnings), binds every image, returns the "images/separated" JSON.
/// ValueError for an empty list.
Json seq_to_json(const std::vector<Image>& images, Run& run, const std::string& key,
                 const std::string& step);

}  // namespace wandb::detail
