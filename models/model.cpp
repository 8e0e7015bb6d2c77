#include "models/model.h"

#include <string>

#include "core/file.h"
#include "models/arch/mixer.h"
#include "models/internal/weights.h"
#include "models/internal/workspace.h"
#include "models/safetensors.h"

namespace arbor::models {

struct Model::Scratch {
  explicit Scratch(kernels::Backend& backend) : ws(backend) {}
  internal::Workspace ws;
  std::vector<std::int32_t> rows;  // token rows whose logits are wanted
};

namespace {
// Workspace ids of the model's own buffers (mixers use small ids of their own namespace;
// the model's start at 100 so they never collide).
enum ModelScratch : std::size_t {
  kResidual = 100,
  kNormed,
  kMixerOut,
  kSelected,
  kLogits,
};
}  // namespace

Model::~Model() = default;

StatusOr<std::unique_ptr<Model>> Model::open(const std::string& dir, const ModelOptions& options) {
  if (!is_directory(dir)) {
    return Status::not_found(dir + ": model folder does not exist or is not a folder");
  }
  std::unique_ptr<Model> m(new Model());
  m->dir_ = dir;
  const std::string config_path = join_path(dir, "config.json");
  if (!file_exists(config_path)) return Status::not_found(config_path + ": file not found");
  ARBOR_ASSIGN_OR_RETURN(m->config_, read_model_config(config_path));
  const ModelConfig& c = m->config_;
  ARBOR_ASSIGN_OR_RETURN(m->backend_, kernels::make_backend(options.device));
  ARBOR_ASSIGN_OR_RETURN(std::unique_ptr<Checkpoint> ckpt, Checkpoint::open(dir));

  internal::WeightLoader loader(*ckpt, *m->backend_);
  const std::string emb_name =
      loader.has("backbone.embedding.weight") && !loader.has("backbone.embeddings.weight")
          ? "backbone.embedding.weight"
          : "backbone.embeddings.weight";
  ARBOR_ASSIGN_OR_RETURN(m->embedding_, loader.f32(emb_name, {c.vocab_size, c.n_embd}));
  if (c.tie_word_embeddings) {
    if (m->backend_->weight_dtype() == DType::kF32) {
      m->lm_head_ = m->embedding_;
    } else {
      ARBOR_ASSIGN_OR_RETURN(m->lm_head_, loader.matrix(emb_name, {c.vocab_size, c.n_embd}));
    }
  } else {
    ARBOR_ASSIGN_OR_RETURN(m->lm_head_, loader.matrix("lm_head.weight", {c.vocab_size, c.n_embd}));
  }
  for (std::int32_t l = 0; l < c.n_layer; ++l) {
    ARBOR_ASSIGN_OR_RETURN(
        Tensor norm,
        loader.f32("backbone.layers." + std::to_string(l) + ".norm.weight", {c.n_embd}));
    m->layer_norms_.push_back(norm);
  }
  ARBOR_ASSIGN_OR_RETURN(m->final_norm_, loader.f32("backbone.norm_f.weight", {c.n_embd}));
  if (c.arch == Arch::kMamba1) {
    ARBOR_ASSIGN_OR_RETURN(m->mixer_, load_mamba1_mixer(c, loader));
  } else {
    ARBOR_ASSIGN_OR_RETURN(m->mixer_, load_mamba2_mixer(c, loader));
  }
  m->weight_buffers_ = loader.take_buffers();

  const std::string tok_path = join_path(dir, "tokenizer.json");
  if (file_exists(tok_path)) {
    ARBOR_ASSIGN_OR_RETURN(m->tokenizer_, Tokenizer::from_file(tok_path));
  }
  m->scratch_ = std::make_unique<Scratch>(*m->backend_);
  return m;
}

std::int64_t Model::state_floats_per_slot() const {
  return config_.n_layer * (config_.conv_state_floats() + config_.ssm_state_floats());
}

StatusOr<std::unique_ptr<kernels::StateArena>> Model::make_state_arena(std::int32_t n_slots) const {
  return kernels::StateArena::create(*backend_, n_slots, state_floats_per_slot());
}

Status Model::validate(const StepBatch& batch, const kernels::StateArena& states) const {
  if (batch.seqs.empty() || batch.tokens.empty()) {
    return Status::invalid_argument("forward: empty batch");
  }
  if (states.floats_per_slot() != state_floats_per_slot()) {
    return Status::invalid_argument("forward: the state arena was not made for this model");
  }
  std::int64_t next = 0;
  for (const kernels::SeqSpan& s : batch.seqs) {
    if (s.start != next || s.n_tokens <= 0) {
      return Status::invalid_argument("forward: sequences must be contiguous and non-empty");
    }
    next += s.n_tokens;
    for (std::int32_t slot : {s.src_slot, s.dst_slot}) {
      if (slot != kernels::kNoSlot && (slot < 0 || slot >= states.n_slots())) {
        return Status::out_of_range("forward: state slot " + std::to_string(slot) +
                                    " outside the arena's " + std::to_string(states.n_slots()));
      }
    }
  }
  if (next != static_cast<std::int64_t>(batch.tokens.size())) {
    return Status::invalid_argument("forward: sequences cover " + std::to_string(next) +
                                    " tokens, the batch has " +
                                    std::to_string(batch.tokens.size()));
  }
  std::int32_t prev = -1;
  for (std::int32_t r : batch.logit_rows) {
    if (r <= prev || r >= static_cast<std::int32_t>(batch.tokens.size())) {
      return Status::invalid_argument("forward: logit_rows must be ascending token indices");
    }
    prev = r;
  }
  for (std::int32_t id : batch.tokens) {
    if (id < 0 || id >= config_.vocab_size) {
      return Status::out_of_range("token id " + std::to_string(id) +
                                  " is outside the vocabulary [0, " +
                                  std::to_string(config_.vocab_size) + ")");
    }
  }
  return Status();
}

Status Model::forward(const StepBatch& batch, kernels::StateArena& states, StepOutput* out) {
  ARBOR_RETURN_IF_ERROR(validate(batch, states));
  const ModelConfig& c = config_;
  kernels::Backend& be = *backend_;
  internal::Workspace& ws = scratch_->ws;
  const auto T = static_cast<std::int32_t>(batch.tokens.size());
  const auto n_seqs = static_cast<std::int32_t>(batch.seqs.size());
  const std::int64_t hidden = std::int64_t{T} * c.n_embd;
  ARBOR_ASSIGN_OR_RETURN(float* residual, ws.get(kResidual, hidden));
  ARBOR_ASSIGN_OR_RETURN(float* normed, ws.get(kNormed, hidden));
  ARBOR_ASSIGN_OR_RETURN(float* mixed, ws.get(kMixerOut, hidden));

  // residual {T, n_embd} = embedding[tokens]
  ARBOR_RETURN_IF_ERROR(be.embedding({batch.tokens.data(), embedding_, residual, T}));
  MixerInput in{normed, mixed, T, batch.seqs.data(), n_seqs, &states};
  for (std::int32_t l = 0; l < c.n_layer; ++l) {
    // Block l: residual += mixer output of block l-1; normed = rmsnorm(residual)
    ARBOR_RETURN_IF_ERROR(be.rms_norm({l == 0 ? nullptr : mixed, residual,
                                       layer_norms_[static_cast<std::size_t>(l)], normed, T,
                                       c.n_embd, c.norm_eps}));
    ARBOR_RETURN_IF_ERROR(mixer_->forward(l, in, be, ws));
  }
  ARBOR_RETURN_IF_ERROR(
      be.rms_norm({mixed, residual, final_norm_, normed, T, c.n_embd, c.norm_eps}));

  // Rows whose logits are wanted.
  std::vector<std::int32_t>& rows = scratch_->rows;
  rows.clear();
  if (!batch.logit_rows.empty()) {
    rows.assign(batch.logit_rows.begin(), batch.logit_rows.end());
  } else if (batch.all_logits) {
    for (std::int32_t t = 0; t < T; ++t) rows.push_back(t);
  } else {
    for (const kernels::SeqSpan& s : batch.seqs) rows.push_back(s.start + s.n_tokens - 1);
  }
  const auto n_rows = static_cast<std::int32_t>(rows.size());
  const float* selected = normed;
  if (n_rows != T) {
    ARBOR_ASSIGN_OR_RETURN(float* gathered, ws.get(kSelected, std::int64_t{n_rows} * c.n_embd));
    const Tensor table{normed, DType::kF32, Shape{T, c.n_embd}};
    ARBOR_RETURN_IF_ERROR(be.embedding({rows.data(), table, gathered, n_rows}));
    selected = gathered;
  }
  ARBOR_ASSIGN_OR_RETURN(float* logits, ws.get(kLogits, std::int64_t{n_rows} * c.vocab_size));
  ARBOR_RETURN_IF_ERROR(be.linear({selected, c.n_embd, lm_head_, nullptr, logits, c.vocab_size,
                                   n_rows, c.n_embd, c.vocab_size}));
  out->logits.resize(static_cast<std::size_t>(n_rows) * c.vocab_size);
  ARBOR_RETURN_IF_ERROR(be.download(out->logits.data(), ws.buffer(kLogits), 0,
                                    out->logits.size() * sizeof(float)));
  if (out->want_hidden) {
    out->hidden.resize(static_cast<std::size_t>(n_rows) * c.n_embd);
    ARBOR_RETURN_IF_ERROR(be.download(out->hidden.data(),
                                      ws.buffer(selected == normed ? kNormed : kSelected), 0,
                                      out->hidden.size() * sizeof(float)));
  }
  return Status();
}

}  // namespace arbor::models
