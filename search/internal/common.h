// Pieces the algorithms share: the sampling fields of their configs, turning samples into
// tree nodes, evaluating nodes, and choosing the final answer.
#pragma once

#include <string>
#include <vector>

#include "search/evaluator.h"
#include "search/internal/config_reader.h"
#include "search/run.h"

namespace arbor::search::internal {

// The purposes that tell requests of one node apart in SearchRun::seed(purpose, id).
enum SeedPurpose : std::uint64_t {
  kSeedSample = 1,
  kSeedEvaluate = 2,
  kSeedCritique = 3,
  kSeedRefine = 4,
  kSeedRollout = 5,
  kSeedVerify = 6,
  kSeedDummy = 7,
};

// Reads temperature, top_k, top_p, min_p and `max_tokens_key` into SampleParams.
SampleParams read_sampling(ConfigReader& r, double temperature, std::int64_t max_tokens,
                           const char* max_tokens_key = "max_tokens");

// Adds `samples` under `parent`, in order, and returns their ids. A step node's text is the
// sample and its stop string; it is terminal when it holds an answer or did not end at a stop
// string. A whole node (whole answers) is always terminal. Answers are extracted from
// tree.solution().
std::vector<NodeId> add_samples(SearchRun& run, NodeId parent, const std::vector<Sample>& samples,
                                const std::string& kind, bool whole);

// The candidates for `nodes` (solution text, context when `step_contexts`, partial unless
// terminal).
std::vector<Candidate> candidates_of(const SearchRun& run, const std::vector<NodeId>& nodes,
                                     bool step_contexts);

// Scores `nodes` with run.evaluator() (all at once) and returns the scores in order.
Task<StatusOr<std::vector<double>>> evaluate(SearchRun& run, std::vector<NodeId> nodes,
                                             bool step_contexts, std::uint64_t seed);

// The final-answer selections: "best" (the highest weight; ties: the earliest node),
// "majority" (a vote on answer keys), "weighted" (a vote weighted by the weights).
// Only nodes with answers take part. Returns the chosen node, or kNoNode.
NodeId select_answer(const SearchRun& run, const std::vector<NodeId>& nodes,
                     const std::vector<double>& weights, const std::string& selection);

// Critique and refine (the self-refine edge of MCTSr and SETS): a one-line critique of whole
// answer `node` after the critique prompt, then a rewritten answer after the refine prompt in
// the same context.
struct Refined {
  Sample critique;
  Sample answer;
};
Task<StatusOr<Refined>> critique_and_refine(SearchRun& run, NodeId node, SampleParams answer,
                                            std::int32_t critique_max_tokens,
                                            std::uint64_t critique_seed, std::uint64_t refine_seed);

// The two halves of critique_and_refine: the one-line critique of whole answer `node`, and the
// rewritten answer after the refine prompt in the critique's context.
Task<StatusOr<Sample>> critique(SearchRun& run, NodeId node, SampleParams params,
                                std::int32_t critique_max_tokens, std::uint64_t seed);
Task<StatusOr<Sample>> refine_after(SearchRun& run, const Sample& critique, SampleParams answer,
                                    std::uint64_t seed);

// Adds a refined answer under `parent` (kind "answer", a whole node) with its critique in
// info; the node's tokens count both.
NodeId add_refined(SearchRun& run, NodeId parent, const Refined& refined);

// The names select_answer accepts.
const std::vector<std::string>& selection_names();

}  // namespace arbor::search::internal
