// Step-level search guided by a process reward model (search-and-learn's beam search and DVTS).
// A node is one step, cut at the step delimiter; each new step is scored by the evaluator (a
// PRM head by default) and a path's score aggregates its steps' scores (last, min, product,
// mean). The last iteration generates to the end of the solution.
#pragma once

#include <memory>

#include "search/algorithm.h"
#include "search/scoring.h"

namespace arbor::search {

struct StepSearchConfig {
  std::int32_t n = 8;           // beams (beam search) / total candidates (DVTS: n / m subtrees)
  std::int32_t m = 4;           // beam width: expansions of each kept beam
  std::int32_t max_steps = 12;  // iterations
  SampleParams step;            // temperature 0.8, max_tokens 64 per step
  std::int32_t final_max_tokens = 192;  // the last iteration's max_tokens
  Aggregation aggregation = Aggregation::kLast;
  std::string selection = "weighted";  // best | majority | weighted (over finished paths)
};

// "beam_search": iteration 0 samples n first steps from the problem; every iteration scores
// the new steps, sets finished paths aside, keeps the ceil(n / m) best unfinished ones and
// expands each m times; it stops when n paths have finished or none is left.
// "dvts": n / m independent subtrees; each iteration expands every live subtree's current
// node m times and keeps only its best child; a subtree ends when that child is finished, and
// its finished children of that iteration are its candidates.
// Fields: n, m, max_steps, temperature, top_k, top_p, min_p, max_tokens, final_max_tokens,
// aggregation, selection.
class BeamSearch : public Algorithm {
 public:
  static StatusOr<std::unique_ptr<Algorithm>> create(bool dvts, const Json& config,
                                                     std::string_view where);
  std::string name() const override { return dvts_ ? "dvts" : "beam_search"; }
  Json config() const override { return config_; }
  bool needs_evaluator() const override { return true; }
  Task<Status> search(SearchRun& run) const override;

 private:
  Task<Status> beam(SearchRun& run) const;
  Task<Status> diverse(SearchRun& run) const;
  // Expands each of `parents` counts[i] times (all at once) and scores the new steps.
  Task<StatusOr<std::vector<std::vector<NodeId>>>> expand(SearchRun& run,
                                                          std::vector<NodeId> parents,
                                                          std::vector<std::int32_t> counts,
                                                          std::vector<std::uint64_t> seeds,
                                                          bool last, std::uint64_t round) const;

  bool dvts_ = false;
  StepSearchConfig c_;
  Json config_;
};

}  // namespace arbor::search
