// Causal depthwise conv1d and the Mamba-1 / Mamba-2 state-space scans over packed sequences,
// continuing from a source state slot and writing a destination slot (contracts in ops.h).
//
// conv1d: one thread per (sequence, channel, chunk of 32 tokens); the window before a chunk is
// read from the inputs or, at the sequence's start, from the conv state.
// Scans: the recurrent form, token by token, one warp (Mamba-2: a head channel) or a group of
// 16/32 lanes (Mamba-1: a channel) holding its slice of the state in registers, lanes split over
// d_state and the output reduced with shuffles. Prefill and decode run the same kernel.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.h"

namespace arbor::kernels::cuda {
namespace {

constexpr int kConvChunk = 32;

template <int K>
__global__ void conv1d_kernel(Conv1dArgs a) {
  constexpr int hist = K - 1;
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  const SeqSpan seq = a.seqs[blockIdx.z];
  const int t0 = blockIdx.y * kConvChunk;
  if (c >= a.n_channels || t0 >= seq.n_tokens) return;
  const int nc = a.n_channels;
  const float* w = static_cast<const float*>(a.weight.data) + std::int64_t{c} * K;
  const float* src = seq.src_slot != kNoSlot ? slot_ptr(a.state, seq.src_slot) : nullptr;
  const float* x = a.x + std::int64_t{seq.start} * a.ld_x + c;
  auto input = [&](int pos) -> float {  // input `pos` of the sequence; < 0: from the state
    if (pos >= 0) return x[std::int64_t{pos} * a.ld_x];
    return src != nullptr ? src[std::int64_t{hist + pos} * nc + c] : 0.0f;
  };
  float wk[K];
#pragma unroll
  for (int j = 0; j < K; ++j) wk[j] = w[j];
  float win[K];
#pragma unroll
  for (int j = 0; j < hist; ++j) win[j] = input(t0 - hist + j);
  // The final state is read before anything is written (src may equal dst).
  float last[K];
  const bool write_state = blockIdx.y == 0 && seq.dst_slot != kNoSlot;
  if (write_state) {
#pragma unroll
    for (int j = 0; j < hist; ++j) last[j] = input(seq.n_tokens - hist + j);
  }
  const float bias = a.bias != nullptr ? a.bias[c] : 0.0f;
  const int t1 = min(seq.n_tokens, t0 + kConvChunk);
  for (int t = t0; t < t1; ++t) {
    win[hist] = x[std::int64_t{t} * a.ld_x];
    float acc = bias;
#pragma unroll
    for (int j = 0; j < K; ++j) acc += wk[j] * win[j];
    a.out[std::int64_t{seq.start + t} * nc + c] = a.silu ? silu(acc) : acc;
#pragma unroll
    for (int j = 0; j < hist; ++j) win[j] = win[j + 1];
  }
  if (write_state) {
    float* dst = slot_ptr(a.state, seq.dst_slot);
#pragma unroll
    for (int j = 0; j < hist; ++j) dst[std::int64_t{j} * nc + c] = last[j];
  }
}

// A group of G lanes per channel, E state entries per lane (entry n = lane + G * e).
template <int G, int E>
__global__ void mamba1_scan_kernel(Mamba1ScanArgs a) {
  const int groups_per_block = blockDim.x / G;
  const int d = blockIdx.x * groups_per_block + threadIdx.x / G;
  const int lane = threadIdx.x % G;
  const bool valid = d < a.d_inner;  // invalid groups still take part in the shuffles
  const SeqSpan seq = a.seqs[blockIdx.z];
  const int ds = a.d_state;
  const std::int64_t state_off = std::int64_t{d} * ds;
  float h[E], A[E];
#pragma unroll
  for (int e = 0; e < E; ++e) {
    const int n = lane + G * e;
    const bool in = valid && n < ds;
    A[e] = in ? a.A[state_off + n] : 0.0f;
    h[e] = in && seq.src_slot != kNoSlot ? slot_ptr(a.state, seq.src_slot)[state_off + n] : 0.0f;
  }
  const float dt_bias = valid && a.dt_bias != nullptr ? a.dt_bias[d] : 0.0f;
  const float D = valid && a.D != nullptr ? a.D[d] : 0.0f;
  // The inputs of token t + 1 are loaded while token t is computed (the loop is latency-bound).
  struct Inputs {
    float x, dt, z, B[E], C[E];
  };
  auto load = [&](int t, Inputs& in) {
    in.x = valid ? a.x[std::int64_t{t} * a.ld_x + d] : 0.0f;
    in.dt = valid ? a.dt[std::int64_t{t} * a.ld_dt + d] : 0.0f;
    in.z = valid && a.z != nullptr ? a.z[std::int64_t{t} * a.ld_z + d] : 0.0f;
#pragma unroll
    for (int e = 0; e < E; ++e) {
      const int n = lane + G * e;
      const bool in_state = valid && n < ds;
      in.B[e] = in_state ? a.B[std::int64_t{t} * a.ld_bc + n] : 0.0f;
      in.C[e] = in_state ? a.C[std::int64_t{t} * a.ld_bc + n] : 0.0f;
    }
  };
  const int end = seq.start + seq.n_tokens;
  Inputs next;
  load(seq.start, next);
  for (int t = seq.start; t < end; ++t) {
    const Inputs cur = next;
    if (t + 1 < end) load(t + 1, next);
    const float delta = softplus(cur.dt + dt_bias);
    const float dx = delta * cur.x;
    float part = 0.0f;
#pragma unroll
    for (int e = 0; e < E; ++e) {  // entries past d_state stay 0 (A, B, C are 0 there)
      h[e] = expf(delta * A[e]) * h[e] + dx * cur.B[e];
      part += h[e] * cur.C[e];
    }
    part = warp_sum(part, G);
    if (valid && lane == 0) {
      float out = part + D * cur.x;
      if (a.z != nullptr) out *= silu(cur.z);
      a.y[std::int64_t{t} * a.d_inner + d] = out;
    }
  }
  if (seq.dst_slot != kNoSlot) {
    float* dst = slot_ptr(a.state, seq.dst_slot);
#pragma unroll
    for (int e = 0; e < E; ++e) {
      const int n = lane + G * e;
      if (valid && n < ds) dst[state_off + n] = h[e];
    }
  }
}

// One warp per head channel (h, p); E state entries per lane (entry n = lane + 32 * e).
template <int E>
__global__ void mamba2_scan_kernel(Mamba2ScanArgs a) {
  const int warps_per_block = blockDim.x / kWarp;
  const int p = blockIdx.x * warps_per_block + threadIdx.x / kWarp;
  const int h = blockIdx.y;
  const int lane = threadIdx.x % kWarp;
  if (p >= a.head_dim) return;  // a whole warp leaves together
  const SeqSpan seq = a.seqs[blockIdx.z];
  const int ds = a.d_state;
  const int g = h / (a.n_head / a.n_group);
  const std::int64_t state_off = (std::int64_t{h} * a.head_dim + p) * ds;
  float S[E];
#pragma unroll
  for (int e = 0; e < E; ++e) {
    const int n = lane + kWarp * e;
    S[e] = n < ds && seq.src_slot != kNoSlot ? slot_ptr(a.state, seq.src_slot)[state_off + n] : 0.0f;
  }
  const float dt_bias = a.dt_bias != nullptr ? a.dt_bias[h] : 0.0f;
  const float A = a.A[h];
  const float D = a.D != nullptr ? a.D[h] : 0.0f;
  const int width = a.n_head * a.head_dim;
  // The inputs of token t + 1 are loaded while token t is computed (the loop is latency-bound).
  struct Inputs {
    float dt, x, B[E], C[E];
  };
  auto load = [&](int t, Inputs& in) {
    in.dt = a.dt[std::int64_t{t} * a.ld_dt + h];
    in.x = a.x[std::int64_t{t} * a.ld_x + h * a.head_dim + p];
    const float* B = a.B + std::int64_t{t} * a.ld_bc + std::int64_t{g} * ds;
    const float* C = a.C + std::int64_t{t} * a.ld_bc + std::int64_t{g} * ds;
#pragma unroll
    for (int e = 0; e < E; ++e) {
      const int n = lane + kWarp * e;
      in.B[e] = n < ds ? B[n] : 0.0f;
      in.C[e] = n < ds ? C[n] : 0.0f;
    }
  };
  const int end = seq.start + seq.n_tokens;
  Inputs next;
  load(seq.start, next);
  for (int t = seq.start; t < end; ++t) {
    const Inputs cur = next;
    if (t + 1 < end) load(t + 1, next);
    float delta = softplus(cur.dt + dt_bias);
    delta = fminf(fmaxf(delta, a.dt_min), a.dt_max);
    const float decay = expf(delta * A);
    const float dx = delta * cur.x;
    float part = 0.0f;
#pragma unroll
    for (int e = 0; e < E; ++e) {
      S[e] = decay * S[e] + dx * cur.B[e];  // entries past d_state stay 0 (B, C are 0 there)
      part += S[e] * cur.C[e];
    }
    part = warp_sum(part);
    if (lane == 0) a.y[std::int64_t{t} * width + h * a.head_dim + p] = part + D * cur.x;
  }
  if (seq.dst_slot != kNoSlot) {
    float* dst = slot_ptr(a.state, seq.dst_slot);
#pragma unroll
    for (int e = 0; e < E; ++e) {
      const int n = lane + kWarp * e;
      if (n < ds) dst[state_off + n] = S[e];
    }
  }
}

}  // namespace

cudaError_t conv1d(const Conv1dArgs& a, std::int32_t max_tokens, cudaStream_t stream) {
  if (a.n_seqs == 0) return cudaSuccess;
  const int threads = 128;
  const dim3 grid(blocks_for(a.n_channels, threads),
                  static_cast<unsigned>((max_tokens + kConvChunk - 1) / kConvChunk),
                  static_cast<unsigned>(a.n_seqs));
  switch (a.d_conv) {
    case 1: conv1d_kernel<1><<<grid, threads, 0, stream>>>(a); break;
    case 2: conv1d_kernel<2><<<grid, threads, 0, stream>>>(a); break;
    case 3: conv1d_kernel<3><<<grid, threads, 0, stream>>>(a); break;
    case 4: conv1d_kernel<4><<<grid, threads, 0, stream>>>(a); break;
    case 5: conv1d_kernel<5><<<grid, threads, 0, stream>>>(a); break;
    case 6: conv1d_kernel<6><<<grid, threads, 0, stream>>>(a); break;
    case 7: conv1d_kernel<7><<<grid, threads, 0, stream>>>(a); break;
    case 8: conv1d_kernel<8><<<grid, threads, 0, stream>>>(a); break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t mamba1_scan(const Mamba1ScanArgs& a, cudaStream_t stream) {
  if (a.n_seqs == 0) return cudaSuccess;
  const int threads = 128;
  const int G = a.d_state <= 16 ? 16 : 32;
  const dim3 grid(blocks_for(a.d_inner, threads / G), 1, static_cast<unsigned>(a.n_seqs));
  const int E = (a.d_state + G - 1) / G;
#define ARBOR_M1(g, e) mamba1_scan_kernel<g, e><<<grid, threads, 0, stream>>>(a)
  if (G == 16) {
    ARBOR_M1(16, 1);
  } else if (E == 1) {
    ARBOR_M1(32, 1);
  } else if (E == 2) {
    ARBOR_M1(32, 2);
  } else if (E <= 4) {
    ARBOR_M1(32, 4);
  } else if (E <= 8) {
    ARBOR_M1(32, 8);
  } else {
    return cudaErrorInvalidValue;
  }
#undef ARBOR_M1
  return cudaGetLastError();
}

cudaError_t mamba2_scan(const Mamba2ScanArgs& a, cudaStream_t stream) {
  if (a.n_seqs == 0) return cudaSuccess;
  const int threads = 128;
  const dim3 grid(blocks_for(a.head_dim, threads / kWarp), static_cast<unsigned>(a.n_head),
                  static_cast<unsigned>(a.n_seqs));
  const int E = (a.d_state + kWarp - 1) / kWarp;
  if (E == 1) {
    mamba2_scan_kernel<1><<<grid, threads, 0, stream>>>(a);
  } else if (E == 2) {
    mamba2_scan_kernel<2><<<grid, threads, 0, stream>>>(a);
  } else if (E <= 4) {
    mamba2_scan_kernel<4><<<grid, threads, 0, stream>>>(a);
  } else if (E <= 8) {
    mamba2_scan_kernel<8><<<grid, threads, 0, stream>>>(a);
  } else {
    return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace arbor::kernels::cuda
