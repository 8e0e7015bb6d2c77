// Rng: a small, seedable, platform-independent generator (xoshiro256** seeded by splitmix64).
// Unlike std::uniform_real_distribution, its outputs are the same on every compiler, so a seed
// reproduces a sampled continuation everywhere.
#pragma once

#include <cstdint>

namespace arbor {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0);

  std::uint64_t next_u64();
  // Uniform in [0, 1) with 24 random bits.
  float uniform_f32() { return static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform_f64() { return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0); }
  // Uniform integer in [0, n); REQUIRES: n > 0.
  std::uint64_t below(std::uint64_t n);
  // Standard normal (Box-Muller).
  double normal();

 private:
  std::uint64_t s_[4];
};

}  // namespace arbor
