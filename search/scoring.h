// The selection and aggregation formulas the tree searches share (search-algorithms notes,
// sections 1, 3, 7a, 7b).
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"

namespace arbor::search {

// UCT as rStar and llm-reasoners use it: q + c * sqrt(ln(n_parent) / n); +infinity for an
// unvisited node (n == 0). REQUIRES: n_parent >= n.
double uct(double q, double n_parent, double n, double c);

// PUCT in the AlphaZero form OpenR uses:
// q + prior * (ln((n_parent + c_base + 1) / c_base) + c_init) * sqrt(n_parent) / (1 + n).
double puct(double q, double prior, double n_parent, double n, double c_init, double c_base);

// MCTSr's UCT: q + c * sqrt(ln(n_parent + 1) / (n + epsilon)); a root (n_parent 0) gets no
// exploration bonus.
double mctsr_uct(double q, double n_parent, double n, double c, double epsilon);

// MCTSr's value of a node from its reward samples: (min + mean) / 2. REQUIRES: non-empty.
double mctsr_q(const std::vector<double>& rewards);

// How the per-step scores of a path become the path's score.
enum class Aggregation { kLast, kMin, kProduct, kMean };
StatusOr<Aggregation> parse_aggregation(std::string_view name);  // "last", "min", "product", "mean"
const char* aggregation_name(Aggregation a);
// REQUIRES: scores non-empty.
double aggregate(const std::vector<double>& scores, Aggregation a);

}  // namespace arbor::search
