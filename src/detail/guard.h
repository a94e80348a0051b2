// The boundary of every public call: whatever a dependency throws leaves the
// library as a wandb::Error subclass (docs/errors.md lists the mapping).
#pragma once

#include <exception>
#include <string>

namespace wandb::detail {

/// What a user's warning handler threw, carried unchanged through the library
/// to the public call, where rethrow_as_error rethrows the original: a
/// handler's own exception is the caller's, not the library's to convert.
class HandlerException : public std::exception {
 public:
  explicit HandlerException(std::exception_ptr original);
  const char* what() const noexcept override { return message_.c_str(); }
  const std::exception_ptr& original() const noexcept { return original_; }

 private:
  std::exception_ptr original_;
  std::string message_;
};

/// warn() and warn_once() for the library's own code: a handler's exception
/// leaves as HandlerException, so the public call rethrows it unchanged.
void emit_warning(const std::string& message);
void emit_warning_once(const std::string& message);

/// True for the messages OpenCV and LibTorch give when an allocation failed.
bool is_allocation_failure(const std::string& message);

/// Call from a catch block: rethrows a wandb::Error unchanged, a
/// HandlerException as the original exception, and any other
/// exception as the matching subclass, its message "<call>: expected ..., got
/// <the cause>" — std::bad_alloc and allocation failures inside OpenCV or
/// LibTorch as MemoryError; nlohmann type errors as TypeError; OpenCV,
/// LibTorch, other nlohmann and std::logic_error errors as ValueError;
/// std::system_error as IoError with its errno; anything else as Error.
[[noreturn]] void rethrow_as_error(const char* call);

}  // namespace wandb::detail

/// Ends a function-try-block around a public call's whole body (constructor
/// initialisers included): `T f() try { ... } WANDB_PUBLIC_CALL("f")`.
#define WANDB_PUBLIC_CALL(call) \
  catch (...) {                 \
    ::wandb::detail::rethrow_as_error(call); \
  }
