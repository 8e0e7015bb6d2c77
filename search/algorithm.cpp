#include "search/algorithm.h"

#include "search/beam_search.h"
#include "search/evaluator.h"
#include "search/mctsr.h"
#include "search/sampling.h"
#include "search/self_refine.h"
#include "search/sets.h"
#include "search/status_macros.h"
#include "search/step_mcts.h"
#include "search/tot_bfs.h"

namespace arbor::search {

const std::vector<std::string>& algorithm_names() {
  static const std::vector<std::string> kNames = {
      "cot",       "best_of_n", "self_consistency", "weighted_vote", "beam_search", "dvts",
      "step_mcts", "mctsr",     "tot_bfs",          "sets",          "self_refine"};
  return kNames;
}

StatusOr<std::unique_ptr<Algorithm>> make_algorithm(const Json& config, std::string_view where) {
  if (!config.is_object()) {
    return Status::invalid_argument(std::string(where) + ": an algorithm config is an object");
  }
  ARBOR_ASSIGN_OR_RETURN(std::string name, json_get<std::string>(config, "algorithm", where));
  if (name == "cot") return ChainOfThought::create(config, where);
  if (name == "best_of_n") return Sampling::create(Sampling::Mode::kBestOfN, config, where);
  if (name == "self_consistency") {
    return Sampling::create(Sampling::Mode::kSelfConsistency, config, where);
  }
  if (name == "weighted_vote")
    return Sampling::create(Sampling::Mode::kWeightedVote, config, where);
  if (name == "beam_search") return BeamSearch::create(false, config, where);
  if (name == "dvts") return BeamSearch::create(true, config, where);
  if (name == "step_mcts") return StepMcts::create(config, where);
  if (name == "mctsr") return Mctsr::create(config, where);
  if (name == "tot_bfs") return TotBfs::create(config, where);
  if (name == "sets") return Sets::create(config, where);
  if (name == "self_refine") return SelfRefine::create(config, where);
  std::string known;
  for (const std::string& n : algorithm_names()) known += (known.empty() ? "" : ", ") + n;
  return Status::invalid_argument(std::string(where) + ".algorithm: unknown algorithm '" + name +
                                  "' (known: " + known + ")");
}

Task<StatusOr<SearchResult>> run_search(const Algorithm& algorithm, LanguageModel& lm,
                                        Problem problem, RunOptions options) {
  if (algorithm.needs_evaluator() && options.evaluator == nullptr) {
    co_return Status::invalid_argument(algorithm.name() + " needs an evaluator");
  }
  if (!options.answers.extract) {
    co_return Status::invalid_argument("run_search: no answer extraction function");
  }
  SearchRun run(lm, std::move(problem), std::move(options));
  ARBOR_CO_RETURN_IF_ERROR(co_await run.start());
  ARBOR_CO_RETURN_IF_ERROR(co_await algorithm.search(run));
  co_return run.finish(algorithm.name(), algorithm.config());
}

}  // namespace arbor::search
