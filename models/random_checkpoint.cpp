#include "models/random_checkpoint.h"

#include <sys/stat.h>

#include <cmath>

#include "core/file.h"
#include "core/random.h"
#include "core/strings.h"
#include "models/safetensors_writer.h"

namespace arbor::models {

namespace {

// GraniteMoeHybridForCausalLM's tensors (dense: the shared MLP, no experts).
std::vector<TensorSpec> granite_hybrid_specs(const ModelConfig& c) {
  const std::int64_t di = c.d_inner;
  const std::int64_t nq = std::int64_t{c.n_attn_head} * c.attn_head_dim;
  const std::int64_t nkv = std::int64_t{c.n_kv_head} * c.attn_head_dim;
  std::vector<TensorSpec> specs = {{"model.embed_tokens.weight", {c.vocab_size, c.n_embd}}};
  for (std::int32_t l = 0; l < c.n_layer; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    specs.push_back({p + "input_layernorm.weight", {c.n_embd}});
    if (c.layer_kind(l) == LayerKind::kMamba) {
      const std::string m = p + "mamba.";
      const std::int64_t n_in_proj = di + c.conv_dim() + c.n_head;
      specs.push_back({m + "in_proj.weight", {n_in_proj, c.n_embd}});
      if (c.use_bias) specs.push_back({m + "in_proj.bias", {n_in_proj}});
      specs.push_back({m + "conv1d.weight", {c.conv_dim(), 1, c.d_conv}});
      if (c.use_conv_bias) specs.push_back({m + "conv1d.bias", {c.conv_dim()}});
      specs.push_back({m + "dt_bias", {c.n_head}});
      specs.push_back({m + "A_log", {c.n_head}});
      specs.push_back({m + "D", {c.n_head}});
      specs.push_back({m + "norm.weight", {di}});
      specs.push_back({m + "out_proj.weight", {c.n_embd, di}});
      if (c.use_bias) specs.push_back({m + "out_proj.bias", {c.n_embd}});
    } else {
      const std::string a = p + "self_attn.";
      specs.push_back({a + "q_proj.weight", {nq, c.n_embd}});
      specs.push_back({a + "k_proj.weight", {nkv, c.n_embd}});
      specs.push_back({a + "v_proj.weight", {nkv, c.n_embd}});
      specs.push_back({a + "o_proj.weight", {c.n_embd, nq}});
      if (c.attention_bias) {
        specs.push_back({a + "q_proj.bias", {nq}});
        specs.push_back({a + "k_proj.bias", {nkv}});
        specs.push_back({a + "v_proj.bias", {nkv}});
        specs.push_back({a + "o_proj.bias", {c.n_embd}});
      }
    }
    specs.push_back({p + "post_attention_layernorm.weight", {c.n_embd}});
    specs.push_back(
        {p + "shared_mlp.input_linear.weight", {2 * std::int64_t{c.mlp_inner}, c.n_embd}});
    specs.push_back({p + "shared_mlp.output_linear.weight", {c.n_embd, c.mlp_inner}});
  }
  specs.push_back({"model.norm.weight", {c.n_embd}});
  if (!c.tie_word_embeddings) specs.push_back({"lm_head.weight", {c.vocab_size, c.n_embd}});
  return specs;
}

}  // namespace

std::vector<TensorSpec> checkpoint_tensor_specs(const ModelConfig& c) {
  if (c.is_hybrid()) return granite_hybrid_specs(c);
  const std::int64_t di = c.d_inner;
  std::vector<TensorSpec> specs = {{"backbone.embeddings.weight", {c.vocab_size, c.n_embd}}};
  for (std::int32_t l = 0; l < c.n_layer; ++l) {
    const std::string p = "backbone.layers." + std::to_string(l) + ".";
    specs.push_back({p + "norm.weight", {c.n_embd}});
    const std::string m = p + "mixer.";
    const std::int64_t n_in_proj =
        c.arch == Arch::kMamba1 ? 2 * di : di + c.conv_dim() + c.n_head;
    specs.push_back({m + "in_proj.weight", {n_in_proj, c.n_embd}});
    if (c.use_bias) specs.push_back({m + "in_proj.bias", {n_in_proj}});
    specs.push_back({m + "conv1d.weight", {c.conv_dim(), 1, c.d_conv}});
    if (c.use_conv_bias) specs.push_back({m + "conv1d.bias", {c.conv_dim()}});
    if (c.arch == Arch::kMamba1) {
      specs.push_back({m + "x_proj.weight", {c.dt_rank + 2 * c.d_state, di}});
      specs.push_back({m + "dt_proj.weight", {di, c.dt_rank}});
      specs.push_back({m + "dt_proj.bias", {di}});
      specs.push_back({m + "A_log", {di, c.d_state}});
      specs.push_back({m + "D", {di}});
    } else {
      specs.push_back({m + "dt_bias", {c.n_head}});
      specs.push_back({m + "A_log", {c.n_head}});
      specs.push_back({m + "D", {c.n_head}});
      specs.push_back({m + "norm.weight", {di}});
    }
    specs.push_back({m + "out_proj.weight", {c.n_embd, di}});
    if (c.use_bias) specs.push_back({m + "out_proj.bias", {c.n_embd}});
  }
  specs.push_back({"backbone.norm_f.weight", {c.n_embd}});
  if (!c.tie_word_embeddings) specs.push_back({"lm_head.weight", {c.vocab_size, c.n_embd}});
  return specs;
}

namespace {

std::vector<float> random_values(const TensorSpec& spec, Rng& rng) {
  std::vector<float> v(static_cast<std::size_t>(spec.shape.numel()));
  const std::string& n = spec.name;
  if (ends_with(n, "norm.weight") || ends_with(n, ".D")) {
    for (float& x : v) x = 1.0f;
  } else if (ends_with(n, "A_log")) {
    // Mamba-1: log(1..d_state) per row; Mamba-2: log(uniform(1, 16)) per head.
    const std::int64_t row = spec.shape.rank() == 2 ? spec.shape[1] : 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      v[i] = row > 0 ? std::log(static_cast<float>(i % static_cast<std::size_t>(row) + 1))
                     : std::log(1.0f + 15.0f * rng.uniform_f32());
    }
  } else if (ends_with(n, "dt_bias") || ends_with(n, "dt_proj.bias")) {
    for (float& x : v) {
      const float dt = std::exp(std::log(0.001f) + rng.uniform_f32() * (std::log(0.1f) - std::log(0.001f)));
      x = dt + std::log(-std::expm1(-dt));  // inverse softplus
    }
  } else if (ends_with(n, ".bias")) {
    for (float& x : v) x = 0.0f;
  } else if (ends_with(n, "embeddings.weight") || ends_with(n, "embed_tokens.weight") ||
             ends_with(n, "lm_head.weight")) {
    for (float& x : v) x = static_cast<float>(0.02 * rng.normal());
  } else {
    const std::int64_t fan_in = spec.shape[spec.shape.rank() - 1];
    const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
    for (float& x : v) x = bound * (2.0f * rng.uniform_f32() - 1.0f);
  }
  return v;
}

}  // namespace

Status save_random_checkpoint(const Json& config_json, const std::string& dir,
                              std::uint64_t seed) {
  ARBOR_ASSIGN_OR_RETURN(ModelConfig config, parse_model_config(config_json, "config"));
  if (!is_directory(dir) && ::mkdir(dir.c_str(), 0755) != 0) {
    return Status::invalid_argument(dir + ": cannot create folder");
  }
  Rng rng(seed);
  std::vector<NamedTensor> tensors;
  for (const TensorSpec& spec : checkpoint_tensor_specs(config)) {
    tensors.push_back(make_tensor(spec.name, spec.shape, random_values(spec, rng)));
  }
  ARBOR_RETURN_IF_ERROR(write_safetensors(join_path(dir, "model.safetensors"), tensors));
  return write_file_atomic(join_path(dir, "config.json"), config_json.dump(2) + "\n");
}

}  // namespace arbor::models
