// Warnings the SDK prints with termwarn/logging.warning, routed to a handler.
#pragma once

#include <functional>
#include <string>

#include "wandb/export.h"

namespace wandb {

using WarningHandler = std::function<void(const std::string& message)>;

/// Replaces the warning sink; an empty handler restores the default, which
/// prints "wandb: WARNING <message>" to stderr. Thread-safe.
WANDB_IMAGE_EXPORT void set_warning_handler(WarningHandler handler);

/// Emits a warning every time.
WANDB_IMAGE_EXPORT void warn(const std::string& message);

/// Emits a warning the first time this exact message is seen in the process
/// (the SDK's `repeat=False`).
WANDB_IMAGE_EXPORT void warn_once(const std::string& message);

}  // namespace wandb
