// Mamba-2 state-space update, token by token from an initial state (contract in ops.h).
// This is the recurrent form of SSD; it computes the same function as the chunked algorithm
// (transformers' torch_forward, mamba_ssm's Triton kernels) up to rounding. fp32 state and
// arithmetic (dot products over d_state in eight fixed partial sums). Prefill of n tokens
// equals n single steps exactly (the same loop). Checked
// against transformers to 1e-4 relative on whole-model logits.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/ops_ref.h"
#include "kernels/cpu/scan_state.h"

namespace arbor::kernels {
namespace {

// One head channel's update over d_state: S = decay * S + dx * B; returns sum(S * C).
// Eight partial sums let the compiler vectorise the dot product without reassociating floats
// behind our back; the summation order is fixed, so results are deterministic.
ARBOR_CPU_CLONES float update_row(float* S, const float* B, const float* C, float decay,
                                  float dx, std::int32_t ds) {
  float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::int32_t n = 0;
  for (; n + 8 <= ds; n += 8) {
    for (int k = 0; k < 8; ++k) {
      S[n + k] = decay * S[n + k] + dx * B[n + k];
      part[k] += S[n + k] * C[n + k];
    }
  }
  for (; n < ds; ++n) {
    S[n] = decay * S[n] + dx * B[n];
    part[0] += S[n] * C[n];
  }
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

}  // namespace

void mamba2_scan_ref(const Mamba2ScanArgs& args) {
  const std::int32_t nh = args.n_head;
  const std::int32_t hd = args.head_dim;
  const std::int32_t ds = args.d_state;
  ARBOR_CHECK(args.n_group > 0 && nh % args.n_group == 0);
  const std::int32_t heads_per_group = nh / args.n_group;
  const std::int64_t state_size = static_cast<std::int64_t>(nh) * hd * ds;
  std::vector<float> scratch;
  for (std::int32_t s = 0; s < args.n_seqs; ++s) {
    const SeqSpan& seq = args.seqs[s];
    float* S = internal::begin_state(args.state, seq, state_size, scratch);
    for (std::int32_t t = seq.start; t < seq.start + seq.n_tokens; ++t) {
      const float* x = args.x + t * args.ld_x;
      const float* dt = args.dt + t * args.ld_dt;
      float* y = args.y + static_cast<std::int64_t>(t) * nh * hd;
      for (std::int32_t h = 0; h < nh; ++h) {
        float delta = softplus_ref(dt[h] + (args.dt_bias ? args.dt_bias[h] : 0.0f));
        delta = std::min(std::max(delta, args.dt_min), args.dt_max);
        const float decay = std::exp(delta * args.A[h]);
        const std::int32_t g = h / heads_per_group;
        const float* B = args.B + t * args.ld_bc + static_cast<std::int64_t>(g) * ds;
        const float* C = args.C + t * args.ld_bc + static_cast<std::int64_t>(g) * ds;
        const float Dh = args.D ? args.D[h] : 0.0f;
        for (std::int32_t p = 0; p < hd; ++p) {
          const float xv = x[h * hd + p];
          const float dx = delta * xv;
          float* Sp = S + (static_cast<std::int64_t>(h) * hd + p) * ds;
          y[h * hd + p] = update_row(Sp, B, C, decay, dx, ds) + Dh * xv;
        }
      }
    }
  }
}

}  // namespace arbor::kernels
