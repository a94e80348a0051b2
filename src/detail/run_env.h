// The SDK's environment variables for a run (WANDB_DIR, WANDB_PROJECT, ...):
// what RunOptions leaves unset is taken from them.
#pragma once

#include <functional>

#include "wandb/run.h"

namespace wandb::detail {

/// Looks up an environment variable: nullptr when it is not set.
using Getenv = std::function<const char*(const char*)>;

/// `options` with every unset (env) field filled from the environment, as
/// documented on RunOptions; afterwards dir, project, sync and silent are set.
/// A variable that is set but empty counts as unset. ValueError, naming the
/// variable, for a WANDB_MODE or WANDB_SILENT value it does not know.
RunOptions with_environment(RunOptions options, const Getenv& getenv);

}  // namespace wandb::detail
