// Device helpers shared by the CUDA kernels: activations, warp and block reductions, launch
// checks. Included by kernels/cuda/*.cu only.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/ops.h"

namespace arbor::kernels::cuda {

inline constexpr int kWarp = 32;

__device__ __forceinline__ float silu(float x) { return x / (1.0f + expf(-x)); }
// torch.nn.functional.softplus with beta 1 and threshold 20 (as the CPU reference).
__device__ __forceinline__ float softplus(float x) { return x > 20.0f ? x : log1pf(expf(x)); }

template <typename T>
__device__ __forceinline__ T warp_sum(T v, int width = kWarp) {
  for (int o = width / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o, width);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int o = kWarp / 2; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum over the block; every thread gets the result. `shared` holds at least 32 values.
// REQUIRES: blockDim.x is a multiple of 32; every thread of the block calls it.
template <typename T>
__device__ T block_sum(T v, T* shared) {
  const int lane = threadIdx.x % kWarp;
  const int warp = threadIdx.x / kWarp;
  v = warp_sum(v);
  __syncthreads();  // `shared` may still be read by a previous call
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  const int n_warps = blockDim.x / kWarp;
  T total = lane < n_warps ? shared[lane] : T(0);
  return warp_sum(total);
}

__device__ __forceinline__ float block_max(float v, float* shared) {
  const int lane = threadIdx.x % kWarp;
  const int warp = threadIdx.x / kWarp;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  const int n_warps = blockDim.x / kWarp;
  float m = lane < n_warps ? shared[lane] : -INFINITY;
  return warp_max(m);
}

// StateRef::slot() for device code.
__device__ __forceinline__ float* slot_ptr(const StateRef& r, std::int32_t s) {
  return r.base + s * r.slot_stride + r.offset;
}

inline unsigned blocks_for(std::int64_t n, int threads) {
  return static_cast<unsigned>((n + threads - 1) / threads);
}

}  // namespace arbor::kernels::cuda
