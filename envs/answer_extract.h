// Final-answer extraction from a solution text, reporting which rule matched.
//
// Rules (a mode tries them in its own order, first match wins):
//   "gsm8k_marker"  the text after the last "#### " (GSM8K's gold format)
//   "boxed"         the last \boxed{...} (brace-matched), or "\boxed 5" without braces
//   "fbox"          the last \fbox{...} when there is no \boxed
//   "answer_is"     after the last "answer is" ("The answer is 18.", "the final answer is $x$")
//   "answer_line"   the last line "Answer: N" (the arith dataset's format)
//   "last_number"   the last number in the text (lm-eval's flexible-extract); a fallback
//   "none"          nothing found; answer is empty
// gsm8k mode tries gsm8k_marker, answer_is, answer_line, boxed/fbox, last_number and reduces
// the answer to a plain number ("$1,234." -> "1234"). The MATH modes try boxed/fbox,
// answer_is, answer_line, gsm8k_marker, last_number and keep the answer's LaTeX.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace arbor::envs {

enum class GradeMode { kGsm8k, kHendrycks, kPrm800k, kLenient };

// "gsm8k", "hendrycks", "prm800k", "lenient"; kInvalidArgument listing them otherwise.
StatusOr<GradeMode> parse_grade_mode(std::string_view name);
std::string_view grade_mode_name(GradeMode mode);

struct Extraction {
  std::string answer;
  std::string rule = "none";
  bool found() const { return rule != "none"; }
};

Extraction extract_answer(std::string_view text, GradeMode mode);

// The contents of the last \boxed{...} (else \fbox{...}) with braces matched; nullopt if none.
std::optional<std::string> last_boxed(std::string_view text);

// "$1,234.00" -> "1234.00", "-5." -> "-5": drops $, thousands commas, spaces and a trailing
// period. Returns the input trimmed when it holds no number.
std::string clean_number(std::string_view text);

}  // namespace arbor::envs
