#include "wandb/warnings.h"

#include <iostream>
#include <mutex>
#include <set>

#include "detail/guard.h"

namespace wandb {
namespace {
std::mutex& warning_mutex() {
  static std::mutex m;
  return m;
}
WarningHandler& handler_slot() {
  static WarningHandler h;
  return h;
}
}  // namespace

void set_warning_handler(WarningHandler handler) try {
  std::lock_guard<std::mutex> lock(warning_mutex());
  handler_slot() = std::move(handler);
} WANDB_PUBLIC_CALL("set_warning_handler")

namespace detail {

void emit_warning(const std::string& message) {
  WarningHandler h;
  {
    std::lock_guard<std::mutex> lock(warning_mutex());
    h = handler_slot();
  }
  if (!h) {
    std::cerr << "wandb: WARNING " << message << '\n';
    return;
  }
  try {
    h(message);
  } catch (...) {
    throw HandlerException(std::current_exception());
  }
}

void emit_warning_once(const std::string& message) {
  static std::set<std::string> seen;
  {
    std::lock_guard<std::mutex> lock(warning_mutex());
    if (!seen.insert(message).second) return;
  }
  emit_warning(message);
}

}  // namespace detail

void warn(const std::string& message) try {
  detail::emit_warning(message);
} WANDB_PUBLIC_CALL("warn")

void warn_once(const std::string& message) try {
  detail::emit_warning_once(message);
} WANDB_PUBLIC_CALL("warn_once")

}  // namespace wandb
