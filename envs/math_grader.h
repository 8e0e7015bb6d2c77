// Answer equivalence for math datasets, in the modes of the reference graders.
//
//   gsm8k      GSM8K: both answers reduced to plain numbers ("$1,234." -> 1234) and compared
//              exactly as rationals; non-numbers compared as case-folded strings. A gold or
//              predicted text containing "#### " is reduced to the text after it first.
//   hendrycks  MATH's is_equiv: string equality after Hendrycks et al.'s normaliser.
//   prm800k    the PRM800K grader, MATH-500's reference: hendrycks-equal, or equal after its
//              second normaliser, or, element by element for tuples and intervals, equal under
//              a numeric stand-in for sympy (unreduced fractions and an integer against a
//              non-integer are wrong; at most two letters; no huge exponents).
//   lenient    everything prm800k accepts, plus Qwen2.5-Math / Math-Verify style leniency:
//              numbers within a relative 1e-4, percent either way when one side has a percent
//              sign, "x = 5" against "5", unit words, \text{}, sets and bare lists in any
//              order, equations equal up to a constant factor, inequalities written either way
//              round, multiple-choice letters, symbolic equality by sampling.
// docs/envs.md lists every rule with its source.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "envs/answer_extract.h"

namespace arbor::envs {

struct Grade {
  bool correct = false;
  std::string gold_norm;  // the normalised forms that were compared
  std::string pred_norm;
};

// Compares two final answers (not whole solutions); argument order matters (gold first).
Grade grade_answer(std::string_view gold, std::string_view pred, GradeMode mode);

// Extracts the answer of `solution` with the mode's rules, then grades it.
Grade grade_solution(std::string_view gold, std::string_view solution, GradeMode mode);

// A key that is equal for answers the mode counts as equal in the common cases (numbers,
// fractions, LaTeX spelling): for majority votes over sampled answers.
std::string answer_vote_key(std::string_view answer, GradeMode mode);

}  // namespace arbor::envs
