#include "search/scoring.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/check.h"

namespace arbor::search {

double uct(double q, double n_parent, double n, double c) {
  if (n <= 0) return std::numeric_limits<double>::infinity();
  return q + c * std::sqrt(std::log(std::max(n_parent, 1.0)) / n);
}

double puct(double q, double prior, double n_parent, double n, double c_init, double c_base) {
  const double c = std::log((n_parent + c_base + 1.0) / c_base) + c_init;
  return q + prior * c * std::sqrt(n_parent) / (1.0 + n);
}

double mctsr_uct(double q, double n_parent, double n, double c, double epsilon) {
  return q + c * std::sqrt(std::log(n_parent + 1.0) / (n + epsilon));
}

double mctsr_q(const std::vector<double>& rewards) {
  ARBOR_CHECK(!rewards.empty()) << "MCTSr Q of a node without rewards";
  double sum = 0;
  for (double r : rewards) sum += r;
  const double mean = sum / static_cast<double>(rewards.size());
  return (*std::min_element(rewards.begin(), rewards.end()) + mean) / 2.0;
}

StatusOr<Aggregation> parse_aggregation(std::string_view name) {
  if (name == "last") return Aggregation::kLast;
  if (name == "min") return Aggregation::kMin;
  if (name == "product") return Aggregation::kProduct;
  if (name == "mean") return Aggregation::kMean;
  return Status::invalid_argument("aggregation must be last, min, product or mean, not '" +
                                  std::string(name) + "'");
}

const char* aggregation_name(Aggregation a) {
  switch (a) {
    case Aggregation::kLast:
      return "last";
    case Aggregation::kMin:
      return "min";
    case Aggregation::kProduct:
      return "product";
    case Aggregation::kMean:
      return "mean";
  }
  return "?";
}

double aggregate(const std::vector<double>& scores, Aggregation a) {
  ARBOR_CHECK(!scores.empty()) << "aggregate of no step scores";
  switch (a) {
    case Aggregation::kLast:
      return scores.back();
    case Aggregation::kMin:
      return *std::min_element(scores.begin(), scores.end());
    case Aggregation::kProduct: {
      double p = 1;
      for (double s : scores) p *= s;
      return p;
    }
    case Aggregation::kMean: {
      double s = 0;
      for (double x : scores) s += x;
      return s / static_cast<double>(scores.size());
    }
  }
  return scores.back();
}

}  // namespace arbor::search
