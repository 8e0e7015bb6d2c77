// Embedding gather, RMSNorm fused with the residual add, gated group RMSNorm, SwiGLU's gate,
// bf16 rounding of GEMM inputs, bias add. fp32 arithmetic; sums of squares in double like the
// CPU reference.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.h"

namespace arbor::kernels::cuda {
namespace {

template <typename T>
__device__ __forceinline__ float load(const T* p, std::int64_t i);
template <>
__device__ __forceinline__ float load<float>(const float* p, std::int64_t i) { return p[i]; }
template <>
__device__ __forceinline__ float load<__nv_bfloat16>(const __nv_bfloat16* p, std::int64_t i) {
  return __bfloat162float(p[i]);
}

template <typename T>
__global__ void embedding_kernel(const std::int32_t* ids, const T* table, float* out,
                                 std::int32_t n_embd, float scale) {
  const std::int64_t t = blockIdx.x;
  const T* row = table + static_cast<std::int64_t>(ids[t]) * n_embd;
  for (int i = threadIdx.x; i < n_embd; i += blockDim.x) {
    out[t * n_embd + i] = load(row, i) * scale;
  }
}

__global__ void rms_norm_kernel(const float* add, float* residual, const float* w, float* out,
                                std::int32_t n, float eps, float add_scale) {
  __shared__ double shared[kWarp];
  const std::int64_t r = blockIdx.x;
  float* res = residual + r * n;
  double ss = 0.0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    float v = res[i];
    if (add != nullptr) {
      v += add_scale == 1.0f ? add[r * n + i] : add[r * n + i] * add_scale;
      res[i] = v;
    }
    ss += static_cast<double>(v) * v;
  }
  ss = block_sum(ss, shared);
  const float scale = 1.0f / sqrtf(static_cast<float>(ss / n) + eps);
  for (int i = threadIdx.x; i < n; i += blockDim.x) out[r * n + i] = w[i] * (res[i] * scale);
}

// One block per (row, group).
__global__ void gated_rms_norm_kernel(const float* x, const float* z, std::int64_t ld_z,
                                      const float* w, float* out, std::int32_t n,
                                      std::int32_t group_size, bool norm_before_gate, float eps) {
  __shared__ double shared[kWarp];
  const std::int64_t r = blockIdx.x;
  const std::int32_t g0 = blockIdx.y * group_size;
  const float* xr = x + r * n;
  const float* zr = z + r * ld_z;
  double ss = 0.0;
  for (int i = g0 + threadIdx.x; i < g0 + group_size; i += blockDim.x) {
    const float v = norm_before_gate ? xr[i] : xr[i] * silu(zr[i]);
    ss += static_cast<double>(v) * v;
  }
  ss = block_sum(ss, shared);  // also orders every read of x before the writes below
  const float scale = 1.0f / sqrtf(static_cast<float>(ss / group_size) + eps);
  for (int i = g0 + threadIdx.x; i < g0 + group_size; i += blockDim.x) {
    const float xv = xr[i];
    const float g = silu(zr[i]);
    out[r * n + i] = norm_before_gate ? w[i] * (xv * scale) * g : w[i] * ((xv * g) * scale);
  }
}

__global__ void silu_mul_kernel(const float* x, std::int64_t ld_x, float* out, std::int32_t n,
                                std::int64_t total) {
  const std::int64_t k = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x;
  if (k >= total) return;
  const std::int64_t r = k / n;
  const std::int64_t i = k % n;
  out[k] = silu(x[r * ld_x + i]) * x[r * ld_x + n + i];
}

__global__ void to_bf16_kernel(const float* src, std::int64_t ld_src, __nv_bfloat16* dst,
                               std::int32_t n, std::int64_t total) {
  const std::int64_t k = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x;
  if (k >= total) return;
  dst[k] = __float2bfloat16_rn(src[(k / n) * ld_src + k % n]);
}

__global__ void add_bias_kernel(float* y, std::int64_t ld_y, const float* bias, std::int32_t n,
                                std::int64_t total) {
  const std::int64_t k = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x;
  if (k >= total) return;
  y[(k / n) * ld_y + k % n] += bias[k % n];
}

int threads_for_row(std::int64_t n) { return n >= 1024 ? 512 : n >= 256 ? 256 : 128; }

}  // namespace

cudaError_t embedding(const EmbeddingArgs& a, cudaStream_t stream) {
  if (a.n_tokens == 0) return cudaSuccess;
  const auto n_embd = static_cast<std::int32_t>(a.table.shape[1]);
  const int threads = threads_for_row(n_embd);
  if (a.table.dtype == DType::kBF16) {
    embedding_kernel<<<a.n_tokens, threads, 0, stream>>>(
        a.ids, static_cast<const __nv_bfloat16*>(a.table.data), a.out, n_embd, a.scale);
  } else {
    embedding_kernel<<<a.n_tokens, threads, 0, stream>>>(
        a.ids, static_cast<const float*>(a.table.data), a.out, n_embd, a.scale);
  }
  return cudaGetLastError();
}

cudaError_t rms_norm(const RmsNormArgs& a, cudaStream_t stream) {
  if (a.n_rows == 0) return cudaSuccess;
  rms_norm_kernel<<<a.n_rows, threads_for_row(a.n), 0, stream>>>(
      a.add, a.residual, static_cast<const float*>(a.weight.data), a.out, a.n, a.eps,
      a.add_scale);
  return cudaGetLastError();
}

cudaError_t gated_rms_norm(const GatedRmsNormArgs& a, cudaStream_t stream) {
  if (a.n_rows == 0) return cudaSuccess;
  const dim3 grid(static_cast<unsigned>(a.n_rows), static_cast<unsigned>(a.n / a.group_size));
  gated_rms_norm_kernel<<<grid, threads_for_row(a.group_size), 0, stream>>>(
      a.x, a.z, a.ld_z, static_cast<const float*>(a.weight.data), a.out, a.n, a.group_size,
      a.norm_before_gate, a.eps);
  return cudaGetLastError();
}

cudaError_t silu_mul(const SiluMulArgs& a, cudaStream_t stream) {
  const std::int64_t total = std::int64_t{a.n_rows} * a.n;
  if (total == 0) return cudaSuccess;
  silu_mul_kernel<<<blocks_for(total, 256), 256, 0, stream>>>(a.x, a.ld_x, a.out, a.n, total);
  return cudaGetLastError();
}

cudaError_t to_bf16(const float* src, std::int64_t ld_src, __nv_bfloat16* dst, std::int32_t n_rows,
                    std::int32_t n, cudaStream_t stream) {
  const std::int64_t total = std::int64_t{n_rows} * n;
  if (total == 0) return cudaSuccess;
  to_bf16_kernel<<<blocks_for(total, 256), 256, 0, stream>>>(src, ld_src, dst, n, total);
  return cudaGetLastError();
}

cudaError_t add_bias(float* y, std::int64_t ld_y, const float* bias, std::int32_t n_rows,
                     std::int32_t n, cudaStream_t stream) {
  const std::int64_t total = std::int64_t{n_rows} * n;
  if (total == 0) return cudaSuccess;
  add_bias_kernel<<<blocks_for(total, 256), 256, 0, stream>>>(y, ld_y, bias, n, total);
  return cudaGetLastError();
}

}  // namespace arbor::kernels::cuda
