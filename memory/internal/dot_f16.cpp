#include "memory/internal/dot_f16.h"

#include <array>
#include <memory>

#include "core/float16.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define ARBOR_DOT_F16_X86 1
#endif

namespace arbor::memory::internal {
namespace {

float dot_table(const std::uint16_t* a, const float* b, std::size_t n) {
  static const std::unique_ptr<std::array<float, 65536>> kTable = [] {
    auto t = std::make_unique<std::array<float, 65536>>();
    for (std::size_t i = 0; i < t->size(); ++i) (*t)[i] = f16_to_f32(static_cast<std::uint16_t>(i));
    return t;
  }();
  float s[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (std::size_t j = 0; j < 4; ++j) s[j] += (*kTable)[a[i + j]] * b[i + j];
  }
  float total = (s[0] + s[1]) + (s[2] + s[3]);
  for (; i < n; ++i) total += (*kTable)[a[i]] * b[i];
  return total;
}

#ifdef ARBOR_DOT_F16_X86
__attribute__((target("avx2,fma,f16c"))) float dot_avx2(const std::uint16_t* a, const float* b,
                                                        std::size_t n) {
  __m256 s0 = _mm256_setzero_ps();
  __m256 s1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256 a1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i + 8)));
    s0 = _mm256_fmadd_ps(a0, _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(a1, _mm256_loadu_ps(b + i + 8), s1);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(s0, s1));
  float total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
                ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  if (i < n) total += dot_table(a + i, b + i, n - i);
  return total;
}

bool has_avx2_f16c() {
  static const bool kHas = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                           __builtin_cpu_supports("f16c");
  return kHas;
}
#endif

}  // namespace

float dot_f16(const std::uint16_t* a, const float* b, std::size_t n) {
#ifdef ARBOR_DOT_F16_X86
  if (has_avx2_f16c()) return dot_avx2(a, b, n);
#endif
  return dot_table(a, b, n);
}

}  // namespace arbor::memory::internal
