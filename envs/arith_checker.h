// The step checker for arithmetic solutions: for any candidate solution, which steps are
// arithmetically right and which follow from the problem.
//
// A step is a line with '=' whose sides are arithmetic (parse_arith): "37 + 48 = 85", also a
// chain "37 + 48 = 85 - 5 = 80" and lines with a short label ("Step 2: 85 - 25 = 60"). Other
// lines (prose, "Answer: 60") are not steps. A step is
//   correct    when every side of it has the same exact value;
//   grounded   when every number on its left sides is a number of the problem, the result of
//              an earlier step, or the value of an earlier side of the same line or of a part
//              of one ("37 + 48 - 25 = 85 - 25" uses 85 = 37 + 48): nothing from nowhere.
// The answer is read with extract_answer ("Answer: N" first) and compared with the gold answer
// exactly; `follows` says it equals the result of the last step.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace arbor::envs {

struct StepVerdict {
  int line = 0;          // 1-based line of the solution
  std::string text;      // the line, trimmed
  bool parsed = false;   // every side is arithmetic
  bool correct = false;  // all sides equal
  bool grounded = false;
  std::vector<std::string> ungrounded;  // operands that come from nowhere
  std::string value;  // the value of the first side ("85", "17/2"), when it parsed
  bool valid() const { return parsed && correct && grounded; }
};

struct SolutionVerdict {
  std::vector<StepVerdict> steps;
  std::string answer;           // as extracted; empty when none
  std::string answer_rule;      // extract_answer's rule
  bool answer_correct = false;  // equals the gold answer
  bool follows = false;         // equals the last step's result
  int valid_steps = 0;
  // Every step valid, at least one step, and the answer right and following from the steps.
  bool all_valid() const;
  Json to_json() const;
};

// `numbers`: the numbers the problem gives (ArithProblem::numbers); `gold`: the answer.
SolutionVerdict check_arith_solution(const std::vector<std::int64_t>& numbers, std::int64_t gold,
                                     std::string_view solution);

// The numbers a question states: digits ("1,250" is 1250) and the words doubles / twice (2),
// triples / three times (3), half (2), dozen (12). For problems that carry no number list.
std::vector<std::int64_t> numbers_in_text(std::string_view question);

}  // namespace arbor::envs
