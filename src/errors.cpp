// The out-of-line members of the exception types in wandb/errors.h.
#include "wandb/errors.h"

namespace wandb {

// The destructors are the classes' key functions: defined here, they put each
// vtable and type_info in this library only (see errors.h).
Error::~Error() = default;
ValueError::~ValueError() = default;
TypeError::~TypeError() = default;
IoError::~IoError() = default;
StateError::~StateError() = default;
MemoryError::~MemoryError() = default;

IoError::IoError(const std::string& message, int code) : Error(message), code_(code) {}

}  // namespace wandb
