// Error types thrown by wandb-image. Every failure is an exception derived from
// wandb::Error; messages read "what: expected X, got Y".
#pragma once

#include <stdexcept>
#include <string>

namespace wandb {

/// Root of the project's exception hierarchy.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An argument has the right kind but an invalid value (a shape, a range, a name).
class ValueError : public Error {
 public:
  using Error::Error;
};

/// An argument has a kind that is not supported (a dtype, a JSON type, a mode).
class TypeError : public Error {
 public:
  using Error::Error;
};

/// Reading or writing a file failed. `code()` is the errno value, 0 when unknown.
class IoError : public Error {
 public:
  explicit IoError(const std::string& message, int code = 0);
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// An operation is not allowed in the object's current state (e.g. a finished run).
class StateError : public Error {
 public:
  using Error::Error;
};

}  // namespace wandb
