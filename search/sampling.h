// Chain of thought and the sampling baselines: best-of-N selected by an evaluator,
// self-consistency (a majority vote on answer keys) and the reward-weighted vote.
#pragma once

#include <memory>

#include "search/algorithm.h"

namespace arbor::search {

// "cot": one solution from the solve prompt, greedy (temperature 0, the default) or sampled.
// Fields: temperature (0), top_k, top_p, min_p, max_tokens (192).
class ChainOfThought : public Algorithm {
 public:
  static StatusOr<std::unique_ptr<Algorithm>> create(const Json& config, std::string_view where);
  std::string name() const override { return "cot"; }
  Json config() const override { return config_; }
  bool needs_evaluator() const override { return false; }
  Task<Status> search(SearchRun& run) const override;

 private:
  SampleParams params_;
  Json config_;
};

// "best_of_n" (the evaluator's best answered sample), "self_consistency" (majority vote) and
// "weighted_vote" (each sample votes with its score minus the evaluator's lowest score).
// Fields: n (8; 0 = as many as the budget allows, which then must limit tokens or calls),
// batch (0 = n, or 8 when n is 0: samples issued per round), temperature (0.8), top_k, top_p,
// min_p, max_tokens (192). With a token budget, a round holds as many samples as the tokens
// left fit at the mean tokens per sample so far, and sampling stops when less than half a
// sample's worth is left.
class Sampling : public Algorithm {
 public:
  enum class Mode { kBestOfN, kSelfConsistency, kWeightedVote };
  static StatusOr<std::unique_ptr<Algorithm>> create(Mode mode, const Json& config,
                                                     std::string_view where);
  std::string name() const override;
  Json config() const override { return config_; }
  bool needs_evaluator() const override { return mode_ != Mode::kSelfConsistency; }
  Task<Status> search(SearchRun& run) const override;

 private:
  Mode mode_ = Mode::kSelfConsistency;
  std::int32_t n_ = 8;
  std::int32_t batch_ = 8;
  SampleParams params_;
  Json config_;
};

}  // namespace arbor::search
