// Statistics for comparing searches on the same problems.
#pragma once

#include <cstdint>
#include <vector>

namespace arbor::agents {

struct Interval {
  double lo = 0;
  double hi = 0;
};

// The mean of a[i] - b[i] and its paired-bootstrap percentile interval: `resamples` draws of
// the problems with replacement (seeded, so reproducible), the `level` central share of the
// resampled means. REQUIRES: a.size() == b.size() > 0, resamples >= 1, 0 < level < 1.
struct PairedDifference {
  double mean = 0;
  Interval ci;
};
PairedDifference paired_bootstrap(const std::vector<double>& a, const std::vector<double>& b,
                                  std::int32_t resamples, std::uint64_t seed, double level = 0.95);

double mean(const std::vector<double>& x);  // 0 for an empty vector

}  // namespace arbor::agents
