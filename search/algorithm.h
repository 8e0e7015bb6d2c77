// Algorithm: a test-time search over a SearchRun, made from a JSON config
// ({"algorithm": "<name>", ...fields}; docs/search.md lists each algorithm's fields and
// defaults). Algorithms are coroutines that read like their papers' pseudocode: each round
// issues all its independent model requests at once (when_all), so the engine batches them,
// and checks the budget before the next round.
//
// Threading: run a search (run_search and everything it awaits) on one strand or a
// single-threaded io_context; many searches may share one executor and one model, and their
// requests are batched together. Algorithms are immutable and may serve many runs at once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/task.h"
#include "search/run.h"

namespace arbor::search {

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  virtual std::string name() const = 0;
  // The config with every default filled in.
  virtual Json config() const = 0;
  // Whether search() needs RunOptions::evaluator.
  virtual bool needs_evaluator() const = 0;
  // Searches run.problem() from run's root, adding nodes to run.tree() and choosing one
  // (run.choose). Errors are model failures; a spent budget is not an error.
  virtual Task<Status> search(SearchRun& run) const = 0;
};

// "cot", "best_of_n", "self_consistency", "weighted_vote", "beam_search", "dvts", "step_mcts",
// "mctsr", "tot_bfs", "sets", "self_refine".
const std::vector<std::string>& algorithm_names();

// An algorithm from its config; errors name `where` and the field.
StatusOr<std::unique_ptr<Algorithm>> make_algorithm(const Json& config, std::string_view where);

// Runs `algorithm` on one problem: a SearchRun on `lm` with `options`, its root, the search,
// and the result. InvalidArgument when the algorithm needs an evaluator and has none.
Task<StatusOr<SearchResult>> run_search(const Algorithm& algorithm, LanguageModel& lm,
                                        Problem problem, RunOptions options);

}  // namespace arbor::search
