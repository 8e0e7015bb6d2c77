// The search evaluation: greedy decoding and each algorithm at each token budget over the
// same problems, on one engine, with accuracy, pass@k, tokens, model calls, wall time and the
// engine's batch sizes per run, and paired-bootstrap intervals for the accuracy differences
// (each algorithm against greedy and against self-consistency at the same budget). `arbor
// search-eval` runs it; docs/search.md describes the report.
//
// Budgets: "N" is N generated tokens per problem; "Kx" is K times greedy's mean tokens per
// problem. Every algorithm runs until its budget is spent (the "anytime" settings below) so
// that token use matches across algorithms; the report gives each run's mean tokens next to
// self-consistency's. Defaults per budget B (greedy's mean T), overridable per algorithm in
// config.algorithms: self_consistency / best_of_n / weighted_vote n 0 (until the budget);
// beam_search / dvts n = B / T rounded to a multiple of m (4), at least 4; step_mcts
// iterations 100000, parallel 4; mctsr iterations 100000; sets m = B / (2 T), at least 1;
// self_refine rounds 1000. Runs of self_refine and sets add "turns" (agents/turn_stats.h).
// Evaluators: the "prm" head when the model has one, else the verdict judge, for beam_search,
// dvts and step_mcts; the verdict judge for best_of_n, weighted_vote and mctsr;
// config.evaluators overrides.
//
// Problems are searched `concurrency` at a time on one single-threaded io_context (the
// engine batches their requests together). Problem i uses seed derive_seed(seed, i) in every
// run, so runs are paired.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "runtime/engine.h"

namespace arbor::agents {

struct EvalProblem {
  std::string id;
  std::string question;
  std::string answer;  // the gold answer: used only to score results after each search
};

// JSON lines with string fields id, question and answer (other fields are ignored, so the
// arith generator's records qualify); blank lines are skipped. At most `limit` problems
// (0: all). Errors name the file and line.
StatusOr<std::vector<EvalProblem>> read_problems(const std::string& path, std::int64_t limit);

struct SearchEvalOptions {
  std::vector<std::string> algorithms = {"self_consistency", "best_of_n", "beam_search",
                                         "step_mcts", "mctsr"};
  std::vector<std::string> budgets = {"4x", "16x"};
  // {"algorithms": {name: fields}, "evaluators": {name: evaluator config},
  //  "prompts": {...}, "greedy": {cot fields, e.g. max_tokens}}, each optional.
  Json config = Json::object();
  std::uint64_t seed = 1;
  std::int32_t concurrency = 16;
  std::int32_t bootstrap = 2000;  // resamples
  std::string trees_dir;          // writes <dir>/<algorithm>@<budget>/<problem id>.json
  bool per_problem = false;       // include each problem's outcome in the report
  std::function<void(const std::string&)> progress;  // one line per finished run
};

// Runs the evaluation on `engine` (which nothing else should use meanwhile, so that its
// metrics belong to the runs) and returns the report.
StatusOr<Json> run_search_eval(runtime::Engine& engine, const std::vector<EvalProblem>& problems,
                               const SearchEvalOptions& options);

}  // namespace arbor::agents
