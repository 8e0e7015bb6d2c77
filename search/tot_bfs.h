// Tree of Thoughts, breadth-first search (princeton-nlp/tree-of-thought-llm, method "bfs" with
// "sample" generation and "value" evaluation). A node is one step. Each step samples
// n_generate next steps from every state of the frontier (all at once), values each new state
// with the value prompt (n_evaluate judgements, sure 20 / likely 1 / impossible 0.001,
// summed; a state equal to an earlier one of the same step gets 0 without a request, as in
// the reference), sets finished states aside and keeps the `breadth` best unfinished ones.
// The answer is the finished state with the highest value (ties: the earlier one).
//
// Fields: n_generate (3), breadth (5), max_steps (8), temperature (0.7), top_k, top_p, min_p,
// max_tokens (64 per step), final_max_tokens (192, the last step's), value ("label": the
// value prompt, or "evaluator": the run's evaluator), value_mode ("probability" | "sample"),
// n_evaluate (3), value_temperature (0.7).
#pragma once

#include <memory>

#include "search/algorithm.h"
#include "search/evaluators.h"

namespace arbor::search {

class TotBfs : public Algorithm {
 public:
  static StatusOr<std::unique_ptr<Algorithm>> create(const Json& config, std::string_view where);
  std::string name() const override { return "tot_bfs"; }
  Json config() const override { return config_; }
  bool needs_evaluator() const override { return use_run_evaluator_; }
  Task<Status> search(SearchRun& run) const override;

 private:
  std::int32_t n_generate_ = 3;
  std::int32_t breadth_ = 5;
  std::int32_t max_steps_ = 8;
  std::int32_t final_max_tokens_ = 192;
  SampleParams step_;
  bool use_run_evaluator_ = false;
  std::unique_ptr<LabelJudge> judge_;
  Json config_;
};

}  // namespace arbor::search
