#include "agents/stats.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"
#include "core/random.h"

namespace arbor::agents {

double mean(const std::vector<double>& x) {
  if (x.empty()) return 0;
  double s = 0;
  for (double v : x) s += v;
  return s / static_cast<double>(x.size());
}

PairedDifference paired_bootstrap(const std::vector<double>& a, const std::vector<double>& b,
                                  std::int32_t resamples, std::uint64_t seed, double level) {
  ARBOR_CHECK(a.size() == b.size() && !a.empty()) << "paired samples of different sizes";
  ARBOR_CHECK(resamples >= 1 && level > 0 && level < 1);
  const std::size_t n = a.size();
  std::vector<double> d(n);
  for (std::size_t i = 0; i < n; ++i) d[i] = a[i] - b[i];
  PairedDifference out;
  out.mean = mean(d);
  Rng rng(seed);
  std::vector<double> means(static_cast<std::size_t>(resamples));
  for (double& m : means) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += d[rng.below(n)];
    m = s / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  // Percentile interval: the order statistics at (1 - level) / 2 and (1 + level) / 2.
  auto at = [&](double q) {
    const double pos = q * static_cast<double>(means.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, means.size() - 1);
    return means[lo] + (pos - static_cast<double>(lo)) * (means[hi] - means[lo]);
  };
  out.ci = {at((1 - level) / 2), at((1 + level) / 2)};
  return out;
}

}  // namespace arbor::agents
