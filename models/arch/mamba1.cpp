// Mamba-1 mixer (transformers MambaMixer): in_proj -> causal conv + SiLU -> x_proj -> dt_proj
// -> selective scan (with D skip and SiLU(z) gate) -> out_proj.
#include <cmath>
#include <string>
#include <vector>

#include "models/arch/mixer.h"

namespace arbor::models {
namespace {

struct Mamba1Layer {
  Tensor in_proj;       // {2 * d_inner, n_embd}
  Tensor in_proj_bias;  // {2 * d_inner} when use_bias
  Tensor conv_w;        // {d_inner, d_conv}
  Tensor conv_b;        // {d_inner} when use_conv_bias
  Tensor x_proj;        // {dt_rank + 2 * d_state, d_inner}
  Tensor dt_proj;       // {d_inner, dt_rank}
  Tensor dt_proj_bias;  // {d_inner}
  Tensor A;             // {d_inner, d_state} = -exp(A_log)
  Tensor D;             // {d_inner}
  Tensor out_proj;      // {n_embd, d_inner}
  Tensor out_proj_bias; // {n_embd} when use_bias
};

enum Scratch : std::size_t { kXz, kXc, kXdbl, kDt, kY };

class Mamba1Mixer final : public Mixer {
 public:
  Mamba1Mixer(const ModelConfig& c, std::vector<Mamba1Layer> layers)
      : c_(c), layers_(std::move(layers)) {}

  Status forward(std::int32_t layer, const MixerInput& in, kernels::Backend& backend,
                 internal::Workspace& ws) override {
    const Mamba1Layer& w = layers_[static_cast<std::size_t>(layer)];
    const std::int32_t T = in.n_tokens;
    const std::int32_t di = c_.d_inner;
    const std::int32_t R = c_.dt_rank;
    const std::int32_t N = c_.d_state;
    const std::int32_t n_dbl = R + 2 * N;
    ARBOR_ASSIGN_OR_RETURN(float* xz, ws.get(kXz, std::int64_t{T} * 2 * di));
    ARBOR_ASSIGN_OR_RETURN(float* xc, ws.get(kXc, std::int64_t{T} * di));
    ARBOR_ASSIGN_OR_RETURN(float* xdbl, ws.get(kXdbl, std::int64_t{T} * n_dbl));
    ARBOR_ASSIGN_OR_RETURN(float* dt, ws.get(kDt, std::int64_t{T} * di));
    ARBOR_ASSIGN_OR_RETURN(float* y, ws.get(kY, std::int64_t{T} * di));

    // xz {T, 2 * d_inner} = [x | z]
    ARBOR_RETURN_IF_ERROR(backend.linear({in.x, c_.n_embd, w.in_proj, bias(w.in_proj_bias), xz,
                                          2 * di, T, c_.n_embd, 2 * di}));
    // xc {T, d_inner} = silu(conv(x))
    kernels::Conv1dArgs conv;
    conv.x = xz;
    conv.ld_x = 2 * di;
    conv.weight = w.conv_w;
    conv.bias = bias(w.conv_b);
    conv.silu = true;
    conv.out = xc;
    conv.n_channels = di;
    conv.d_conv = c_.d_conv;
    conv.seqs = in.seqs;
    conv.n_seqs = in.n_seqs;
    conv.state = in.states->ref(conv_state_offset(c_, layer));
    ARBOR_RETURN_IF_ERROR(backend.conv1d(conv));
    // xdbl {T, dt_rank + 2 * d_state} = [dt_low | B | C]
    ARBOR_RETURN_IF_ERROR(
        backend.linear({xc, di, w.x_proj, nullptr, xdbl, n_dbl, T, di, n_dbl}));
    // dt {T, d_inner} = dt_proj(dt_low) + bias (softplus happens in the scan)
    ARBOR_RETURN_IF_ERROR(
        backend.linear({xdbl, n_dbl, w.dt_proj, w.dt_proj_bias.f32(), dt, di, T, R, di}));
    kernels::Mamba1ScanArgs scan;
    scan.x = xc;
    scan.ld_x = di;
    scan.dt = dt;
    scan.ld_dt = di;
    scan.A = w.A.f32();
    scan.B = xdbl + R;
    scan.C = xdbl + R + N;
    scan.ld_bc = n_dbl;
    scan.D = w.D.f32();
    scan.z = xz + di;
    scan.ld_z = 2 * di;
    scan.y = y;
    scan.d_inner = di;
    scan.d_state = N;
    scan.seqs = in.seqs;
    scan.n_seqs = in.n_seqs;
    scan.state = in.states->ref(ssm_state_offset(c_, layer));
    ARBOR_RETURN_IF_ERROR(backend.mamba1_scan(scan));
    // out {T, n_embd}
    return backend.linear({y, di, w.out_proj, bias(w.out_proj_bias), in.out, c_.n_embd, T, di,
                           c_.n_embd});
  }

 private:
  static const float* bias(const Tensor& t) { return t.data ? t.f32() : nullptr; }

  ModelConfig c_;
  std::vector<Mamba1Layer> layers_;
};

}  // namespace

StatusOr<std::unique_ptr<Mixer>> load_mamba1_mixer(const ModelConfig& c,
                                                   internal::WeightLoader& loader) {
  const std::int64_t di = c.d_inner;
  std::vector<Mamba1Layer> layers(static_cast<std::size_t>(c.n_layer));
  for (std::int32_t l = 0; l < c.n_layer; ++l) {
    const std::string p = "backbone.layers." + std::to_string(l) + ".mixer.";
    Mamba1Layer& w = layers[static_cast<std::size_t>(l)];
    ARBOR_ASSIGN_OR_RETURN(w.in_proj, loader.matrix(p + "in_proj.weight", {2 * di, c.n_embd}));
    if (c.use_bias) {
      ARBOR_ASSIGN_OR_RETURN(w.in_proj_bias, loader.f32(p + "in_proj.bias", {2 * di}));
      ARBOR_ASSIGN_OR_RETURN(w.out_proj_bias, loader.f32(p + "out_proj.bias", {c.n_embd}));
    }
    ARBOR_ASSIGN_OR_RETURN(w.conv_w, loader.f32(p + "conv1d.weight", {di, 1, c.d_conv}));
    w.conv_w.shape = Shape{di, c.d_conv};
    if (c.use_conv_bias) {
      ARBOR_ASSIGN_OR_RETURN(w.conv_b, loader.f32(p + "conv1d.bias", {di}));
    }
    ARBOR_ASSIGN_OR_RETURN(w.x_proj,
                           loader.matrix(p + "x_proj.weight", {c.dt_rank + 2 * c.d_state, di}));
    ARBOR_ASSIGN_OR_RETURN(w.dt_proj, loader.matrix(p + "dt_proj.weight", {di, c.dt_rank}));
    ARBOR_ASSIGN_OR_RETURN(w.dt_proj_bias, loader.f32(p + "dt_proj.bias", {di}));
    ARBOR_ASSIGN_OR_RETURN(w.A, loader.f32(p + "A_log", {di, c.d_state},
                                           [](float a) { return -std::exp(a); }));
    ARBOR_ASSIGN_OR_RETURN(w.D, loader.f32(p + "D", {di}));
    ARBOR_ASSIGN_OR_RETURN(w.out_proj, loader.matrix(p + "out_proj.weight", {c.n_embd, di}));
  }
  return std::unique_ptr<Mixer>(new Mamba1Mixer(c, std::move(layers)));
}

}  // namespace arbor::models
