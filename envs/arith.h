// The synthetic `arith` dataset: seeded arithmetic reasoning problems with graded difficulty,
// exact integer answers and a gold solution of one step per line. Arbor's embedded model is
// trained and evaluated on it, so its format is a contract, documented in docs/envs.md:
//
//   question: "Mia has 37 apples. She buys 48 more. Then she gives 25 to a friend. How many
//              apples does Mia have now?"           or "What is (37 + 48) * 3 - 25?"
//   solution: "37 + 48 = 85\n85 - 25 = 60\nAnswer: 60"
//
// Every step is "a op b = c" with op one of + - * / (ASCII, one space around op and '='),
// operands and results positive integers, divisions exact; the last line is "Answer: N".
// Difficulty d in 1..6 is the number of steps, and sets the size of the numbers (table in
// docs/envs.md). Kinds: "expr" (an expression with + - * / and parentheses, evaluated in the
// usual order, left operand first) and "word" (a templated story whose events are the steps).
//
// Problems are random access: problem `index` of `seed` is the same whatever else is generated.
// Train/test splits are disjoint by content: a problem belongs to "test" when a hash of its
// step list falls in the held-out bucket (heldout_permille of 1000), so no step sequence of the
// test split occurs in the train split, for any seeds.
//
// Thread safety: ArithGenerator is immutable after construction; generate() may be called
// from many threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "envs/datasets.h"

namespace arbor::envs {

inline constexpr int kArithMinDifficulty = 1;
inline constexpr int kArithMaxDifficulty = 6;

enum class ArithKind { kExpr, kWord };
enum class ArithSplit { kAll, kTrain, kTest };

struct ArithStep {
  std::int64_t a = 0;
  char op = '+';
  std::int64_t b = 0;
  std::int64_t result = 0;
  std::string to_string() const;  // "37 + 48 = 85"
};

struct ArithProblem {
  std::uint64_t seed = 0;
  std::uint64_t index = 0;
  int difficulty = 1;
  ArithKind kind = ArithKind::kExpr;
  bool heldout = false;  // in the test split
  std::string question;
  std::vector<ArithStep> steps;
  std::int64_t answer = 0;
  std::vector<std::int64_t> numbers;  // operands the question gives (words like "doubles" -> 2)

  std::string id() const;        // "arith-s<seed>-<index>"
  std::string solution() const;  // the steps, one per line, then "Answer: N"
  Json to_json() const;          // the dataset record (docs/envs.md)
  Problem to_problem() const;
};

struct ArithOptions {
  std::vector<int> difficulties = {1, 2, 3, 4, 5, 6};  // drawn uniformly per problem
  std::vector<ArithKind> kinds = {ArithKind::kExpr, ArithKind::kWord};
  ArithSplit split = ArithSplit::kAll;
  int heldout_permille = 100;  // share of step sequences held out for the test split
};

// Parses "1,2,3", "easy" (1-2), "medium" (3-4), "hard" (5-6), "all", or combinations.
StatusOr<std::vector<int>> parse_arith_difficulties(std::string_view text);
// "expr", "word" or "expr,word".
StatusOr<std::vector<ArithKind>> parse_arith_kinds(std::string_view text);
// "all", "train", "test".
StatusOr<ArithSplit> parse_arith_split(std::string_view text);

class ArithGenerator {
 public:
  // kInvalidArgument for difficulties outside 1..6, empty lists, or a permille outside 1..999.
  static StatusOr<ArithGenerator> create(ArithOptions options);

  ArithProblem generate(std::uint64_t seed, std::uint64_t index) const;

  const ArithOptions& options() const { return options_; }

 private:
  explicit ArithGenerator(ArithOptions options) : options_(std::move(options)) {}
  ArithOptions options_;
};

// True when the step list is in the held-out bucket (the split rule above).
bool arith_is_heldout(const std::vector<ArithStep>& steps, int heldout_permille);

}  // namespace arbor::envs
