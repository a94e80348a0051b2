// Umbrella header: everything wandb-image offers.
#pragma once

#include "wandb/boxes.h"
#include "wandb/classes.h"
#include "wandb/errors.h"
#include "wandb/image.h"
#include "wandb/json.h"
#include "wandb/masks.h"
#include "wandb/render.h"
#include "wandb/run.h"
#include "wandb/run_file.h"
#include "wandb/version.h"
#include "wandb/warnings.h"
