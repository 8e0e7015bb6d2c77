// Game of 24: combine four numbers with + - * / (each used exactly once) to make 24.
//
// check_game24() is the exact checker: it parses the candidate expression (never pattern-matches
// it), compares the multiset of its literals with the puzzle, and evaluates it in exact rational
// arithmetic, so 8 / (3 - 8 / 3) counts and 23.999 does not.
//
// Game24Env steps through moves "a op b = c": each replaces two of the numbers left with their
// result; the admissible actions are every such move on the numbers left. One complete
// expression over all numbers left is accepted as a single action too. The episode ends when
// one number is left: reward 1 and won when it is 24.
//
// Thread safety: free functions are pure; Game24Env is used by one thread at a time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "envs/environment.h"
#include "envs/rational.h"

namespace arbor::envs {

struct Game24Verdict {
  bool correct = false;
  std::string reason;             // why not (empty when correct)
  std::optional<Rational> value;  // the expression's value when it parsed and evaluated
  std::string expression;         // the expression as checked (prefix and "= 24" removed)
};

inline constexpr int kGame24Target = 24;

// `candidate` may be a bare expression, "(6 - 4) * (4 + 8) = 24", or such a line after
// "Answer:"; only the last line that contains an expression is checked.
Game24Verdict check_game24(const std::vector<int>& numbers, std::string_view candidate);

// One expression over `numbers` that makes `target`, or nullopt when there is none.
std::optional<std::string> solve_game24(const std::vector<int>& numbers,
                                        int target = kGame24Target);

// "4 4 6 8" -> {4, 4, 6, 8}; kInvalidArgument unless 4 integers in 1..100.
StatusOr<std::vector<int>> parse_game24_puzzle(std::string_view text);

// A solvable puzzle of 4 numbers in 1..13 drawn from `rng`.
std::vector<int> random_game24_puzzle(Rng& rng);

class Game24Env final : public Environment {
 public:
  // `puzzle` fixes the numbers of every episode; empty draws a solvable one from the seed at
  // each reset (options {"puzzle": "4 4 6 8"} overrides either).
  Game24Env(std::string id, std::vector<int> puzzle);

  const EnvSpec& spec() const override { return spec_; }
  StatusOr<ResetResult> reset(std::optional<std::uint64_t> seed, const Json& options) override;
  StatusOr<StepResult> step(std::string_view action) override;
  StatusOr<std::vector<std::string>> admissible_actions() override;
  StatusOr<std::string> save() override;
  Status restore(std::string_view snapshot) override;

 private:
  std::string numbers_left() const;
  std::string observation() const;
  Json info() const;

  EnvSpec spec_;
  std::vector<int> fixed_puzzle_;
  std::vector<int> puzzle_;
  std::vector<Rational> left_;
  Rng rng_;
  EpisodeGuard guard_;
};

}  // namespace arbor::envs
