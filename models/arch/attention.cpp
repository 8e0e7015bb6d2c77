// Granite-4.0-H attention (transformers GraniteMoeHybridAttention with position_embedding_type
// "nope"): q, k, v projections; causal GQA with softmax scale attention_multiplier (not
// 1/sqrt(head_dim)); o_proj. K and V of past tokens come from the sequence's KV pages; the new
// tokens' K and V are appended to them when the sequence keeps state (dst slot set).
#include <string>
#include <vector>

#include "models/arch/mixer.h"

namespace arbor::models {
namespace {

struct AttentionLayer {
  Tensor q, k, v, o;                      // {out, in} as stored by PyTorch
  Tensor q_bias, k_bias, v_bias, o_bias;  // when attention_bias
};

enum Scratch : std::size_t { kQ = 10, kK, kV, kAttn };

class AttentionMixer final : public Mixer {
 public:
  AttentionMixer(const ModelConfig& c, std::vector<AttentionLayer> layers)
      : c_(c), layers_(std::move(layers)) {}

  Status forward(std::int32_t layer, const MixerInput& in, kernels::Backend& backend,
                 internal::Workspace& ws) override {
    const AttentionLayer& w = layers_[static_cast<std::size_t>(layer)];
    kernels::KvPagePool* kv = in.states->kv();
    if (kv == nullptr) {
      return Status::invalid_argument("forward: the state arena has no KV pages for attention");
    }
    const std::int32_t T = in.n_tokens;
    const std::int32_t nq = c_.n_attn_head * c_.attn_head_dim;
    const std::int32_t nkv = c_.n_kv_head * c_.attn_head_dim;
    ARBOR_ASSIGN_OR_RETURN(float* q, ws.get(kQ, std::int64_t{T} * nq));
    ARBOR_ASSIGN_OR_RETURN(float* k, ws.get(kK, std::int64_t{T} * nkv));
    ARBOR_ASSIGN_OR_RETURN(float* v, ws.get(kV, std::int64_t{T} * nkv));
    ARBOR_ASSIGN_OR_RETURN(float* attn, ws.get(kAttn, std::int64_t{T} * nq));
    ARBOR_RETURN_IF_ERROR(
        backend.linear({in.x, c_.n_embd, w.q, bias(w.q_bias), q, nq, T, c_.n_embd, nq}));
    ARBOR_RETURN_IF_ERROR(
        backend.linear({in.x, c_.n_embd, w.k, bias(w.k_bias), k, nkv, T, c_.n_embd, nkv}));
    ARBOR_RETURN_IF_ERROR(
        backend.linear({in.x, c_.n_embd, w.v, bias(w.v_bias), v, nkv, T, c_.n_embd, nkv}));
    const kernels::KvPagesRef cache = kv->layer(c_.index_in_kind(layer));

    kernels::PagedAttentionArgs a;
    a.q = q;
    a.ld_q = nq;
    a.k = k;
    a.v = v;
    a.ld_kv = nkv;
    a.out = attn;
    a.n_head = c_.n_attn_head;
    a.n_kv_head = c_.n_kv_head;
    a.head_dim = c_.attn_head_dim;
    a.scale = c_.attention_multiplier;
    a.seqs = in.seqs;
    a.n_seqs = in.n_seqs;
    a.page_table = in.page_table;
    a.ld_page_table = in.ld_page_table;
    a.past_len = in.past_len;
    a.cache = cache;
    ARBOR_RETURN_IF_ERROR(backend.paged_attention(a));

    kernels::KvAppendArgs app;
    app.k = k;
    app.v = v;
    app.ld_kv = nkv;
    app.seqs = in.seqs;
    app.n_seqs = in.n_seqs;
    app.page_table = in.page_table;
    app.ld_page_table = in.ld_page_table;
    app.past_len = in.past_len;
    app.cache = cache;
    ARBOR_RETURN_IF_ERROR(backend.kv_append(app));

    return backend.linear({attn, nq, w.o, bias(w.o_bias), in.out, c_.n_embd, T, nq, c_.n_embd});
  }

 private:
  static const float* bias(const Tensor& t) { return t.data ? t.f32() : nullptr; }

  ModelConfig c_;
  std::vector<AttentionLayer> layers_;  // indexed by layer; empty entries for Mamba layers
};

}  // namespace

StatusOr<std::unique_ptr<Mixer>> load_attention_mixer(const ModelConfig& c,
                                                      internal::WeightLoader& loader) {
  const std::int64_t nq = std::int64_t{c.n_attn_head} * c.attn_head_dim;
  const std::int64_t nkv = std::int64_t{c.n_kv_head} * c.attn_head_dim;
  std::vector<AttentionLayer> layers(static_cast<std::size_t>(c.n_layer));
  for (std::int32_t l = 0; l < c.n_layer; ++l) {
    if (c.layer_kind(l) != LayerKind::kAttention) continue;
    const std::string p = "model.layers." + std::to_string(l) + ".self_attn.";
    AttentionLayer& w = layers[static_cast<std::size_t>(l)];
    ARBOR_ASSIGN_OR_RETURN(w.q, loader.matrix(p + "q_proj.weight", {nq, c.n_embd}));
    ARBOR_ASSIGN_OR_RETURN(w.k, loader.matrix(p + "k_proj.weight", {nkv, c.n_embd}));
    ARBOR_ASSIGN_OR_RETURN(w.v, loader.matrix(p + "v_proj.weight", {nkv, c.n_embd}));
    ARBOR_ASSIGN_OR_RETURN(w.o, loader.matrix(p + "o_proj.weight", {c.n_embd, nq}));
    if (c.attention_bias) {
      ARBOR_ASSIGN_OR_RETURN(w.q_bias, loader.f32(p + "q_proj.bias", {nq}));
      ARBOR_ASSIGN_OR_RETURN(w.k_bias, loader.f32(p + "k_proj.bias", {nkv}));
      ARBOR_ASSIGN_OR_RETURN(w.v_bias, loader.f32(p + "v_proj.bias", {nkv}));
      ARBOR_ASSIGN_OR_RETURN(w.o_bias, loader.f32(p + "o_proj.bias", {c.n_embd}));
    }
  }
  return std::unique_ptr<Mixer>(new AttentionMixer(c, std::move(layers)));
}

}  // namespace arbor::models
