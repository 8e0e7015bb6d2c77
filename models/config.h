// ModelConfig: the hyperparameters of a checkpoint's config.json that change the math.
//
// Supported model_type values: "mamba" (MambaForCausalLM) and "mamba2" (Mamba2ForCausalLM),
// with the field names transformers uses. Fields specific to the architecture are required;
// fields inherited from transformers' base config (tie_word_embeddings, token ids) take its
// defaults when absent, since save_pretrained leaves default values out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/status.h"

namespace arbor::models {

enum class Arch { kMamba1, kMamba2 };
std::string_view arch_name(Arch arch);  // "mamba", "mamba2"

struct ModelConfig {
  Arch arch = Arch::kMamba2;
  std::int32_t vocab_size = 0;  // rows of the embedding (may exceed the tokenizer's vocabulary)
  std::int32_t n_embd = 0;      // hidden_size
  std::int32_t n_layer = 0;     // num_hidden_layers
  std::int32_t d_state = 0;     // state_size
  std::int32_t d_conv = 0;      // conv_kernel
  std::int32_t d_inner = 0;     // expand * hidden_size
  float norm_eps = 1e-5f;       // layer_norm_epsilon
  bool use_bias = false;        // in_proj and out_proj bias
  bool use_conv_bias = true;
  bool residual_in_fp32 = true;  // no effect on the fp32 path
  bool tie_word_embeddings = true;

  // Mamba-1
  std::int32_t dt_rank = 0;  // time_step_rank ("auto" = ceil(hidden_size / 16))

  // Mamba-2
  std::int32_t n_head = 0;    // num_heads
  std::int32_t head_dim = 0;
  std::int32_t n_group = 0;   // n_groups
  std::int32_t chunk_size = 256;
  float dt_min = 0.0f;        // time_step_limit
  float dt_max = 0.0f;        // +inf when unlimited
  bool norm_before_gate = false;

  std::optional<std::int32_t> eos_token_id;
  std::optional<std::int32_t> bos_token_id;

  // Channels of the conv: d_inner (Mamba-1) or d_inner + 2 * n_group * d_state (Mamba-2).
  std::int32_t conv_dim() const;
  // Floats of recurrent state per sequence per layer.
  std::int64_t conv_state_floats() const { return std::int64_t{d_conv - 1} * conv_dim(); }
  std::int64_t ssm_state_floats() const;
};

// Parses a config.json; `where` (the file path) prefixes every error, which names the field.
StatusOr<ModelConfig> parse_model_config(const Json& json, std::string_view where);
// Reads `path`, accepting the Infinity/NaN literals Python's json module writes.
StatusOr<ModelConfig> read_model_config(const std::string& path);

}  // namespace arbor::models
