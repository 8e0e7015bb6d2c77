// SETS, Self-Enhanced Test-time Scaling (arXiv 2501.19306; no official code, so this follows
// the paper's description): m solutions sampled in parallel; each chain then repeats
// self-verify (the verify prompt) and, when judged wrong, self-correct (critique, then refine)
// for up to `rounds` corrections, stopping once verified; the chains' final answers are
// put to a majority vote ("weighted": each votes with its last verification probability).
// All chains verify, and all that need it correct, at once.
//
// Verification: "probability" (P(correct) from the verify prompt, correct when >= threshold)
// or "sample" (a sampled verdict, correct when its first word is the yes verdict).
// Fields: m (4), rounds (3), temperature (0.8), top_k, top_p, min_p, max_tokens (192),
// critique_max_tokens (48), verify ("probability"), threshold (0.5), verify_temperature (0.7),
// selection ("majority" | "weighted").
#pragma once

#include <memory>

#include "search/algorithm.h"

namespace arbor::search {

class Sets : public Algorithm {
 public:
  static StatusOr<std::unique_ptr<Algorithm>> create(const Json& config, std::string_view where);
  std::string name() const override { return "sets"; }
  Json config() const override { return config_; }
  bool needs_evaluator() const override { return false; }
  Task<Status> search(SearchRun& run) const override;

 private:
  // P(correct) of a whole answer node (1 or 0 for a sampled verdict).
  Task<StatusOr<double>> verify(SearchRun& run, NodeId node) const;

  std::int32_t m_ = 4;
  std::int32_t rounds_ = 3;
  SampleParams answer_;
  std::int32_t critique_max_tokens_ = 48;
  bool sampled_verdict_ = false;
  double threshold_ = 0.5;
  float verify_temperature_ = 0.7f;
  std::string selection_ = "majority";
  Json config_;
};

}  // namespace arbor::search
