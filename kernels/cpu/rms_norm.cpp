// RMSNorm (optionally fused with the residual add) and Mamba-2's gated group RMSNorm.
// fp32 in and out; sums of squares accumulate in double. Checked against PyTorch fp32 to 1e-6
// relative.
#include <cmath>

#include "kernels/cpu/ops_ref.h"

namespace arbor::kernels {

void rms_norm_ref(const RmsNormArgs& args) {
  const std::int32_t n = args.n;
  const float* w = args.weight.f32();
  for (std::int32_t r = 0; r < args.n_rows; ++r) {
    float* res = args.residual + static_cast<std::int64_t>(r) * n;
    if (args.add != nullptr) {
      const float* a = args.add + static_cast<std::int64_t>(r) * n;
      if (args.add_scale == 1.0f) {
        for (std::int32_t i = 0; i < n; ++i) res[i] += a[i];
      } else {
        for (std::int32_t i = 0; i < n; ++i) res[i] += a[i] * args.add_scale;
      }
    }
    double ss = 0.0;
    for (std::int32_t i = 0; i < n; ++i) ss += static_cast<double>(res[i]) * res[i];
    const float scale = 1.0f / std::sqrt(static_cast<float>(ss / n) + args.eps);
    float* out = args.out + static_cast<std::int64_t>(r) * n;
    for (std::int32_t i = 0; i < n; ++i) out[i] = w[i] * (res[i] * scale);
  }
}

void gated_rms_norm_ref(const GatedRmsNormArgs& args) {
  ARBOR_CHECK(args.group_size > 0 && args.n % args.group_size == 0);
  const std::int32_t n = args.n;
  const std::int32_t gs = args.group_size;
  const float* w = args.weight.f32();
  for (std::int32_t r = 0; r < args.n_rows; ++r) {
    const float* x = args.x + static_cast<std::int64_t>(r) * n;
    const float* z = args.z + r * args.ld_z;
    float* out = args.out + static_cast<std::int64_t>(r) * n;
    for (std::int32_t g0 = 0; g0 < n; g0 += gs) {
      double ss = 0.0;
      for (std::int32_t i = g0; i < g0 + gs; ++i) {
        const float v = args.norm_before_gate ? x[i] : x[i] * silu_ref(z[i]);
        ss += static_cast<double>(v) * v;
      }
      const float scale = 1.0f / std::sqrt(static_cast<float>(ss / gs) + args.eps);
      for (std::int32_t i = g0; i < g0 + gs; ++i) {
        if (args.norm_before_gate) {
          out[i] = w[i] * (x[i] * scale) * silu_ref(z[i]);
        } else {
          out[i] = w[i] * ((x[i] * silu_ref(z[i])) * scale);
        }
      }
    }
  }
}

}  // namespace arbor::kernels
