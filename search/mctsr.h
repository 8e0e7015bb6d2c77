// MCTSr, Monte Carlo Tree Self-refine (search-algorithms notes, section 1). Nodes are whole
// answers. The roots (children of the problem node) are one sampled "weak" answer and, unless
// dummy_root is false, a dummy "I don't know" answer; both get one reward sample.
//
// Each iteration:
//  1. candidates: nodes with fewer than max_children children, or none of whose children has
//     a higher Q than the node itself;
//  2. select the candidate with the highest UCT = V + c * sqrt(ln(N_parent + 1) / (N +
//     epsilon)), N the node's number of reward samples (a root has N_parent = 0, so no bonus);
//     ties go to the earlier node;
//  3. concurrently: a new reward sample for the selected node, and its critique (one line
//     after the critique prompt) followed by the rewrite (after the refine prompt, in the
//     same context);
//  4. the rewrite becomes a new child, which gets one reward sample.
// Rewards: the evaluator's score mapped linearly onto [-100, 100] (for the verdict judge,
// 200 p - 100), then the reference's penalty for over-confidence: a score >= 95 becomes 50.
// A deterministic evaluator is asked once per node; later samples repeat its score (the node's
// N still grows). Q = (min + mean) / 2 of a node's rewards; a node with children has value
// V = (Q + max over its children of their Q) / 2, recomputed for every node each iteration
// (the parent update from the best child); a leaf's V is its Q.
//
// The answer: selection "max_q" (the default: the answered node with the highest Q, the dummy
// excluded; ties go to the earlier node), "majority", or "weighted" (votes weighted by Q + 100).
// The gold answer is never consulted: there is no early stop on a correct answer.
#pragma once

#include <memory>

#include "search/algorithm.h"

namespace arbor::search {

namespace internal {
struct Refined;
}

struct MctsrConfig {
  std::int32_t iterations = 8;
  std::int32_t max_children = 3;
  double c = 1.4;
  double epsilon = 1e-5;
  bool dummy_root = true;
  SampleParams answer;  // temperature 0.95, max_tokens 192
  std::int32_t critique_max_tokens = 48;
  std::string selection = "max_q";  // max_q | majority | weighted
};

class Mctsr : public Algorithm {
 public:
  static StatusOr<std::unique_ptr<Algorithm>> create(const Json& config, std::string_view where);
  std::string name() const override { return "mctsr"; }
  Json config() const override { return config_; }
  bool needs_evaluator() const override { return true; }
  Task<Status> search(SearchRun& run) const override;

  // Step 1 and 2 on a tree whose answer nodes hold their reward samples: the node the next
  // iteration refines, or kNoNode when none is a candidate.
  NodeId select(const Tree& tree) const;
  // Recomputes every answer node's `value` (V) and the UCT score in info["uct"].
  void update_values(Tree& tree) const;

 private:
  Task<Status> reward(SearchRun& run, NodeId node, std::uint64_t seed) const;
  Task<Status> refine(SearchRun& run, NodeId node, internal::Refined* out) const;

  MctsrConfig c_;
  Json config_;
};

// The self-reward of an evaluator's score: mapped from [lo, hi] onto [-100, 100], then a score
// >= 95 becomes 50.
double mctsr_reward(double score, double lo, double hi);

}  // namespace arbor::search
