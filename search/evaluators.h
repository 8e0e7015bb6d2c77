// The evaluators of evaluator.h. Algorithms that need a fixed judge (Tree of Thoughts' value
// prompt, SETS' self-verification) construct these directly; configs go through
// make_evaluator().
#pragma once

#include <string>

#include "search/evaluator.h"

namespace arbor::search {

// The model as judge through the verify prompt: P(verdict_yes) / (P(yes) + P(no)), in [0, 1].
class VerdictJudge : public Evaluator {
 public:
  std::string name() const override { return "verdict"; }
  bool deterministic() const override { return true; }
  ScoreRange range() const override { return {0, 1}; }
  Task<StatusOr<std::vector<double>>> score(SearchRun& run, std::vector<Candidate> candidates,
                                            std::uint64_t seed) const override;
  Json config() const override { return {{"kind", "verdict"}}; }
};

// The model's sampled score after the score prompt: the last number of each reply, clamped to
// [-100, 100], averaged over `samples` replies; a reply without a number is drawn again up to
// `retries` times, and a candidate left without any scores `fallback`.
class SampledScoreJudge : public Evaluator {
 public:
  struct Options {
    std::int32_t samples = 1;
    float temperature = 0.7f;
    std::int32_t max_tokens = 16;
    std::int32_t retries = 2;
    double fallback = 0;
  };
  explicit SampledScoreJudge(Options options) : options_(options) {}
  std::string name() const override { return "sampled_score"; }
  bool deterministic() const override { return false; }
  ScoreRange range() const override { return {-100, 100}; }
  Task<StatusOr<std::vector<double>>> score(SearchRun& run, std::vector<Candidate> candidates,
                                            std::uint64_t seed) const override;
  Json config() const override;

 private:
  Options options_;
};

// Tree of Thoughts' value prompt: n_evaluate judgements of a (partial) solution, each mapped to
// its label's value (prompts.value_labels) and summed. mode "probability": the expected sum
// under the labels' probabilities (one logprob request per label; no sampling); "sample":
// n_evaluate sampled replies, each the label its first word names (0 when none).
class LabelJudge : public Evaluator {
 public:
  struct Options {
    std::string mode = "probability";
    std::int32_t n_evaluate = 3;
    float temperature = 0.7f;
    std::int32_t max_tokens = 4;
  };
  explicit LabelJudge(Options options) : options_(std::move(options)) {}
  std::string name() const override { return "label"; }
  bool deterministic() const override { return options_.mode == "probability"; }
  // [0, n_evaluate * 20] with the default labels (the largest label value is not known here).
  ScoreRange range() const override { return {0, 20.0 * options_.n_evaluate}; }
  Task<StatusOr<std::vector<double>>> score(SearchRun& run, std::vector<Candidate> candidates,
                                            std::uint64_t seed) const override;
  Json config() const override;

 private:
  Options options_;
};

// Self-rewarding: the model as its own judge, the verdict probability p of VerdictJudge mapped
// to the self-reward 200 p - 100 (docs/model_formats.md), in [-100, 100].
class SelfRewardJudge : public Evaluator {
 public:
  std::string name() const override { return "self_reward"; }
  bool deterministic() const override { return true; }
  ScoreRange range() const override { return {-100, 100}; }
  Task<StatusOr<std::vector<double>>> score(SearchRun& run, std::vector<Candidate> candidates,
                                            std::uint64_t seed) const override;
  Json config() const override { return {{"kind", "self_reward"}}; }
};

// Pairwise preference: for two solutions, P(A better) from the pairwise prompt, averaged over
// both orders (to cancel position bias). score() of a set is each candidate's soft Borda count,
// the sum over the others of P(it beats them), in [0, n - 1]; all pairs are judged
// concurrently (4 logprob requests per pair).
class PairwiseJudge : public Evaluator {
 public:
  std::string name() const override { return "pairwise"; }
  bool deterministic() const override { return true; }
  ScoreRange range() const override { return {0, 1}; }
  Task<StatusOr<std::vector<double>>> score(SearchRun& run, std::vector<Candidate> candidates,
                                            std::uint64_t seed) const override;
  Json config() const override { return {{"kind", "pairwise"}}; }
  // P(a is better than b).
  static Task<StatusOr<double>> prefer(SearchRun& run, std::string a, std::string b);
};

// A reward head: output `output` of LanguageModel::value(context, head) at the end of the
// solution in the solve format (for a partial solution, after the delimiter of its last step).
class ValueHeadEvaluator : public Evaluator {
 public:
  ValueHeadEvaluator(std::string head, std::int32_t output, ScoreRange range)
      : head_(std::move(head)), output_(output), range_(range) {}
  std::string name() const override { return "prm"; }
  bool deterministic() const override { return true; }
  ScoreRange range() const override { return range_; }
  Task<StatusOr<std::vector<double>>> score(SearchRun& run, std::vector<Candidate> candidates,
                                            std::uint64_t seed) const override;
  Json config() const override;

 private:
  std::string head_;
  std::int32_t output_;
  ScoreRange range_;
};

// The model's own likelihood of the solution: exp(log p(solution | solve prompt) / steps), the
// geometric-mean probability per step line (steps: the solution's lines, delimiter-separated),
// in [0, 1]. One logprob request per candidate. Sampling errors that the model itself found
// unlikely (a slipped digit) lower it, which a judge prompt may not see.
class LikelihoodEvaluator : public Evaluator {
 public:
  std::string name() const override { return "likelihood"; }
  bool deterministic() const override { return true; }
  ScoreRange range() const override { return {0, 1}; }
  Task<StatusOr<std::vector<double>>> score(SearchRun& run, std::vector<Candidate> candidates,
                                            std::uint64_t seed) const override;
  Json config() const override { return {{"kind", "likelihood"}}; }
};

// A programmatic verifier (no model requests).
class VerifierEvaluator : public Evaluator {
 public:
  VerifierEvaluator(std::string name, Verifier verifier, ScoreRange range)
      : name_(std::move(name)), verifier_(std::move(verifier)), range_(range) {}
  std::string name() const override { return "verifier"; }
  bool deterministic() const override { return true; }
  ScoreRange range() const override { return range_; }
  Task<StatusOr<std::vector<double>>> score(SearchRun& run, std::vector<Candidate> candidates,
                                            std::uint64_t seed) const override;
  Json config() const override;

 private:
  std::string name_;
  Verifier verifier_;
  ScoreRange range_;
};

}  // namespace arbor::search
