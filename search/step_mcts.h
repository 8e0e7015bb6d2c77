// Step-level MCTS (rStar / OpenR / ReST-MCTS* style): a node is one reasoning step.
//
// Each round selects `parallel` leaves by descending from the root with UCT or PUCT; virtual
// loss (`virtual_loss` extra visits worth `virtual_value` each on every node of a selected
// path, removed when the round ends) makes the next descent of the same round pick another
// path. Every selected leaf is expanded with `width` sampled steps, all leaves at once; each
// new step gets a value: the evaluator's score of the path so far (value "prm"), or the
// evaluator's score of a greedy rollout from it to the end of the solution (value "rollout").
// Values back up as sums (Q = W / N) to the root. A selected finished leaf is not expanded; its
// first value is backed up again. Steps at max_depth are generated to the end of the solution.
// The search ends after `iterations` rounds, when the budget is spent, or when every path has
// finished.
//
// UCT: Q + c_uct * sqrt(ln N_parent / N). PUCT: Q + prior * (ln((N_parent + c_base + 1) /
// c_base) + c_init) * sqrt(N_parent) / (1 + N), with priors exp(mean token logprob) of each
// step normalised over its siblings.
//
// The answer: answer_selection "weighted" (a vote of finished paths - and, with rollouts, of
// the rollouts' answers - weighted by their values), "majority", "best" (the highest value)
// or "max_visits" (follow the most visited child from the root).
#pragma once

#include <memory>

#include "search/algorithm.h"

namespace arbor::search {

struct StepMctsConfig {
  std::int32_t iterations = 16;  // rounds
  std::int32_t parallel = 1;     // leaves selected and expanded per round
  std::int32_t width = 4;        // steps sampled per expansion
  std::int32_t max_depth = 10;
  std::string rule = "puct";  // puct | uct
  double c_uct = 2.0;         // rStar
  double c_init = 1.25;       // OpenR
  double c_base = 19652;      // OpenR
  double virtual_loss = 1.0;
  double virtual_value = 0.0;
  std::string value = "prm";  // prm | rollout
  SampleParams step;          // temperature 0.8, max_tokens 64
  SampleParams rollout;       // rollout_temperature 0, rollout_max_tokens 192
  std::string answer_selection = "weighted";
};

class StepMcts : public Algorithm {
 public:
  static StatusOr<std::unique_ptr<Algorithm>> create(const Json& config, std::string_view where);
  std::string name() const override { return "step_mcts"; }
  Json config() const override { return config_; }
  bool needs_evaluator() const override { return true; }
  Task<Status> search(SearchRun& run) const override;

  // The child of `node` a descent picks, given virtual visits `virtual_visits` (indexed by
  // node id; missing entries are 0). Ties go to the earlier child. REQUIRES: node has children.
  NodeId pick_child(const Tree& tree, NodeId node, const std::vector<double>& virtual_visits) const;
  // The leaf a descent from the root reaches.
  NodeId select_leaf(const Tree& tree, const std::vector<double>& virtual_visits) const;

 private:
  StepMctsConfig c_;
  Json config_;
};

}  // namespace arbor::search
