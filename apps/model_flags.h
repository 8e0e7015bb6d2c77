// The model flags shared by the commands that open a checkpoint: --backend cpu|cuda,
// --dtype fp32|bf16 (the weights of linear layers; default: the backend's own) and, where a
// command accepts it, --cuda-graphs on|off (decode steps as CUDA graphs; default: the
// ARBOR_CUDA_GRAPHS environment variable, off unless it is 1).
#pragma once

#include "apps/flags.h"
#include "models/model.h"

namespace arbor::apps {

StatusOr<models::ModelOptions> model_options(const Flags& flags);

}  // namespace arbor::apps
