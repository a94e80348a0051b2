#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "wandb/image.h"

TEST(Image, Placeholder) { EXPECT_EQ(wandb::Image::MAX_ITEMS, 108); }
