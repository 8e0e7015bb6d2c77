// Mamba-1 selective scan, token by token from an initial state (contract in ops.h).
// fp32 state and arithmetic, like the PyTorch reference path (MambaMixer.slow_forward).
// Prefill of n tokens equals n single steps exactly (the same loop). Checked against
// transformers to 1e-4 relative on whole-model logits.
#include <cmath>

#include "kernels/cpu/ops_ref.h"
#include "kernels/cpu/scan_state.h"

namespace arbor::kernels {

void mamba1_scan_ref(const Mamba1ScanArgs& args) {
  const std::int32_t di = args.d_inner;
  const std::int32_t ds = args.d_state;
  std::vector<float> scratch;
  for (std::int32_t s = 0; s < args.n_seqs; ++s) {
    const SeqSpan& seq = args.seqs[s];
    float* h = internal::begin_state(args.state, seq, static_cast<std::int64_t>(di) * ds, scratch);
    for (std::int32_t t = seq.start; t < seq.start + seq.n_tokens; ++t) {
      const float* x = args.x + t * args.ld_x;
      const float* dt = args.dt + t * args.ld_dt;
      const float* B = args.B + t * args.ld_bc;
      const float* C = args.C + t * args.ld_bc;
      float* y = args.y + static_cast<std::int64_t>(t) * di;
      for (std::int32_t d = 0; d < di; ++d) {
        const float delta = softplus_ref(dt[d] + (args.dt_bias ? args.dt_bias[d] : 0.0f));
        const float dx = delta * x[d];
        const float* A = args.A + static_cast<std::int64_t>(d) * ds;
        float* hd = h + static_cast<std::int64_t>(d) * ds;
        float acc = 0.0f;
        for (std::int32_t n = 0; n < ds; ++n) {
          hd[n] = std::exp(delta * A[n]) * hd[n] + dx * B[n];
          acc += hd[n] * C[n];
        }
        float out = acc + (args.D ? args.D[d] * x[d] : 0.0f);
        if (args.z != nullptr) out *= silu_ref(args.z[t * args.ld_z + d]);
        y[d] = out;
      }
    }
  }
}

}  // namespace arbor::kernels
