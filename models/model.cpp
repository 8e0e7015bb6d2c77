#include "models/model.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
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
  std::vector<std::int32_t> page_table, past_len;  // hybrid: per sequence of the step
  std::int32_t ld_page_table = 0;                   // hybrid: columns of page_table
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
  kMlpHidden,
  kMlpAct,
};

// The key of a decode step's graph (Backend::graph_begin): its tokens, its logit rows, the
// state arena and (hybrids) the width of the page table. Only a hint: the backend checks every
// op's arguments on replay.
std::uint64_t decode_key(const StepBatch& batch, const kernels::StateArena& states,
                         std::int32_t ld_page_table) {
  const std::uint64_t tokens = batch.tokens.size();
  const std::uint64_t rows = batch.logit_rows.empty() ? tokens : batch.logit_rows.size();
  const auto arena = reinterpret_cast<std::uintptr_t>(states.ref(0).base);
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the words
  for (const std::uint64_t v : {tokens, rows, std::uint64_t{arena},
                                static_cast<std::uint64_t>(ld_page_table)}) {
    h = (h ^ v) * 0x100000001b3ull;
  }
  return h;
}

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::string(v) == "1";
}
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
  ARBOR_ASSIGN_OR_RETURN(m->backend_, kernels::make_backend(options.device, {options.weight_dtype}));
  ARBOR_ASSIGN_OR_RETURN(std::unique_ptr<Checkpoint> ckpt, Checkpoint::open(dir));

  m->options_ = options;
  m->cuda_graphs_ = options.cuda_graphs.value_or(env_flag("ARBOR_CUDA_GRAPHS"));
  if (options.kv_page_size < 1) {
    return Status::invalid_argument("model options: kv_page_size must be >= 1");
  }
  internal::WeightLoader loader(*ckpt, *m->backend_);
  if (c.is_hybrid()) {
    ARBOR_RETURN_IF_ERROR(m->load_hybrid(loader));
    m->weight_buffers_ = loader.take_buffers();
  } else {
    ARBOR_RETURN_IF_ERROR(m->load_mamba(loader));
    m->weight_buffers_ = loader.take_buffers();
  }
  const std::string tok_path = join_path(dir, "tokenizer.json");
  if (file_exists(tok_path)) {
    ARBOR_ASSIGN_OR_RETURN(m->tokenizer_, Tokenizer::from_file(tok_path));
  }
  m->scratch_ = std::make_unique<Scratch>(*m->backend_);
  return m;
}

Status Model::load_hybrid(internal::WeightLoader& loader) {
  const ModelConfig& c = config_;
  ARBOR_ASSIGN_OR_RETURN(embedding_, loader.f32("model.embed_tokens.weight",
                                                {c.vocab_size, c.n_embd}));
  if (c.tie_word_embeddings && backend_->weight_dtype() == DType::kF32) {
    lm_head_ = embedding_;
  } else {
    // Tied checkpoints may still carry lm_head.weight; untied ones must.
    const std::string name = c.tie_word_embeddings && !loader.has("lm_head.weight")
                                 ? "model.embed_tokens.weight"
                                 : "lm_head.weight";
    ARBOR_ASSIGN_OR_RETURN(lm_head_, loader.matrix(name, {c.vocab_size, c.n_embd}));
  }
  const std::int64_t mi = c.mlp_inner;
  for (std::int32_t l = 0; l < c.n_layer; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    ARBOR_ASSIGN_OR_RETURN(Tensor in_norm, loader.f32(p + "input_layernorm.weight", {c.n_embd}));
    ARBOR_ASSIGN_OR_RETURN(Tensor post_norm,
                           loader.f32(p + "post_attention_layernorm.weight", {c.n_embd}));
    ARBOR_ASSIGN_OR_RETURN(Tensor mlp_in,
                           loader.matrix(p + "shared_mlp.input_linear.weight", {2 * mi, c.n_embd}));
    ARBOR_ASSIGN_OR_RETURN(Tensor mlp_out,
                           loader.matrix(p + "shared_mlp.output_linear.weight", {c.n_embd, mi}));
    layer_norms_.push_back(in_norm);
    post_norms_.push_back(post_norm);
    mlp_in_.push_back(mlp_in);
    mlp_out_.push_back(mlp_out);
  }
  ARBOR_ASSIGN_OR_RETURN(final_norm_, loader.f32("model.norm.weight", {c.n_embd}));
  ARBOR_ASSIGN_OR_RETURN(mixer_, load_mamba2_mixer(c, loader));
  ARBOR_ASSIGN_OR_RETURN(attention_, load_attention_mixer(c, loader));
  return Status();
}

Status Model::load_mamba(internal::WeightLoader& loader) {
  const ModelConfig& c = config_;
  Model* m = this;
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
  return Status();
}

std::int64_t Model::state_floats_per_slot() const {
  // At least one float, so that an all-attention hybrid still has slots to index pages by.
  return std::max<std::int64_t>(1, config_.n_layers_of(LayerKind::kMamba) *
                                       (config_.conv_state_floats() + config_.ssm_state_floats()));
}

std::int64_t Model::kv_bytes_per_token() const {
  return config_.n_layers_of(LayerKind::kAttention) * config_.kv_floats_per_token() *
         static_cast<std::int64_t>(sizeof(float));
}

StatusOr<std::unique_ptr<kernels::StateArena>> Model::make_state_arena(
    std::int32_t n_slots, std::int64_t kv_pages) const {
  const std::int32_t n_attn = config_.n_layers_of(LayerKind::kAttention);
  if (n_attn == 0) return kernels::StateArena::create(*backend_, n_slots, state_floats_per_slot());
  kernels::KvLayout kv;
  kv.n_layers = n_attn;
  kv.n_kv_head = config_.n_kv_head;
  kv.head_dim = config_.attn_head_dim;
  kv.page_size = options_.kv_page_size;
  if (kv_pages <= 0) {
    constexpr std::int64_t kDefaultTokensPerSlot = 2048;
    constexpr std::int64_t kDefaultMaxBytes = std::int64_t{1} << 30;
    const std::int64_t page_bytes = kv.floats_per_page() * static_cast<std::int64_t>(sizeof(float));
    kv_pages = std::min<std::int64_t>(
        std::int64_t{n_slots} * ((kDefaultTokensPerSlot + kv.page_size - 1) / kv.page_size),
        std::max<std::int64_t>(1, kDefaultMaxBytes / page_bytes));
  }
  if (kv_pages > std::numeric_limits<std::int32_t>::max()) {
    return Status::invalid_argument("kv cache: too many pages (" + std::to_string(kv_pages) + ")");
  }
  kv.n_pages = static_cast<std::int32_t>(kv_pages);
  return kernels::StateArena::create(*backend_, n_slots, state_floats_per_slot(), &kv);
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
  kernels::KvPagePool* kv = states.kv();
  if (config_.is_hybrid()) ARBOR_RETURN_IF_ERROR(prepare_kv(batch, states));
  ARBOR_RETURN_IF_ERROR(run_ops(batch, states));
  if (config_.is_hybrid() && kv != nullptr) {
    for (const kernels::SeqSpan& sp : batch.seqs) {
      if (sp.dst_slot != kernels::kNoSlot) kv->advance(sp.dst_slot, sp.n_tokens);
    }
  }
  return read_outputs(out);
}

Status Model::run_ops(const StepBatch& batch, kernels::StateArena& states) {
  const auto ops = [&] {
    return config_.is_hybrid() ? forward_hybrid(batch, states) : forward_mamba(batch, states);
  };
  const bool decode = batch.tokens.size() == batch.seqs.size();  // one token per sequence
  if (!cuda_graphs_ || !decode ||
      !backend_->graph_begin(decode_key(batch, states, scratch_->ld_page_table))) {
    return ops();
  }
  // A decode step recorded or replayed as one graph. When the backend could not replay it (a
  // buffer was reallocated since the recording), nothing ran: run the ops again eagerly.
  const Status s = ops();
  ARBOR_ASSIGN_OR_RETURN(const bool ran, backend_->graph_end(s.ok()));
  return ran ? Status() : ops();
}

Status Model::forward_mamba(const StepBatch& batch, kernels::StateArena& states) {
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
  return logits_step(batch, normed);
}

Status Model::prepare_kv(const StepBatch& batch, kernels::StateArena& states) {
  const auto n_seqs = static_cast<std::int32_t>(batch.seqs.size());
  // KV pages: each sequence that keeps state gets src's pages shared into dst and room for its
  // new tokens (copy-on-write of a shared, partly filled last page); one that keeps none reads
  // src's pages. Then one flat page table for the step.
  kernels::KvPagePool* kv = states.kv();
  std::vector<std::int32_t>& table = scratch_->page_table;
  std::vector<std::int32_t>& past = scratch_->past_len;
  std::int32_t& ld_table = scratch_->ld_page_table;
  ld_table = 0;
  if (kv != nullptr) {
    past.assign(static_cast<std::size_t>(n_seqs), 0);
    std::vector<std::int32_t> reads(static_cast<std::size_t>(n_seqs), kernels::kNoSlot);
    for (std::int32_t s = 0; s < n_seqs; ++s) {
      const kernels::SeqSpan& sp = batch.seqs[static_cast<std::size_t>(s)];
      if (sp.dst_slot != kernels::kNoSlot) {
        kv->share(sp.src_slot, sp.dst_slot);
        ARBOR_RETURN_IF_ERROR(kv->reserve(sp.dst_slot, sp.n_tokens));
        reads[static_cast<std::size_t>(s)] = sp.dst_slot;
      } else {
        reads[static_cast<std::size_t>(s)] = sp.src_slot;
      }
      if (reads[static_cast<std::size_t>(s)] != kernels::kNoSlot) {
        const std::int32_t r = reads[static_cast<std::size_t>(s)];
        past[static_cast<std::size_t>(s)] = static_cast<std::int32_t>(kv->length(r));
        ld_table = std::max(ld_table, static_cast<std::int32_t>(kv->pages(r).size()));
      }
    }
    ld_table = std::max(ld_table, 1);
    table.assign(static_cast<std::size_t>(n_seqs) * static_cast<std::size_t>(ld_table), 0);
    for (std::int32_t s = 0; s < n_seqs; ++s) {
      const std::int32_t r = reads[static_cast<std::size_t>(s)];
      if (r == kernels::kNoSlot) continue;
      const std::vector<std::int32_t>& pages = kv->pages(r);
      std::copy(pages.begin(), pages.end(),
                table.begin() + static_cast<std::ptrdiff_t>(s) * ld_table);
    }
  } else if (config_.n_layers_of(LayerKind::kAttention) > 0) {
    return Status::invalid_argument(
        "forward: the state arena has no KV pages (make it with Model::make_state_arena)");
  }
  return Status();
}

Status Model::forward_hybrid(const StepBatch& batch, kernels::StateArena& states) {
  const ModelConfig& c = config_;
  kernels::Backend& be = *backend_;
  internal::Workspace& ws = scratch_->ws;
  const auto T = static_cast<std::int32_t>(batch.tokens.size());
  const auto n_seqs = static_cast<std::int32_t>(batch.seqs.size());
  const std::int64_t hidden = std::int64_t{T} * c.n_embd;
  ARBOR_ASSIGN_OR_RETURN(float* residual, ws.get(kResidual, hidden));
  ARBOR_ASSIGN_OR_RETURN(float* normed, ws.get(kNormed, hidden));
  ARBOR_ASSIGN_OR_RETURN(float* mixed, ws.get(kMixerOut, hidden));
  ARBOR_ASSIGN_OR_RETURN(float* mlp_hidden, ws.get(kMlpHidden, std::int64_t{T} * 2 * c.mlp_inner));
  ARBOR_ASSIGN_OR_RETURN(float* mlp_act, ws.get(kMlpAct, std::int64_t{T} * c.mlp_inner));
  const kernels::KvPagePool* kv = states.kv();
  const std::int32_t ld_table = scratch_->ld_page_table;

  // residual {T, n_embd} = embedding[tokens] * embedding_multiplier
  ARBOR_RETURN_IF_ERROR(
      be.embedding({batch.tokens.data(), embedding_, residual, T, c.embedding_multiplier}));
  MixerInput in{normed, mixed, T, batch.seqs.data(), n_seqs, &states,
                kv != nullptr ? scratch_->page_table.data() : nullptr, ld_table,
                kv != nullptr ? scratch_->past_len.data() : nullptr};
  const float rm = c.residual_multiplier;
  for (std::int32_t l = 0; l < c.n_layer; ++l) {
    const auto li = static_cast<std::size_t>(l);
    // residual += rm * (MLP output of layer l-1); normed = input_layernorm(residual)
    ARBOR_RETURN_IF_ERROR(be.rms_norm({l == 0 ? nullptr : mixed, residual, layer_norms_[li],
                                       normed, T, c.n_embd, c.norm_eps, rm}));
    Mixer& mixer = c.layer_kind(l) == LayerKind::kAttention ? *attention_ : *mixer_;
    ARBOR_RETURN_IF_ERROR(mixer.forward(l, in, be, ws));
    // residual += rm * mixer output; normed = post_attention_layernorm(residual)
    ARBOR_RETURN_IF_ERROR(
        be.rms_norm({mixed, residual, post_norms_[li], normed, T, c.n_embd, c.norm_eps, rm}));
    // Shared SwiGLU MLP: mixed = output_linear(silu(gate) * up), [gate | up] = input_linear(x)
    const std::int32_t mi = c.mlp_inner;
    ARBOR_RETURN_IF_ERROR(be.linear({normed, c.n_embd, mlp_in_[li], nullptr, mlp_hidden, 2 * mi,
                                     T, c.n_embd, 2 * mi}));
    ARBOR_RETURN_IF_ERROR(be.silu_mul({mlp_hidden, 2 * mi, mlp_act, T, mi}));
    ARBOR_RETURN_IF_ERROR(
        be.linear({mlp_act, mi, mlp_out_[li], nullptr, mixed, c.n_embd, T, mi, c.n_embd}));
  }
  ARBOR_RETURN_IF_ERROR(
      be.rms_norm({mixed, residual, final_norm_, normed, T, c.n_embd, c.norm_eps, rm}));
  return logits_step(batch, normed);
}

Status Model::logits_step(const StepBatch& batch, float* normed) {
  const ModelConfig& c = config_;
  kernels::Backend& be = *backend_;
  internal::Workspace& ws = scratch_->ws;
  const auto T = static_cast<std::int32_t>(batch.tokens.size());
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
  // Granite divides the logits by logits_scaling (1 for the other architectures).
  ARBOR_RETURN_IF_ERROR(be.linear({selected, c.n_embd, lm_head_, nullptr, logits, c.vocab_size,
                                   n_rows, c.n_embd, c.vocab_size, 1.0f / c.logits_scaling}));
  last_logit_rows_ = n_rows;
  last_hidden_id_ = selected == normed ? kNormed : kSelected;
  return Status();
}

Status Model::read_outputs(StepOutput* out) {
  const ModelConfig& c = config_;
  kernels::Backend& be = *backend_;
  internal::Workspace& ws = scratch_->ws;
  const auto n_rows = static_cast<std::size_t>(last_logit_rows_);
  if (out->want_logits) {
    out->logits.resize(n_rows * c.vocab_size);
    ARBOR_RETURN_IF_ERROR(be.download(out->logits.data(), ws.buffer(kLogits), 0,
                                      out->logits.size() * sizeof(float)));
  } else {
    out->logits.clear();
  }
  if (out->want_hidden) {
    out->hidden.resize(n_rows * c.n_embd);
    ARBOR_RETURN_IF_ERROR(be.download(out->hidden.data(), ws.buffer(last_hidden_id_), 0,
                                      out->hidden.size() * sizeof(float)));
  }
  return Status();
}

Status Model::sample_logits(std::span<const kernels::SamplingParams> params, Rng* rngs,
                            std::int32_t* tokens, float* logprobs) {
  if (static_cast<std::int32_t>(params.size()) != last_logit_rows_ || last_logit_rows_ == 0) {
    return Status::invalid_argument("sample_logits: " + std::to_string(params.size()) +
                                    " rows of sampling parameters for " +
                                    std::to_string(last_logit_rows_) +
                                    " rows of logits of the last step");
  }
  kernels::SampleArgs args;
  args.logits = static_cast<const float*>(scratch_->ws.buffer(kLogits).data());
  args.ld_logits = config_.vocab_size;
  args.n_rows = last_logit_rows_;
  args.n_vocab = config_.vocab_size;
  args.params = params.data();
  args.rngs = rngs;
  args.tokens = tokens;
  args.logprobs = logprobs;
  return backend_->sample(args);
}

}  // namespace arbor::models
