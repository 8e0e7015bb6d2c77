// Causal GQA attention over a paged KV cache plus the new tokens of each sequence, the K/V
// append into pages, and SwiGLU's silu(gate) * up (contracts in ops.h). fp32 in and out; dot
// products and the weighted sums accumulate in double. Checked against transformers' eager
// attention (GraniteMoeHybrid) to 1e-4 relative through the model parity tests.
#include <cmath>
#include <vector>

#include "kernels/cpu/ops_ref.h"

namespace arbor::kernels {

void silu_mul_ref(const SiluMulArgs& args) {
  for (std::int32_t r = 0; r < args.n_rows; ++r) {
    const float* gate = args.x + r * args.ld_x;
    const float* up = gate + args.n;
    float* out = args.out + static_cast<std::int64_t>(r) * args.n;
    for (std::int32_t i = 0; i < args.n; ++i) out[i] = silu_ref(gate[i]) * up[i];
  }
}

void paged_attention_ref(const PagedAttentionArgs& a) {
  ARBOR_CHECK(a.n_kv_head > 0 && a.n_head % a.n_kv_head == 0);
  const std::int32_t hd = a.head_dim;
  const std::int32_t group = a.n_head / a.n_kv_head;
  const std::int64_t width = std::int64_t{a.n_head} * hd;
  std::vector<const float*> keys, values;
  std::vector<double> scores;
  std::vector<double> acc(static_cast<std::size_t>(hd));
  for (std::int32_t s = 0; s < a.n_seqs; ++s) {
    const SeqSpan& seq = a.seqs[s];
    const std::int32_t past = a.past_len[s];
    const std::int32_t* table = a.page_table + static_cast<std::int64_t>(s) * a.ld_page_table;
    // Rows of every position this sequence's new tokens can see (K/V head 0; heads offset).
    keys.clear();
    values.clear();
    for (std::int32_t j = 0; j < past; ++j) {
      const std::int32_t page = table[j / a.cache.page_size];
      keys.push_back(a.cache.k(page, j % a.cache.page_size));
      values.push_back(a.cache.v(page, j % a.cache.page_size));
    }
    for (std::int32_t i = 0; i < seq.n_tokens; ++i) {
      keys.push_back(a.k + (seq.start + i) * a.ld_kv);
      values.push_back(a.v + (seq.start + i) * a.ld_kv);
    }
    for (std::int32_t t = 0; t < seq.n_tokens; ++t) {
      const std::int32_t n_ctx = past + t + 1;  // causal: positions 0 .. past + t
      scores.resize(static_cast<std::size_t>(n_ctx));
      for (std::int32_t h = 0; h < a.n_head; ++h) {
        const float* q = a.q + (seq.start + t) * a.ld_q + std::int64_t{h} * hd;
        const std::int64_t kv_off = std::int64_t{h / group} * hd;
        double mx = -INFINITY;
        for (std::int32_t j = 0; j < n_ctx; ++j) {
          const float* k = keys[static_cast<std::size_t>(j)] + kv_off;
          double dot = 0;
          for (std::int32_t d = 0; d < hd; ++d) dot += static_cast<double>(q[d]) * k[d];
          scores[static_cast<std::size_t>(j)] = dot * a.scale;
          mx = std::max(mx, scores[static_cast<std::size_t>(j)]);
        }
        double sum = 0;
        for (double& sc : scores) {
          sc = std::exp(sc - mx);
          sum += sc;
        }
        std::fill(acc.begin(), acc.end(), 0.0);
        for (std::int32_t j = 0; j < n_ctx; ++j) {
          const float* v = values[static_cast<std::size_t>(j)] + kv_off;
          const double p = scores[static_cast<std::size_t>(j)] / sum;
          for (std::int32_t d = 0; d < hd; ++d) acc[static_cast<std::size_t>(d)] += p * v[d];
        }
        float* out = a.out + (seq.start + t) * width + std::int64_t{h} * hd;
        for (std::int32_t d = 0; d < hd; ++d)
          out[d] = static_cast<float>(acc[static_cast<std::size_t>(d)]);
      }
    }
  }
}

void kv_append_ref(const KvAppendArgs& a) {
  for (std::int32_t s = 0; s < a.n_seqs; ++s) {
    const SeqSpan& seq = a.seqs[s];
    if (seq.dst_slot == kNoSlot) continue;
    const std::int32_t* table = a.page_table + static_cast<std::int64_t>(s) * a.ld_page_table;
    for (std::int32_t i = 0; i < seq.n_tokens; ++i) {
      const std::int32_t pos = a.past_len[s] + i;
      const std::int32_t page = table[pos / a.cache.page_size];
      const std::int32_t row = pos % a.cache.page_size;
      const float* k = a.k + (seq.start + i) * a.ld_kv;
      const float* v = a.v + (seq.start + i) * a.ld_kv;
      float* kd = a.cache.k(page, row);
      float* vd = a.cache.v(page, row);
      for (std::int64_t d = 0; d < a.cache.row; ++d) {
        kd[d] = k[d];
        vd[d] = v[d];
      }
    }
  }
}

}  // namespace arbor::kernels
