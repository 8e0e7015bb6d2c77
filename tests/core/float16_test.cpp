#include "core/float16.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/random.h"

namespace arbor {
namespace {

TEST(Float16Test, KnownValues) {
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_TRUE(std::isinf(f16_to_f32(0x7c00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xc040), -3.0f);
}

TEST(Float16Test, RoundTripsEveryHalf) {
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const float f = f16_to_f32(static_cast<std::uint16_t>(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(f32_to_f16(f), h) << std::hex << h;
  }
}

TEST(Float16Test, RoundsToNearest) {
  Rng rng(3);
  for (int i = 0; i < 10000; ++i) {
    const float f = static_cast<float>(rng.normal() * 100.0);
    const float h = f16_to_f32(f32_to_f16(f));
    EXPECT_LE(std::fabs(h - f), std::fabs(f) * (1.0f / 2048.0f) + 1e-7f) << f;
    const float b = bf16_to_f32(f32_to_bf16(f));
    EXPECT_LE(std::fabs(b - f), std::fabs(f) * (1.0f / 256.0f)) << f;
  }
}

}  // namespace
}  // namespace arbor
