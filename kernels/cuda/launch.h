// Host-side launchers of the CUDA kernels, one per op. The CudaBackend calls them with the op's
// argument struct in which every host index array (ids, seqs, page tables, past lengths) has
// already been replaced by its staged device copy. Each returns the launch's error.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/ops.h"
#include "kernels/sampling.h"

namespace arbor::kernels::cuda {

cudaError_t embedding(const EmbeddingArgs& a, cudaStream_t stream);
cudaError_t rms_norm(const RmsNormArgs& a, cudaStream_t stream);
cudaError_t gated_rms_norm(const GatedRmsNormArgs& a, cudaStream_t stream);
cudaError_t silu_mul(const SiluMulArgs& a, cudaStream_t stream);
// dst {n_rows, n} (contiguous) = bf16(src {n_rows, ld_src})
cudaError_t to_bf16(const float* src, std::int64_t ld_src, __nv_bfloat16* dst, std::int32_t n_rows,
                    std::int32_t n, cudaStream_t stream);
// y[r, i] += bias[i]
cudaError_t add_bias(float* y, std::int64_t ld_y, const float* bias, std::int32_t n_rows,
                     std::int32_t n, cudaStream_t stream);

cudaError_t conv1d(const Conv1dArgs& a, std::int32_t max_tokens, cudaStream_t stream);
cudaError_t mamba1_scan(const Mamba1ScanArgs& a, cudaStream_t stream);
cudaError_t mamba2_scan(const Mamba2ScanArgs& a, cudaStream_t stream);

// `token_seq` {n_tokens}: the sequence each packed token belongs to.
cudaError_t paged_attention(const PagedAttentionArgs& a, std::int32_t n_tokens,
                            const std::int32_t* token_seq, cudaStream_t stream);
cudaError_t kv_append(const KvAppendArgs& a, std::int32_t n_tokens, const std::int32_t* token_seq,
                      cudaStream_t stream);

cudaError_t log_softmax(const LogSoftmaxArgs& a, cudaStream_t stream);

// One row of the sampler's input on the device: the SamplingParams and the row's uniform draw.
struct SampleRow {
  float temperature;
  std::int32_t top_k;
  float top_p;
  float min_p;
  double u;  // Rng::uniform_f64() of the row (unused when greedy)
};
cudaError_t sample(const float* logits, std::int64_t ld_logits, std::int32_t n_rows,
                   std::int32_t n_vocab, const SampleRow* rows, std::int32_t* tokens,
                   float* logprobs, cudaStream_t stream);

}  // namespace arbor::kernels::cuda
