// Causal depthwise conv1d over packed sequences, continuing from and writing back the conv
// state (contract in ops.h). fp32; the window sum runs oldest input first like PyTorch's conv.
// Checked against torch.nn.Conv1d (groups = channels) to 1e-6 relative.
#include <cstring>
#include <vector>

#include "kernels/cpu/ops_ref.h"

namespace arbor::kernels {

void conv1d_ref(const Conv1dArgs& args) {
  const std::int32_t nc = args.n_channels;
  const std::int32_t k = args.d_conv;
  const std::int32_t hist = k - 1;  // inputs kept in the state
  const float* w = args.weight.f32();  // {nc, k}
  std::vector<float> window;
  for (std::int32_t s = 0; s < args.n_seqs; ++s) {
    const SeqSpan& seq = args.seqs[s];
    // window {hist + n_tokens, nc}: the state's inputs, oldest first, then the new inputs.
    window.assign(static_cast<std::size_t>(hist + seq.n_tokens) * nc, 0.0f);
    if (seq.src_slot != kNoSlot && hist > 0) {
      std::memcpy(window.data(), args.state.slot(seq.src_slot), sizeof(float) * hist * nc);
    }
    for (std::int32_t t = 0; t < seq.n_tokens; ++t) {
      std::memcpy(window.data() + static_cast<std::size_t>(hist + t) * nc,
                  args.x + (seq.start + t) * args.ld_x, sizeof(float) * nc);
    }
    for (std::int32_t t = 0; t < seq.n_tokens; ++t) {
      float* out = args.out + static_cast<std::int64_t>(seq.start + t) * nc;
      for (std::int32_t c = 0; c < nc; ++c) {
        float acc = args.bias != nullptr ? args.bias[c] : 0.0f;
        for (std::int32_t j = 0; j < k; ++j) {
          acc += w[c * k + j] * window[static_cast<std::size_t>(t + j) * nc + c];
        }
        out[c] = args.silu ? silu_ref(acc) : acc;
      }
    }
    if (seq.dst_slot != kNoSlot && hist > 0) {
      std::memcpy(args.state.slot(seq.dst_slot),
                  window.data() + static_cast<std::size_t>(seq.n_tokens) * nc,
                  sizeof(float) * hist * nc);
    }
  }
}

}  // namespace arbor::kernels
