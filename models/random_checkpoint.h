// Random-initialised checkpoints in the Hugging Face layout, for benchmarks and tests that
// need a model of given shapes without a trained one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "core/tensor.h"
#include "models/config.h"

namespace arbor::models {

struct TensorSpec {
  std::string name;
  Shape shape;
};

// Every tensor a checkpoint of `config` holds, with transformers' names and shapes (Mamba,
// Mamba2 or the dense GraniteMoeHybrid).
std::vector<TensorSpec> checkpoint_tensor_specs(const ModelConfig& config);

// Writes config.json (a copy of `config_json`) and model.safetensors with random weights drawn
// like transformers' initialisation (uniform fan-in linears, A_log = log(1..d_state),
// dt biases giving dt in [0.001, 0.1]). The same seed writes the same bytes.
Status save_random_checkpoint(const Json& config_json, const std::string& dir,
                              std::uint64_t seed);

}  // namespace arbor::models
