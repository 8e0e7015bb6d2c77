// ModelConfig: the hyperparameters of a checkpoint's config.json that change the math.
//
// Supported model_type values: "mamba" (MambaForCausalLM), "mamba2" (Mamba2ForCausalLM) and
// "granitemoehybrid" (GraniteMoeHybridForCausalLM, the dense Granite-4.0-H variant: Mamba-2 and
// attention layers, each followed by a shared SwiGLU MLP), with the field names transformers
// uses. Fields specific to the architecture are required;
// fields inherited from transformers' base config (tie_word_embeddings, token ids) take its
// defaults when absent, since save_pretrained leaves default values out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace arbor::models {

enum class Arch { kMamba1, kMamba2, kGraniteHybrid };
std::string_view arch_name(Arch arch);  // "mamba", "mamba2", "granitemoehybrid"

// What the sequence mixer of one layer is.
enum class LayerKind : std::uint8_t { kMamba, kAttention };

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

  // Granite-4.0-H (granitemoehybrid). The Mamba-2 fields above come from its mamba_* fields.
  std::vector<LayerKind> layer_kinds;  // layer_types; empty for pure Mamba models
  std::int32_t n_attn_head = 0;        // num_attention_heads
  std::int32_t n_kv_head = 0;          // num_key_value_heads
  std::int32_t attn_head_dim = 0;      // head_dim (default hidden_size / num_attention_heads)
  bool attention_bias = false;
  std::int32_t mlp_inner = 0;          // shared_intermediate_size
  float embedding_multiplier = 1.0f;
  float attention_multiplier = 1.0f;   // the softmax scale (replaces 1/sqrt(head_dim))
  float residual_multiplier = 1.0f;
  float logits_scaling = 1.0f;         // logits are divided by it

  std::optional<std::int32_t> eos_token_id;
  std::optional<std::int32_t> bos_token_id;

  // Channels of the conv: d_inner (Mamba-1) or d_inner + 2 * n_group * d_state (Mamba-2).
  std::int32_t conv_dim() const;
  // Floats of recurrent state per sequence per layer.
  std::int64_t conv_state_floats() const { return std::int64_t{d_conv - 1} * conv_dim(); }
  std::int64_t ssm_state_floats() const;

  bool is_hybrid() const { return arch == Arch::kGraniteHybrid; }
  LayerKind layer_kind(std::int32_t layer) const {
    return layer_kinds.empty() ? LayerKind::kMamba : layer_kinds[static_cast<std::size_t>(layer)];
  }
  std::int32_t n_layers_of(LayerKind kind) const;
  // The ordinal of `layer` among the layers of its kind (its Mamba state or KV index).
  std::int32_t index_in_kind(std::int32_t layer) const;
  // Floats of K and V of one token in one attention layer.
  std::int64_t kv_floats_per_token() const { return std::int64_t{2} * n_kv_head * attn_head_dim; }
};

// Parses a config.json; `where` (the file path) prefixes every error, which names the field.
StatusOr<ModelConfig> parse_model_config(const Json& json, std::string_view where);
// Reads `path`, accepting the Infinity/NaN literals Python's json module writes.
StatusOr<ModelConfig> read_model_config(const std::string& path);

}  // namespace arbor::models
