// Error types thrown by wandb-image. Every failure is an exception derived from
// wandb::Error; messages read "what: expected X, got Y".
#pragma once

#include <stdexcept>
#include <string>

#include "wandb/export.h"

namespace wandb {

// The classes are exported, and each has its destructor out of line (the key
// function), so that its vtable and type_info live in libwandb_image.so alone:
// one type_info across the shared library boundary, and a program (or
// libwandb_image_ops.so) catches what the library throws by type.

/// Root of the project's exception hierarchy.
class WANDB_IMAGE_EXPORT Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~Error() override;
};

/// An argument has the right kind but an invalid value (a shape, a range, a name).
class WANDB_IMAGE_EXPORT ValueError : public Error {
 public:
  using Error::Error;
  ~ValueError() override;
};

/// An argument has a kind that is not supported (a dtype, a JSON type, a mode).
class WANDB_IMAGE_EXPORT TypeError : public Error {
 public:
  using Error::Error;
  ~TypeError() override;
};

/// Reading or writing a file failed. `code()` is the errno value, 0 when unknown.
class WANDB_IMAGE_EXPORT IoError : public Error {
 public:
  explicit IoError(const std::string& message, int code = 0);
  ~IoError() override;
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// Memory for an input could not be allocated (an image, mask or list too large
/// for this machine); the call had no effect.
class WANDB_IMAGE_EXPORT MemoryError : public Error {
 public:
  using Error::Error;
  ~MemoryError() override;
};

/// An operation is not allowed in the object's current state (e.g. a finished run).
class WANDB_IMAGE_EXPORT StateError : public Error {
 public:
  using Error::Error;
  ~StateError() override;
};

}  // namespace wandb
