// Log-softmax and token sampling on the device, one block per row, with the CPU reference's
// semantics (kernels/cpu/sampling.cpp): temperature, then top-k, then top-p over tokens in
// descending order of logit (ties: lower id first), then min-p, then one draw with the row's
// uniform u. Instead of sorting, each cut is found by bisection over the 32-bit order-preserving
// key of the scaled logits (and, within a run of equal logits, over token ids), each probe a
// block-wide count or probability sum. Sums in double.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.h"

namespace arbor::kernels::cuda {
namespace {

constexpr int kThreads = 512;

// Order-preserving map of a float to an unsigned key: a < b  =>  key(a) < key(b).
__device__ __forceinline__ std::uint32_t order_key(float f) {
  const std::uint32_t u = __float_as_uint(f);
  return (u & 0x80000000u) != 0 ? ~u : (u | 0x80000000u);
}

struct RowView {
  const float* x;  // raw logits
  int n;
  float temperature;
  __device__ float scaled(int i) const { return x[i] / temperature; }
};

// The tokens that survive the cuts made so far.
struct Kept {
  std::uint32_t topk_key = 0;        // key >= topk_key
  bool top_p = false;                // and (key > p_key or (key == p_key and id <= p_id))
  std::uint32_t p_key = 0;
  int p_id = 0;
  double min_w = -1.0;               // and w >= min_w
  __device__ bool operator()(std::uint32_t key, int id, double w) const {
    if (key < topk_key) return false;
    if (top_p && (key < p_key || (key == p_key && id > p_id))) return false;
    return w >= min_w;
  }
};

struct Shared {
  double d[kWarp];
  float f[kWarp];
  int i[kWarp];
};

// Largest key K for which pred(K) holds (pred monotone: true up to some K), given pred(0).
template <typename Pred>
__device__ std::uint32_t max_key(Pred pred) {
  std::uint32_t k = 0;
  for (int bit = 31; bit >= 0; --bit) {
    const std::uint32_t cand = k | (1u << bit);
    if (pred(cand)) k = cand;
  }
  return k;
}

// Smallest id in [0, n) for which pred(id) holds (pred monotone: false then true), or n - 1.
template <typename Pred>
__device__ int min_id(int n, Pred pred) {
  int lo = 0, hi = n - 1;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (pred(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

__global__ void log_softmax_kernel(LogSoftmaxArgs a) {
  __shared__ Shared sh;
  const float* x = a.logits + blockIdx.x * a.ld_logits;
  float mx = -INFINITY;
  for (int i = threadIdx.x; i < a.n_vocab; i += blockDim.x) mx = fmaxf(mx, x[i]);
  mx = block_max(mx, sh.f);
  double sum = 0.0;
  for (int i = threadIdx.x; i < a.n_vocab; i += blockDim.x) {
    sum += exp(static_cast<double>(x[i]) - mx);
  }
  sum = block_sum(sum, sh.d);
  const double lse = mx + log(sum);
  float* out = a.out + std::int64_t{blockIdx.x} * a.n_vocab;
  for (int i = threadIdx.x; i < a.n_vocab; i += blockDim.x) {
    out[i] = static_cast<float>(static_cast<double>(x[i]) - lse);
  }
}

// The first index of the row's maximum (ties go to the lowest id, as on the CPU).
__device__ int argmax_row(const float* x, int n, Shared& sh) {
  float best = -INFINITY;
  int best_id = n;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {  // ascending: strict > keeps the lowest
    if (best_id == n || x[i] > best) {
      best = x[i];
      best_id = i;
    }
  }
  const float mx = block_max(best, sh.f);
  int cand = best == mx ? best_id : n;
  for (int o = kWarp / 2; o > 0; o /= 2) cand = min(cand, __shfl_xor_sync(0xffffffffu, cand, o));
  __syncthreads();
  if (threadIdx.x % kWarp == 0) sh.i[threadIdx.x / kWarp] = cand;
  __syncthreads();
  int m = threadIdx.x % kWarp < blockDim.x / kWarp ? sh.i[threadIdx.x % kWarp] : n;
  for (int o = kWarp / 2; o > 0; o /= 2) m = min(m, __shfl_xor_sync(0xffffffffu, m, o));
  return m == n ? 0 : m;
}

__device__ int draw_row(const RowView& row, const SampleRow& p, Shared& sh) {
  const int n = row.n;
  // Top-k: keep every token whose scaled logit is >= the k-th largest.
  Kept kept;
  if (p.top_k > 0 && p.top_k < n) {
    kept.topk_key = max_key([&](std::uint32_t k) {
      int c = 0;
      for (int i = threadIdx.x; i < n; i += blockDim.x) c += order_key(row.scaled(i)) >= k;
      return block_sum(c, sh.i) >= p.top_k;
    });
  }
  float mx = -INFINITY;
  for (int i = threadIdx.x; i < n; i += blockDim.x) mx = fmaxf(mx, row.scaled(i));
  mx = block_max(mx, sh.f);
  auto weight = [&](int i) { return exp(static_cast<double>(row.scaled(i)) - mx); };
  // Mass of kept tokens with key > k (strict) or >= k, and of the run of key k up to id.
  auto mass = [&](auto&& select) {
    double m = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
      const std::uint32_t key = order_key(row.scaled(i));
      const double w = weight(i);
      if (kept(key, i, w) && select(key, i)) m += w;
    }
    return block_sum(m, sh.d);
  };
  const double total = mass([](std::uint32_t, int) { return true; });
  if (p.top_p < 1.0f) {
    // The smallest prefix (in order) whose probability reaches top_p.
    const double target = static_cast<double>(p.top_p) * total;
    // A prefix reaches the target once it holds some mass: top_p <= 0 keeps the first token.
    auto reaches = [target](double m) { return m >= target && m > 0.0; };
    if (mass([](std::uint32_t, int) { return true; }) >= target) {
      const std::uint32_t k = max_key([&](std::uint32_t k) {
        return reaches(mass([k](std::uint32_t key, int) { return key >= k; }));
      });
      const double above = mass([k](std::uint32_t key, int) { return key > k; });
      const int id = min_id(n, [&](int id) {
        return reaches(above +
                       mass([k, id](std::uint32_t key, int i) { return key == k && i <= id; }));
      });
      kept.top_p = true;
      kept.p_key = k;
      kept.p_id = id;
    }
  }
  if (p.min_p > 0.0f) {
    // prob >= min_p * prob of the most likely token (whose weight is exp(0) = 1).
    kept.min_w = static_cast<double>(p.min_p);
  }
  const double sum = mass([](std::uint32_t, int) { return true; });
  const double u = p.u * sum;
  if (mass([](std::uint32_t, int) { return true; }) > u) {
    const std::uint32_t k = max_key([&](std::uint32_t k) {
      return mass([k](std::uint32_t key, int) { return key >= k; }) > u;
    });
    const double above = mass([k](std::uint32_t key, int) { return key > k; });
    return min_id(n, [&](int id) {
      return above + mass([k, id](std::uint32_t key, int i) { return key == k && i <= id; }) > u;
    });
  }
  // Rounding left u at or past the end: the last kept token in order.
  std::uint32_t low = 0xffffffffu;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const std::uint32_t key = order_key(row.scaled(i));
    if (kept(key, i, weight(i))) low = min(low, key);
  }
  for (int o = kWarp / 2; o > 0; o /= 2) low = min(low, __shfl_xor_sync(0xffffffffu, low, o));
  __syncthreads();
  if (threadIdx.x % kWarp == 0) sh.i[threadIdx.x / kWarp] = static_cast<int>(low ^ 0x80000000u);
  __syncthreads();
  int lw = threadIdx.x % kWarp < blockDim.x / kWarp ? sh.i[threadIdx.x % kWarp] : 0x7fffffff;
  for (int o = kWarp / 2; o > 0; o /= 2) lw = min(lw, __shfl_xor_sync(0xffffffffu, lw, o));
  low = static_cast<std::uint32_t>(lw) ^ 0x80000000u;
  int last = -1;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const std::uint32_t key = order_key(row.scaled(i));
    if (key == low && kept(key, i, weight(i))) last = max(last, i);
  }
  for (int o = kWarp / 2; o > 0; o /= 2) last = max(last, __shfl_xor_sync(0xffffffffu, last, o));
  __syncthreads();
  if (threadIdx.x % kWarp == 0) sh.i[threadIdx.x / kWarp] = last;
  __syncthreads();
  int r = threadIdx.x % kWarp < blockDim.x / kWarp ? sh.i[threadIdx.x % kWarp] : -1;
  for (int o = kWarp / 2; o > 0; o /= 2) r = max(r, __shfl_xor_sync(0xffffffffu, r, o));
  return max(r, 0);
}

__global__ void sample_kernel(const float* logits, std::int64_t ld_logits, std::int32_t n_vocab,
                              const SampleRow* rows, std::int32_t* tokens, float* logprobs) {
  __shared__ Shared sh;
  const float* x = logits + blockIdx.x * ld_logits;
  const SampleRow p = rows[blockIdx.x];
  int token;
  if (p.temperature <= 0.0f) {
    token = argmax_row(x, n_vocab, sh);
  } else {
    token = draw_row({x, n_vocab, p.temperature}, p, sh);
  }
  if (logprobs != nullptr) {
    float mx = -INFINITY;
    for (int i = threadIdx.x; i < n_vocab; i += blockDim.x) mx = fmaxf(mx, x[i]);
    mx = block_max(mx, sh.f);
    double sum = 0.0;
    for (int i = threadIdx.x; i < n_vocab; i += blockDim.x) {
      sum += exp(static_cast<double>(x[i]) - mx);
    }
    sum = block_sum(sum, sh.d);
    if (threadIdx.x == 0) {
      logprobs[blockIdx.x] = static_cast<float>(x[token] - (mx + log(sum)));
    }
  }
  if (threadIdx.x == 0) tokens[blockIdx.x] = token;
}

}  // namespace

cudaError_t log_softmax(const LogSoftmaxArgs& a, cudaStream_t stream) {
  if (a.n_rows == 0) return cudaSuccess;
  log_softmax_kernel<<<a.n_rows, kThreads, 0, stream>>>(a);
  return cudaGetLastError();
}

cudaError_t sample(const float* logits, std::int64_t ld_logits, std::int32_t n_rows,
                   std::int32_t n_vocab, const SampleRow* rows, std::int32_t* tokens,
                   float* logprobs, cudaStream_t stream) {
  if (n_rows == 0) return cudaSuccess;
  sample_kernel<<<n_rows, kThreads, 0, stream>>>(logits, ld_logits, n_vocab, rows, tokens,
                                                 logprobs);
  return cudaGetLastError();
}

}  // namespace arbor::kernels::cuda
