// Embedding gather: out[t, :] = table[ids[t], :]. fp32, exact.
#include <cstring>

#include "kernels/cpu/ops_ref.h"

namespace arbor::kernels {

void embedding_ref(const EmbeddingArgs& args) {
  const std::int64_t n_vocab = args.table.shape[0];
  const std::int64_t n_embd = args.table.shape[1];
  const float* table = args.table.f32();
  for (std::int32_t t = 0; t < args.n_tokens; ++t) {
    const std::int32_t id = args.ids[t];
    ARBOR_CHECK(id >= 0 && id < n_vocab) << "token id " << id << " outside [0, " << n_vocab << ")";
    float* out = args.out + t * n_embd;
    std::memcpy(out, table + id * n_embd, sizeof(float) * n_embd);
    if (args.scale != 1.0f) {
      for (std::int64_t i = 0; i < n_embd; ++i) out[i] *= args.scale;
    }
  }
}

}  // namespace arbor::kernels
