#include "wandb/warnings.h"

#include <iostream>
#include <mutex>
#include <set>

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

void set_warning_handler(WarningHandler handler) {
  std::lock_guard<std::mutex> lock(warning_mutex());
  handler_slot() = std::move(handler);
}

void warn(const std::string& message) {
  WarningHandler h;
  {
    std::lock_guard<std::mutex> lock(warning_mutex());
    h = handler_slot();
  }
  if (h) {
    h(message);
  } else {
    std::cerr << "wandb: WARNING " << message << '\n';
  }
}

void warn_once(const std::string& message) {
  static std::set<std::string> seen;
  {
    std::lock_guard<std::mutex> lock(warning_mutex());
    if (!seen.insert(message).second) return;
  }
  warn(message);
}

}  // namespace wandb
