// Mixer: the sequence-mixing half of every layer of one architecture (a Mamba-1 or Mamba-2
// block's mixer, or a hybrid's attention). The model runs the shared parts (embedding, norms,
// residual stream, MLPs, final norm, lm_head) and calls the mixer of each layer in between.
#pragma once

#include <cstdint>
#include <memory>

#include "core/status.h"
#include "kernels/backend.h"
#include "kernels/state_arena.h"
#include "models/config.h"
#include "models/internal/weights.h"
#include "models/internal/workspace.h"

namespace arbor::models {

struct MixerInput {
  const float* x = nullptr;  // normed hidden states {n_tokens, n_embd}
  float* out = nullptr;      // mixer output {n_tokens, n_embd}
  std::int32_t n_tokens = 0;
  const kernels::SeqSpan* seqs = nullptr;
  std::int32_t n_seqs = 0;
  kernels::StateArena* states = nullptr;
  // Attention layers: per sequence, the page table its K/V is read from and appended to
  // ({n_seqs, ld_page_table}) and the tokens already there.
  const std::int32_t* page_table = nullptr;
  std::int32_t ld_page_table = 0;
  const std::int32_t* past_len = nullptr;
};

class Mixer {
 public:
  virtual ~Mixer() = default;
  // Runs layer `layer` for a packed batch, reading and writing each sequence's state slots.
  virtual Status forward(std::int32_t layer, const MixerInput& in, kernels::Backend& backend,
                         internal::Workspace& ws) = 0;
};

// Where Mamba layer `layer`'s conv and ssm state start inside a slot (floats). Only Mamba
// layers have state in the slot; a hybrid's attention layers keep theirs in KV pages.
inline std::int64_t conv_state_offset(const ModelConfig& c, std::int32_t layer) {
  return c.index_in_kind(layer) * (c.conv_state_floats() + c.ssm_state_floats());
}
inline std::int64_t ssm_state_offset(const ModelConfig& c, std::int32_t layer) {
  return conv_state_offset(c, layer) + c.conv_state_floats();
}

// Loads the mixers' weights (transformers names: backbone.layers.{i}.mixer.*).
StatusOr<std::unique_ptr<Mixer>> load_mamba1_mixer(const ModelConfig& config,
                                                   internal::WeightLoader& loader);
// Mamba-2 mixers of every Mamba layer (backbone.layers.{i}.mixer.*, or model.layers.{i}.mamba.*
// for granitemoehybrid).
StatusOr<std::unique_ptr<Mixer>> load_mamba2_mixer(const ModelConfig& config,
                                                   internal::WeightLoader& loader);
// Granite-4.0-H's attention layers (model.layers.{i}.self_attn.{q,k,v,o}_proj): GQA without
// position embedding over the KV pages of the state arena.
StatusOr<std::unique_ptr<Mixer>> load_attention_mixer(const ModelConfig& config,
                                                      internal::WeightLoader& loader);

}  // namespace arbor::models
