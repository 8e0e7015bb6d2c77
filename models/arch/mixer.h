// Mixer: the sequence-mixing half of every layer of one architecture (a Mamba-1 or Mamba-2
// block's mixer). The model runs the shared parts (embedding, pre-norms, residual stream, final
// norm, lm_head) and calls the mixer of each layer in between.
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
};

class Mixer {
 public:
  virtual ~Mixer() = default;
  // Runs layer `layer` for a packed batch, reading and writing each sequence's state slots.
  virtual Status forward(std::int32_t layer, const MixerInput& in, kernels::Backend& backend,
                         internal::Workspace& ws) = 0;
};

// Where layer `layer`'s conv and ssm state start inside a slot (floats).
inline std::int64_t conv_state_offset(const ModelConfig& c, std::int32_t layer) {
  return layer * (c.conv_state_floats() + c.ssm_state_floats());
}
inline std::int64_t ssm_state_offset(const ModelConfig& c, std::int32_t layer) {
  return conv_state_offset(c, layer) + c.conv_state_floats();
}

// Loads the mixers' weights (transformers names: backbone.layers.{i}.mixer.*).
StatusOr<std::unique_ptr<Mixer>> load_mamba1_mixer(const ModelConfig& config,
                                                   internal::WeightLoader& loader);
StatusOr<std::unique_ptr<Mixer>> load_mamba2_mixer(const ModelConfig& config,
                                                   internal::WeightLoader& loader);

}  // namespace arbor::models
