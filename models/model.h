// Model: a Mamba-1, Mamba-2 or Granite-4.0-H hybrid (Mamba-2 + attention) language model loaded
// from a Hugging Face checkpoint folder (config.json, model.safetensors or shards, optionally
// tokenizer.json), run through a backend.
//
// The model holds weights only. Every sequence's recurrent state lives in a StateArena slot
// outside the model, and forward() takes, for each sequence of a packed batch, the slot it
// reads (src) and the slot it writes (dst). So prefill of n tokens from a state equals n single
// steps from it, the state after a prefix serves any continuation, and a fork is a new dst slot.
//
// Thread safety: forward() mutates scratch buffers; call it from one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "kernels/backend.h"
#include "kernels/state_arena.h"
#include "models/config.h"
#include "models/tokenizer.h"

namespace arbor::models {

struct ModelOptions {
  kernels::DeviceKind device = kernels::DeviceKind::kCpu;
  // linear() weights' dtype; unset: the backend's default (fp32 on the CPU, bf16 on CUDA).
  std::optional<DType> weight_dtype;
  std::int32_t kv_page_size = 16;  // tokens per KV page (hybrid models)
  // Decode steps (every sequence one token) run as CUDA graphs, one per batch shape
  // (Backend::graph_begin; no effect on the CPU). Unset: on when the environment has
  // ARBOR_CUDA_GRAPHS=1, off otherwise.
  std::optional<bool> cuda_graphs;
};

// One forward step over the tokens of several sequences packed back to back.
struct StepBatch {
  std::span<const std::int32_t> tokens;
  std::span<const kernels::SeqSpan> seqs;  // in order, contiguous, covering every token
  bool all_logits = false;  // logits for every token; otherwise the last token of each sequence
  // When non-empty: exactly these token rows (ascending) get logits; overrides all_logits.
  std::span<const std::int32_t> logit_rows;
};

struct StepOutput {
  // Rows in batch order: logit_rows, every token (all_logits) or each sequence's last token.
  std::vector<float> logits;  // {n_rows, vocab_size}
  // When requested: the final hidden state after the final norm, same rows.
  std::vector<float> hidden;  // {n_rows, n_embd}
  bool want_hidden = false;
  // false: the logits stay on the backend (for sample_logits()) and `logits` is left empty.
  bool want_logits = true;
};

class Mixer;
namespace internal {
class WeightLoader;
}

class Model {
 public:
  // Loads `dir`. Errors name the folder, file, field or tensor (with both shapes).
  static StatusOr<std::unique_ptr<Model>> open(const std::string& dir,
                                               const ModelOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const { return config_; }
  kernels::Backend& backend() const { return *backend_; }
  // Null when the folder has no tokenizer.json.
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }
  const std::string& dir() const { return dir_; }

  // Floats of recurrent state one sequence needs (conv + ssm for every Mamba layer).
  std::int64_t state_floats_per_slot() const;
  // Hybrid models: bytes of K/V one token takes in all attention layers (0 otherwise).
  std::int64_t kv_bytes_per_token() const;
  std::int32_t kv_page_size() const { return options_.kv_page_size; }
  // Whether decode steps are offered to the backend as graph steps (ModelOptions::cuda_graphs).
  bool cuda_graphs() const { return cuda_graphs_; }
  // A state arena of n_slots slots; for a hybrid also a KV page pool of kv_pages pages of
  // kv_page_size tokens (0: room for 2,048 tokens per slot, at most 1 GiB).
  StatusOr<std::unique_ptr<kernels::StateArena>> make_state_arena(std::int32_t n_slots,
                                                                  std::int64_t kv_pages = 0) const;

  // Runs one step. Returns InvalidArgument for a malformed batch and OutOfRange for a token id
  // outside [0, vocab_size) or a slot outside the arena. With cuda_graphs() on, a decode step
  // (one token per sequence) is a graph step of the backend, keyed by its number of tokens and
  // logit rows, the arena and (hybrids) the page table's width: run eagerly the first time,
  // recorded the second, replayed after (the same results as without graphs).
  Status forward(const StepBatch& batch, kernels::StateArena& states, StepOutput* out);

  // Samples one token per logits row of the last forward() on the model's backend: on a device
  // only the tokens and log-probabilities come back. params and rngs hold one entry per row
  // (rngs may be null when every row is greedy); tokens and logprobs (may be null) are host
  // arrays of that many entries.
  Status sample_logits(std::span<const kernels::SamplingParams> params, Rng* rngs,
                       std::int32_t* tokens, float* logprobs);

 private:
  Model() = default;
  Status validate(const StepBatch& batch, const kernels::StateArena& states) const;
  Status load_mamba(internal::WeightLoader& loader);
  Status load_hybrid(internal::WeightLoader& loader);
  // Hybrids: shares and reserves the step's KV pages and fills the page table and past lengths.
  Status prepare_kv(const StepBatch& batch, kernels::StateArena& states);
  // The ops of a step, up to the logits on the backend (no downloads, no host-side state
  // changes, so they can run again when a graph replay falls back): as one graph step of the
  // backend for a decode step with graphs on, else one by one.
  Status run_ops(const StepBatch& batch, kernels::StateArena& states);
  Status forward_mamba(const StepBatch& batch, kernels::StateArena& states);
  Status forward_hybrid(const StepBatch& batch, kernels::StateArena& states);
  // Shared tail of a step's ops: the rows whose logits are wanted and lm_head. `normed` holds
  // the final-normed hidden states of every token.
  Status logits_step(const StepBatch& batch, float* normed);
  // Downloads what `out` asks for of the last step.
  Status read_outputs(StepOutput* out);

  std::string dir_;
  ModelConfig config_;
  std::unique_ptr<kernels::Backend> backend_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::vector<kernels::BufferPtr> weight_buffers_;
  Tensor embedding_;              // {vocab_size, n_embd}
  Tensor lm_head_;                // {vocab_size, n_embd} (the embedding when tied)
  std::vector<Tensor> layer_norms_;  // n_layer x {n_embd}
  Tensor final_norm_;             // {n_embd}
  std::unique_ptr<Mixer> mixer_;     // the Mamba layers
  // Granite-4.0-H
  ModelOptions options_;
  std::unique_ptr<Mixer> attention_;  // the attention layers
  std::vector<Tensor> post_norms_;    // n_layer x {n_embd} (post_attention_layernorm)
  std::vector<Tensor> mlp_in_;        // n_layer x {2 * mlp_inner, n_embd} ([gate | up])
  std::vector<Tensor> mlp_out_;       // n_layer x {n_embd, mlp_inner}
  struct Scratch;
  std::unique_ptr<Scratch> scratch_;
  std::int32_t last_logit_rows_ = 0;  // rows of logits the last forward() left on the backend
  std::size_t last_hidden_id_ = 0;    // the workspace buffer holding those rows' hidden states
  bool cuda_graphs_ = false;
};

}  // namespace arbor::models
