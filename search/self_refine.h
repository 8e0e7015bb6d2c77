// Self-Refine (Madaan et al. 2023) and its verifier-driven variants: one answer, then rounds of
// feedback and rewrite on a single chain, until a check says the answer is correct or the
// rounds or the budget end. The check (`stop`):
//   "critique"   the model's own feedback (Self-Refine): the one-line critique of the current
//                answer; the chain ends when it reads `done_critique` ("All steps are correct."),
//                otherwise the rewrite after the refine prompt, in the critique's context, is
//                the next answer;
//   "verdict"    the model as its own verifier (S2R-style self-verify / self-correct): P(correct)
//                from the verify prompt; the chain ends when it is >= threshold, otherwise a
//                critique and a rewrite follow;
//   "evaluator"  the run's evaluator (a reward model in the loop: self_reward, the prm head, or a
//                programmatic verifier such as an environment's checker), its score mapped from
//                its range onto [0, 1]; the chain ends when that is >= threshold.
// Each answer is a whole-answer node, the child of the one it rewrites, so the tree is one
// chain (node info: "check", the mapped score; "verified"; the rewrite's "critique"); a
// stopping critique is kept in its node's info["final_critique"].
//
// The answer: selection "last" (the last answer of the chain that has one; Self-Refine's
// output) or "best" (the answer with the highest check score; ties: the earlier one; with
// stop "critique", the last). The gold answer is never consulted.
//
// Fields: rounds (4: rewrites at most), stop ("critique"), threshold (0.5), done_critique
// ("All steps are correct."), selection ("last"), temperature (0, all generation), top_k,
// top_p, min_p, max_tokens (192), critique_max_tokens (48).
#pragma once

#include <memory>

#include "search/algorithm.h"

namespace arbor::search {

class SelfRefine : public Algorithm {
 public:
  static StatusOr<std::unique_ptr<Algorithm>> create(const Json& config, std::string_view where);
  std::string name() const override { return "self_refine"; }
  Json config() const override { return config_; }
  bool needs_evaluator() const override { return stop_ == "evaluator"; }
  Task<Status> search(SearchRun& run) const override;

 private:
  // The check of answer node `node`: its score on [0, 1] (stop "verdict" or "evaluator").
  Task<StatusOr<double>> check(SearchRun& run, NodeId node) const;

  std::int32_t rounds_ = 4;
  std::string stop_ = "critique";
  double threshold_ = 0.5;
  std::string done_critique_ = "All steps are correct.";
  std::string selection_ = "last";
  SampleParams answer_;
  std::int32_t critique_max_tokens_ = 48;
  Json config_;
};

}  // namespace arbor::search
