// wandb::version() against the macros of the generated wandb/version.h, which
// the umbrella header brings.
#include <gtest/gtest.h>

#include <string>

#include "wandb/wandb.h"

namespace {

TEST(Version, RuntimeStringEqualsTheHeaderMacros) {
  const std::string expected = std::to_string(WANDB_IMAGE_VERSION_MAJOR) + "." +
                               std::to_string(WANDB_IMAGE_VERSION_MINOR) + "." +
                               std::to_string(WANDB_IMAGE_VERSION_PATCH);
  EXPECT_EQ(expected, WANDB_IMAGE_VERSION_STRING);
  EXPECT_EQ(std::string(wandb::version()), WANDB_IMAGE_VERSION_STRING);
}

}  // namespace
