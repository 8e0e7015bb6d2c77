// Grouped-query attention over a paged KV cache (no position embedding), and the append of new
// K/V rows into the pages (contracts in ops.h).
//
// paged_attention: one block of 4 warps per (token, head); the warps take every 4th key, each
// keeping an online softmax (running max, sum and weighted V in registers, head_dim split over
// the lanes), and the four partial results are merged at the end. fp32 throughout.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.h"

namespace arbor::kernels::cuda {
namespace {

constexpr int kAttnWarps = 4;

struct KvRow {
  const float* k;
  const float* v;
};

// Key/value j (of the sequence, for KV head kvh): from the pages when j < past, else from the
// step's new rows.
__device__ __forceinline__ KvRow kv_row(const PagedAttentionArgs& a, int s, int j, int past,
                                        int start, int kvh) {
  const std::int64_t head_off = std::int64_t{kvh} * a.head_dim;
  if (j < past) {
    const KvPagesRef& c = a.cache;
    const std::int32_t page = a.page_table[std::int64_t{s} * a.ld_page_table + j / c.page_size];
    const std::int64_t base = page * c.page_stride + std::int64_t{j % c.page_size} * c.row + head_off;
    return {c.base + base + c.k_offset, c.base + base + c.v_offset};
  }
  const std::int64_t r = std::int64_t{start + j - past} * a.ld_kv + head_off;
  return {a.k + r, a.v + r};
}

template <int E>  // head_dim <= 32 * E; element i = lane + 32 * e
__global__ void paged_attention_kernel(PagedAttentionArgs a, const std::int32_t* token_seq) {
  __shared__ float sh_m[kAttnWarps], sh_l[kAttnWarps];
  __shared__ float sh_acc[kAttnWarps][32 * E];
  const int t = blockIdx.x;
  const int h = blockIdx.y;
  const int warp = threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  const int s = token_seq[t];
  const SeqSpan seq = a.seqs[s];
  const int past = a.past_len[s];
  const int last = past + (t - seq.start);  // the token's own position: keys 0..last
  const int kvh = h / (a.n_head / a.n_kv_head);
  const int hd = a.head_dim;
  float q[E], acc[E];
#pragma unroll
  for (int e = 0; e < E; ++e) {
    const int i = lane + kWarp * e;
    q[e] = i < hd ? a.q[std::int64_t{t} * a.ld_q + std::int64_t{h} * hd + i] : 0.0f;
    acc[e] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  for (int j = warp; j <= last; j += kAttnWarps) {
    const KvRow kv = kv_row(a, s, j, past, seq.start, kvh);
    float dot = 0.0f;
#pragma unroll
    for (int e = 0; e < E; ++e) {
      const int i = lane + kWarp * e;
      if (i < hd) dot += q[e] * kv.k[i];
    }
    const float score = warp_sum(dot) * a.scale;
    const float m_new = fmaxf(m, score);
    const float correction = expf(m - m_new);  // 0 on the first key (m = -inf)
    const float p = expf(score - m_new);
    l = l * correction + p;
#pragma unroll
    for (int e = 0; e < E; ++e) {
      const int i = lane + kWarp * e;
      acc[e] = acc[e] * correction + (i < hd ? p * kv.v[i] : 0.0f);
    }
    m = m_new;
  }
  if (lane == 0) {
    sh_m[warp] = m;
    sh_l[warp] = l;
  }
#pragma unroll
  for (int e = 0; e < E; ++e) sh_acc[warp][lane + kWarp * e] = acc[e];
  __syncthreads();
  if (warp != 0) return;
  float M = -INFINITY;
  for (int w = 0; w < kAttnWarps; ++w) M = fmaxf(M, sh_m[w]);
  float L = 0.0f;
  float scale_w[kAttnWarps];
  for (int w = 0; w < kAttnWarps; ++w) {
    scale_w[w] = sh_l[w] > 0.0f ? expf(sh_m[w] - M) : 0.0f;  // a warp with no key adds nothing
    L += sh_l[w] * scale_w[w];
  }
#pragma unroll
  for (int e = 0; e < E; ++e) {
    const int i = lane + kWarp * e;
    if (i >= hd) continue;
    float o = 0.0f;
    for (int w = 0; w < kAttnWarps; ++w) o += sh_acc[w][i] * scale_w[w];
    a.out[std::int64_t{t} * a.n_head * hd + std::int64_t{h} * hd + i] = o / L;
  }
}

__global__ void kv_append_kernel(KvAppendArgs a, const std::int32_t* token_seq,
                                 std::int64_t total) {
  const std::int64_t k = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x;
  if (k >= total) return;
  const KvPagesRef& c = a.cache;
  const std::int64_t t = k / c.row;
  const std::int64_t i = k % c.row;
  const int s = token_seq[t];
  const SeqSpan seq = a.seqs[s];
  if (seq.dst_slot == kNoSlot) return;
  const std::int64_t pos = a.past_len[s] + (t - seq.start);
  const std::int32_t page = a.page_table[std::int64_t{s} * a.ld_page_table + pos / c.page_size];
  const std::int64_t base = page * c.page_stride + (pos % c.page_size) * c.row + i;
  c.base[base + c.k_offset] = a.k[t * a.ld_kv + i];
  c.base[base + c.v_offset] = a.v[t * a.ld_kv + i];
}

}  // namespace

cudaError_t paged_attention(const PagedAttentionArgs& a, std::int32_t n_tokens,
                            const std::int32_t* token_seq, cudaStream_t stream) {
  if (n_tokens == 0) return cudaSuccess;
  const dim3 grid(static_cast<unsigned>(n_tokens), static_cast<unsigned>(a.n_head));
  const int threads = kAttnWarps * kWarp;
  const int E = (a.head_dim + kWarp - 1) / kWarp;
  if (E == 1) {
    paged_attention_kernel<1><<<grid, threads, 0, stream>>>(a, token_seq);
  } else if (E == 2) {
    paged_attention_kernel<2><<<grid, threads, 0, stream>>>(a, token_seq);
  } else if (E <= 4) {
    paged_attention_kernel<4><<<grid, threads, 0, stream>>>(a, token_seq);
  } else if (E <= 8) {
    paged_attention_kernel<8><<<grid, threads, 0, stream>>>(a, token_seq);
  } else {
    return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t kv_append(const KvAppendArgs& a, std::int32_t n_tokens, const std::int32_t* token_seq,
                      cudaStream_t stream) {
  const std::int64_t total = std::int64_t{n_tokens} * a.cache.row;
  if (total == 0) return cudaSuccess;
  kv_append_kernel<<<blocks_for(total, 256), 256, 0, stream>>>(a, token_seq, total);
  return cudaGetLastError();
}

}  // namespace arbor::kernels::cuda
