// How a search reads answers: the caller injects the extraction of a final answer from a
// solution and the key under which equal answers vote together (agents/ wires in the arith
// rules; envs/ graders plug in the same way). The gold answer never enters a search: the
// correctness of what it chose is scored afterwards (run.h: score_result).
//
// Votes: majority (one vote per answered candidate) and weighted (each candidate votes with
// its weight). Ties go to the larger count, then to the key whose first ballot came first.
//
// Thread safety: values; the functions must be safe to call from the search's strand.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace arbor::search {

// The final answer in a solution, or nullopt when it has none yet.
using ExtractFn = std::function<std::optional<std::string>(std::string_view solution)>;
// The key that groups equal answers ("1,234" and "1234" -> "1234").
using VoteKeyFn = std::function<std::string(std::string_view answer)>;

struct AnswerRules {
  ExtractFn extract;   // REQUIRES: set
  VoteKeyFn vote_key;  // null: the answer itself, trimmed

  std::optional<std::string> extract_from(std::string_view solution) const;
  std::string key(std::string_view answer) const;
};

struct Ballot {
  std::string key;
  double weight = 1.0;
};

struct VoteOutcome {
  std::string key;         // the winner
  double total = 0;        // its summed weight
  std::int32_t count = 0;  // its ballots
  std::int32_t first = 0;  // the index of its first ballot
};

// The key with the largest summed weight; ties: more ballots, then the earliest first ballot.
// nullopt when there are no ballots. Majority vote: every weight 1.
std::optional<VoteOutcome> vote(const std::vector<Ballot>& ballots);

}  // namespace arbor::search
