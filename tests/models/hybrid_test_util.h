// Test helper: random-initialised Granite-4.0-H (granitemoehybrid, dense) checkpoints.
#pragma once

#include <string>
#include <vector>

#include <stdlib.h>

#include "core/json.h"
#include "models/random_checkpoint.h"

namespace arbor::testing {

// A small hybrid config: `layers` is a string of 'M' (Mamba-2) and 'A' (attention) layers.
inline Json hybrid_config(const std::string& layers, float attention_multiplier = 0.9f) {
  Json types = Json::array();
  for (char ch : layers) types.push_back(ch == 'A' ? "attention" : "mamba");
  return Json{{"model_type", "granitemoehybrid"},
              {"vocab_size", 97},
              {"hidden_size", 32},
              {"num_hidden_layers", static_cast<int>(layers.size())},
              {"layer_types", types},
              {"num_attention_heads", 4},
              {"num_key_value_heads", 2},
              {"shared_intermediate_size", 24},
              {"mamba_n_heads", 4},
              {"mamba_d_head", 16},
              {"mamba_n_groups", 2},
              {"mamba_d_state", 8},
              {"mamba_d_conv", 4},
              {"mamba_expand", 2},
              {"mamba_chunk_size", 8},
              {"mamba_conv_bias", true},
              {"mamba_proj_bias", false},
              {"num_local_experts", 0},
              {"position_embedding_type", "nope"},
              {"hidden_act", "silu"},
              {"rms_norm_eps", 1e-5},
              {"tie_word_embeddings", true},
              {"embedding_multiplier", 6.0},
              {"attention_multiplier", attention_multiplier},
              {"residual_multiplier", 0.5},
              {"logits_scaling", 2.0},
              {"eos_token_id", 96},
              {"bos_token_id", 0}};
}

// Writes a random checkpoint of `config` into a fresh temporary folder and returns its path.
inline std::string make_hybrid_checkpoint(const Json& config, std::uint64_t seed = 5) {
  char tmpl[] = "/tmp/arbor_hybrid_XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const Status s = models::save_random_checkpoint(config, dir, seed);
  if (!s.ok()) return "";
  return dir;
}

}  // namespace arbor::testing
