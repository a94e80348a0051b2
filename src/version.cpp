#include "wandb/version.h"

namespace wandb {

// Compiled into the library, so it reports the library's version, not that of
// the headers the caller was built with.
const char* version() noexcept { return WANDB_IMAGE_VERSION_STRING; }

}  // namespace wandb
