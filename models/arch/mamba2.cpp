// Mamba-2 mixer (transformers Mamba2Mixer, and GraniteMoeHybridMambaLayer, the same math):
// in_proj -> [z | xBC | dt]; causal conv + SiLU over
// xBC -> [x | B | C]; SSD state update with D skip; gated RMSNorm with z; out_proj.
#include <cmath>
#include <string>
#include <vector>

#include "models/arch/mixer.h"

namespace arbor::models {
namespace {

struct Mamba2Layer {
  Tensor in_proj;        // {d_inner + conv_dim + n_head, n_embd}
  Tensor in_proj_bias;   // when use_bias
  Tensor conv_w;         // {conv_dim, d_conv}
  Tensor conv_b;         // {conv_dim} when use_conv_bias
  Tensor dt_bias;        // {n_head}
  Tensor A;              // {n_head} = -exp(A_log)
  Tensor D;              // {n_head}
  Tensor norm;           // {d_inner}
  Tensor out_proj;       // {n_embd, d_inner}
  Tensor out_proj_bias;  // when use_bias
};

enum Scratch : std::size_t { kZxbcdt, kXbc, kY };

class Mamba2Mixer final : public Mixer {
 public:
  Mamba2Mixer(const ModelConfig& c, std::vector<Mamba2Layer> layers)
      : c_(c), layers_(std::move(layers)) {}

  Status forward(std::int32_t layer, const MixerInput& in, kernels::Backend& backend,
                 internal::Workspace& ws) override {
    const Mamba2Layer& w = layers_[static_cast<std::size_t>(layer)];
    const std::int32_t T = in.n_tokens;
    const std::int32_t di = c_.d_inner;
    const std::int32_t conv_dim = c_.conv_dim();
    const std::int32_t gn = c_.n_group * c_.d_state;
    const std::int32_t n_proj = di + conv_dim + c_.n_head;
    ARBOR_ASSIGN_OR_RETURN(float* zxbcdt, ws.get(kZxbcdt, std::int64_t{T} * n_proj));
    ARBOR_ASSIGN_OR_RETURN(float* xbc, ws.get(kXbc, std::int64_t{T} * conv_dim));
    ARBOR_ASSIGN_OR_RETURN(float* y, ws.get(kY, std::int64_t{T} * di));

    // zxbcdt {T, d_inner + conv_dim + n_head} = [z | xBC | dt]
    ARBOR_RETURN_IF_ERROR(backend.linear({in.x, c_.n_embd, w.in_proj, bias(w.in_proj_bias),
                                          zxbcdt, n_proj, T, c_.n_embd, n_proj}));
    // xbc {T, conv_dim} = silu(conv(xBC)) = [x | B | C]
    kernels::Conv1dArgs conv;
    conv.x = zxbcdt + di;
    conv.ld_x = n_proj;
    conv.weight = w.conv_w;
    conv.bias = bias(w.conv_b);
    conv.silu = true;
    conv.out = xbc;
    conv.n_channels = conv_dim;
    conv.d_conv = c_.d_conv;
    conv.seqs = in.seqs;
    conv.n_seqs = in.n_seqs;
    conv.state = in.states->ref(conv_state_offset(c_, layer));
    ARBOR_RETURN_IF_ERROR(backend.conv1d(conv));
    // y {T, d_inner}
    kernels::Mamba2ScanArgs scan;
    scan.x = xbc;
    scan.ld_x = conv_dim;
    scan.dt = zxbcdt + di + conv_dim;
    scan.ld_dt = n_proj;
    scan.dt_bias = w.dt_bias.f32();
    scan.A = w.A.f32();
    scan.B = xbc + di;
    scan.C = xbc + di + gn;
    scan.ld_bc = conv_dim;
    scan.D = w.D.f32();
    scan.y = y;
    scan.n_head = c_.n_head;
    scan.head_dim = c_.head_dim;
    scan.n_group = c_.n_group;
    scan.d_state = c_.d_state;
    scan.dt_min = c_.dt_min;
    scan.dt_max = c_.dt_max;
    scan.seqs = in.seqs;
    scan.n_seqs = in.n_seqs;
    scan.state = in.states->ref(ssm_state_offset(c_, layer));
    ARBOR_RETURN_IF_ERROR(backend.mamba2_scan(scan));
    // y = rmsnorm_group(y * silu(z)) * norm  (in place)
    kernels::GatedRmsNormArgs norm;
    norm.x = y;
    norm.z = zxbcdt;
    norm.ld_z = n_proj;
    norm.weight = w.norm;
    norm.out = y;
    norm.n_rows = T;
    norm.n = di;
    // transformers (5.17) normalises over all of d_inner even when n_groups > 1; mamba_ssm
    // normalises per group. Arbor follows transformers, the reference it is tested against.
    norm.group_size = di;
    norm.norm_before_gate = c_.norm_before_gate;
    norm.eps = c_.norm_eps;
    ARBOR_RETURN_IF_ERROR(backend.gated_rms_norm(norm));
    // out {T, n_embd}
    return backend.linear({y, di, w.out_proj, bias(w.out_proj_bias), in.out, c_.n_embd, T, di,
                           c_.n_embd});
  }

 private:
  static const float* bias(const Tensor& t) { return t.data ? t.f32() : nullptr; }

  ModelConfig c_;
  std::vector<Mamba2Layer> layers_;
};

}  // namespace

StatusOr<std::unique_ptr<Mixer>> load_mamba2_mixer(const ModelConfig& c,
                                                   internal::WeightLoader& loader) {
  const std::int64_t di = c.d_inner;
  const std::int64_t conv_dim = c.conv_dim();
  const std::int64_t n_proj = di + conv_dim + c.n_head;
  std::vector<Mamba2Layer> layers(static_cast<std::size_t>(c.n_layer));
  for (std::int32_t l = 0; l < c.n_layer; ++l) {
    if (c.layer_kind(l) != LayerKind::kMamba) continue;
    const std::string p = c.is_hybrid() ? "model.layers." + std::to_string(l) + ".mamba."
                                        : "backbone.layers." + std::to_string(l) + ".mixer.";
    Mamba2Layer& w = layers[static_cast<std::size_t>(l)];
    ARBOR_ASSIGN_OR_RETURN(w.in_proj, loader.matrix(p + "in_proj.weight", {n_proj, c.n_embd}));
    if (c.use_bias) {
      ARBOR_ASSIGN_OR_RETURN(w.in_proj_bias, loader.f32(p + "in_proj.bias", {n_proj}));
      ARBOR_ASSIGN_OR_RETURN(w.out_proj_bias, loader.f32(p + "out_proj.bias", {c.n_embd}));
    }
    ARBOR_ASSIGN_OR_RETURN(w.conv_w, loader.f32(p + "conv1d.weight", {conv_dim, 1, c.d_conv}));
    w.conv_w.shape = Shape{conv_dim, c.d_conv};
    if (c.use_conv_bias) {
      ARBOR_ASSIGN_OR_RETURN(w.conv_b, loader.f32(p + "conv1d.bias", {conv_dim}));
    }
    ARBOR_ASSIGN_OR_RETURN(w.dt_bias, loader.f32(p + "dt_bias", {c.n_head}));
    ARBOR_ASSIGN_OR_RETURN(w.A, loader.f32(p + "A_log", {c.n_head},
                                           [](float a) { return -std::exp(a); }));
    ARBOR_ASSIGN_OR_RETURN(w.D, loader.f32(p + "D", {c.n_head}));
    ARBOR_ASSIGN_OR_RETURN(w.norm, loader.f32(p + "norm.weight", {di}));
    ARBOR_ASSIGN_OR_RETURN(w.out_proj, loader.matrix(p + "out_proj.weight", {c.n_embd, di}));
  }
  return std::unique_ptr<Mixer>(new Mamba2Mixer(c, std::move(layers)));
}

}  // namespace arbor::models
