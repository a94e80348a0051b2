#include <gtest/gtest.h>

#include "wandb/boxes.h"

TEST(Boxes, Placeholder) { EXPECT_EQ(wandb::parse_box_format("xyxy"), wandb::BoxFormat::kXYXY); }
