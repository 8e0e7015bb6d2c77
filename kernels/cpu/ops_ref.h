// The CPU reference implementation of every op: plain fp32 loops (BLAS for the matrix
// products), written to be read and checked against, not tuned. Each function implements the
// contract of its argument struct in kernels/ops.h or kernels/sampling.h.
#pragma once

#include "kernels/ops.h"
#include "kernels/sampling.h"

// Hot reference loops are compiled twice, for AVX2 and for baseline x86-64, and the loader
// picks the one the CPU supports (GCC function multiversioning). Not under ThreadSanitizer,
// whose instrumented ifunc resolver would run before the sanitizer's runtime starts.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_THREAD__)
#define ARBOR_CPU_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ARBOR_CPU_CLONES
#endif

namespace arbor::kernels {

void embedding_ref(const EmbeddingArgs& args);
void rms_norm_ref(const RmsNormArgs& args);
void gated_rms_norm_ref(const GatedRmsNormArgs& args);
void linear_ref(const LinearArgs& args);
void conv1d_ref(const Conv1dArgs& args);
void mamba1_scan_ref(const Mamba1ScanArgs& args);
void mamba2_scan_ref(const Mamba2ScanArgs& args);
void silu_mul_ref(const SiluMulArgs& args);
void paged_attention_ref(const PagedAttentionArgs& args);
void kv_append_ref(const KvAppendArgs& args);
void log_softmax_ref(const LogSoftmaxArgs& args);
void sample_ref(const SampleArgs& args);

// Scalar helpers shared by the reference ops, matching PyTorch's definitions.
inline float silu_ref(float x) { return x / (1.0f + __builtin_expf(-x)); }
// torch.nn.functional.softplus with beta 1 and threshold 20.
inline float softplus_ref(float x) { return x > 20.0f ? x : __builtin_log1pf(__builtin_expf(x)); }

}  // namespace arbor::kernels
