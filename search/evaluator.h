// Evaluator: scores candidate solutions (whole or partial) of a run's problem. Higher is
// better; range() says the scale. Implementations:
//   verdict        the model as judge: P(yes) / (P(yes) + P(no)) after the verify prompt
//                  (two logprob requests per candidate), in [0, 1];
//   self_reward    the verdict probability as the self-reward 200 p - 100, in [-100, 100];
//   sampled_score  the model's sampled score in [-100, 100] after the score prompt (the last
//                  number of its reply, MCTSr's self-reward), averaged over samples;
//   prm            a process reward head (LanguageModel::value) read at the end of the
//                  solution in the solve format, in the head's range ([0, 1] for sigmoid);
//   label          the Tree of Thoughts value prompt: n_evaluate judgements mapped to label
//                  values (sure 20 / likely 1 / impossible 0.001) and summed;
//   pairwise       a pairwise preference judge, scored by soft Borda count over all pairs;
//   verifier       a programmatic checker (an environment's rules at decision time);
//   likelihood     the model's own probability of the solution, per step line (geometric
//                  mean), in [0, 1].
// None of them sees the gold answer.
//
// Thread safety: evaluators are immutable; score() runs on the run's strand and issues its
// requests concurrently. One evaluator may serve many runs at once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/task.h"
#include "search/language_model.h"

namespace arbor::search {

class SearchRun;

struct Candidate {
  std::string solution;      // the solution text (steps, and the answer line when complete)
  ContextPtr solve_context;  // its context in the solve format, or null (made when needed)
  bool partial = false;      // a prefix of a solution (step-level search)
};

struct ScoreRange {
  double lo = 0;
  double hi = 1;
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  virtual std::string name() const = 0;
  // Scoring the same candidate again gives the same score (no sampling): callers may reuse it.
  virtual bool deterministic() const = 0;
  virtual ScoreRange range() const = 0;
  // The score of each candidate, in order. Model requests go through run.lm() (so they are
  // metered) and are issued concurrently; `seed` seeds sampled judgements.
  virtual Task<StatusOr<std::vector<double>>> score(SearchRun& run,
                                                    std::vector<Candidate> candidates,
                                                    std::uint64_t seed) const = 0;
  // The resolved config.
  virtual Json config() const = 0;
};

// A programmatic verifier: the score of a solution (partial or not) of `question`.
using Verifier = std::function<StatusOr<double>(std::string_view question,
                                                std::string_view solution, bool partial)>;
using Verifiers = std::map<std::string, Verifier, std::less<>>;

// An evaluator from its config: {"kind": "verdict" | "self_reward" | "sampled_score" | "prm" |
// "label" | "pairwise" | "verifier" | "likelihood", ...its fields (docs/search.md)}.
// "verifier" names one of `verifiers`. Errors name `where` and the field.
StatusOr<std::unique_ptr<Evaluator>> make_evaluator(const Json& config, const Verifiers& verifiers,
                                                    std::string_view where);

// p(yes) / (p(yes) + p(no)) from log-probabilities, without overflow.
double two_way_probability(double logp_yes, double logp_no);

// The last number ("-12", "37.5") in `text`, if any.
std::optional<double> last_number(std::string_view text);

}  // namespace arbor::search
