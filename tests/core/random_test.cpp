#include "core/random.h"

#include <gtest/gtest.h>

namespace arbor {
namespace {

TEST(RngTest, SameSeedSameStream) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    differs |= x != c.next_u64();
  }
  EXPECT_TRUE(differs);
}

TEST(RngTest, UniformInRangeAndRoughlyUniform) {
  Rng rng(7);
  int buckets[10] = {};
  for (int i = 0; i < 100000; ++i) {
    const float u = rng.uniform_f32();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    buckets[static_cast<int>(u * 10)]++;
  }
  for (int b : buckets) {
    EXPECT_GT(b, 9500);
    EXPECT_LT(b, 10500);
  }
  for (int i = 0; i < 1000; ++i) EXPECT_LT(rng.below(3), 3u);
}

}  // namespace
}  // namespace arbor
