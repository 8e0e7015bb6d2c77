// Turn-by-turn accuracy of self-correction: how a chain of answers (solve, then verify and
// correct, turn after turn) changes its correctness, scored AFTER the search with the gold
// answer (the search never sees it).
//
// A chain is a child of the problem node followed down its whole-answer children (self_refine
// has one chain, sets m; each rewrite is the child of the answer it rewrites). Turn 0 is the
// first answer, turn t the answer after t corrections; a chain that stopped (verified, or out of
// rounds or budget) keeps its last answer in later turns, as its final answer. A turn without an
// answer counts as incorrect. Counted over every chain of every problem added:
//   accuracy[t]              share of chains correct at turn t
//   revised[t]               chains that produced a new answer at turn t (t >= 1)
//   correct_to_incorrect[t]  correct at t - 1, incorrect at t: a right answer broken
//   incorrect_to_correct[t]  incorrect at t - 1, correct at t: a wrong answer fixed
//
// Thread safety: a value; add() from one thread.
#pragma once

#include <cstdint>
#include <vector>

#include "core/json.h"
#include "search/run.h"

namespace arbor::agents {

// Each chain's answers by turn (nullopt: the turn's answer node has none), in the order the
// chains' first answers were added. Chains may differ in length.
std::vector<std::vector<std::optional<std::string>>> answer_chains(const search::Tree& tree);

// Whether `algorithm` builds chains of corrected answers (self_refine, sets).
bool has_answer_chains(std::string_view algorithm);

// The correctness of each chain's answers by turn, [[false, true], ...], for a result line.
Json chains_json(const search::SearchResult& result, const search::CorrectFn& is_correct);

class TurnStats {
 public:
  // Adds the chains of `result` scored with `is_correct`.
  void add(const search::SearchResult& result, const search::CorrectFn& is_correct);
  // Adds one chain's correctness by turn. REQUIRES: !correct.empty().
  void add_chain(const std::vector<bool>& correct);
  // Adds chains from chains_json() (as stored in a run's result lines); ignores malformed ones.
  void add_json(const Json& chains);

  std::int64_t chains() const { return static_cast<std::int64_t>(chains_.size()); }
  std::int32_t turns() const;  // the longest chain
  double accuracy(std::int32_t turn) const;
  std::int64_t revised(std::int32_t turn) const;
  std::int64_t correct_to_incorrect(std::int32_t turn) const;
  std::int64_t incorrect_to_correct(std::int32_t turn) const;

  // {"chains", "first_accuracy", "final_accuracy", "broken" (correct_to_incorrect summed over
  //  turns), "fixed", "turns": [{"turn", "accuracy", "revised", "correct_to_incorrect",
  //  "incorrect_to_correct"}, ...]}
  Json to_json() const;

 private:
  bool at(std::size_t chain, std::int32_t turn) const;  // carried forward past the end
  std::vector<std::vector<bool>> chains_;
};

}  // namespace arbor::agents
