// The model flags shared by the commands that open a checkpoint: --backend cpu|cuda and
// --dtype fp32|bf16 (the weights of linear layers; default: the backend's own).
#pragma once

#include "apps/flags.h"
#include "models/model.h"

namespace arbor::apps {

StatusOr<models::ModelOptions> model_options(const Flags& flags);

}  // namespace arbor::apps
