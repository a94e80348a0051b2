// The out-of-line members of the exception types in wandb/errors.h.
#include "wandb/errors.h"

namespace wandb {

IoError::IoError(const std::string& message, int code) : Error(message), code_(code) {}

}  // namespace wandb
