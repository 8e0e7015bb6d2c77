// ValueHead: a linear reward head on the final hidden state (after the final norm), loaded
// beside a checkpoint. A head is described by `<name>.head.json` in the model folder:
//   {
//     "name": "prm",                      // what Engine::value() calls it
//     "weights": "prm.head.safetensors",  // file in the same folder
//     "weight": "weight",                 // tensor {n_out, n_embd}
//     "bias": "bias",                     // tensor {n_out} (optional)
//     "activation": "sigmoid",            // "sigmoid" or "none" (default)
//     "labels": ["correct"]               // optional names of the outputs
//   }
// scores = activation(weight * hidden + bias).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace arbor::runtime {

struct ValueHead {
  std::string name;
  std::int32_t n_out = 0;
  std::int32_t n_embd = 0;
  std::vector<float> weight;  // {n_out, n_embd}
  std::vector<float> bias;    // {n_out} (zeros when absent)
  bool sigmoid = false;
  std::vector<std::string> labels;

  // REQUIRES: hidden has n_embd values.
  std::vector<float> apply(const float* hidden) const;
};

StatusOr<ValueHead> load_value_head(const std::string& json_path, std::int32_t n_embd);
// Every *.head.json in `model_dir`, by name.
StatusOr<std::map<std::string, ValueHead>> load_value_heads(const std::string& model_dir,
                                                            std::int32_t n_embd);

}  // namespace arbor::runtime
