#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/float16.h"
#include "core/random.h"
#include "memory/internal/dot_f16.h"
#include "memory/internal/vector_cache.h"

namespace arbor::memory::internal {
namespace {

TEST(VectorTest, DotF16MatchesFp32WithinFp16Precision) {
  Rng rng(3);
  for (const std::size_t n : {1u, 7u, 16u, 37u, 384u, 1000u}) {
    std::vector<float> a(n), b(n);
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = static_cast<float>(rng.normal());
      b[i] = static_cast<float>(rng.normal());
    }
    normalize(a);
    normalize(b);
    std::vector<std::uint16_t> a16(n);
    double exact = 0;
    double rounded = 0;
    for (std::size_t i = 0; i < n; ++i) {
      a16[i] = f32_to_f16(a[i]);
      exact += static_cast<double>(a[i]) * b[i];
      rounded += static_cast<double>(f16_to_f32(a16[i])) * b[i];
    }
    const float got = dot_f16(a16.data(), b.data(), n);
    EXPECT_NEAR(got, rounded, 1e-5) << n;  // the arithmetic itself is fp32-exact enough
    EXPECT_NEAR(got, exact, 2e-3) << n;    // fp16 storage costs at most this
  }
}

TEST(VectorTest, NormalizeLeavesZeroAlone) {
  std::vector<float> z = {0, 0, 0};
  normalize(z);
  EXPECT_EQ(z, (std::vector<float>{0, 0, 0}));
  std::vector<float> v = {3, 4};
  normalize(v);
  EXPECT_NEAR(v[0], 0.6f, 1e-7);
  EXPECT_NEAR(v[1], 0.8f, 1e-7);
}

}  // namespace
}  // namespace arbor::memory::internal
