// Answer normalisers of the reference MATH graders, reimplemented from their documented steps
// (see docs/envs.md for the list and the sources).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace arbor::envs::internal {

// Hendrycks et al.'s string normaliser (MATH `is_equiv`): \dfrac -> \frac, \left/\right and
// degrees and \$ and units after "\text{ " and percent dropped, leading-zero fixes, a short
// "x =" prefix removed, \sqrt3 -> \sqrt{3}, spaces removed, \frac12 -> \frac{1}{2},
// 0.5 -> \frac{1}{2}, a/b -> \frac{a}{b}. nullopt where the reference raises (its caller then
// compares the raw strings).
std::optional<std::string> hendrycks_strip(std::string_view s);

// prm800k's `normalize_answer`: trims, unwraps a whole-string \text{...}, then
// hendrycks_strip; the input trimmed where that fails.
std::string mathd_normalize(std::string_view s);

// prm800k's second normaliser (`_normalize` in its grader): \text{} unwrapped; $ and % and
// unit words dropped; million/billion/trillion as powers of ten; LaTeX rewritten as plain
// text; mixed numbers "7 3/4" -> "7+3/4"; spaces and braces dropped; lowercase; integers
// canonical.
std::string prm800k_normalize(std::string_view s);

// "1,234,567" -> "1234567", leaving tuple commas ("(1,2)") alone.
std::string strip_formatted_commas(std::string_view s);

// Elements of a tuple or interval "(a,b]" (brackets at both ends and none inside), or {s}.
std::vector<std::string> split_tuple(std::string_view s);

// Integer-valued (within 1e-7) after thousands commas are dropped ("1,000.0" yes).
bool str_is_int(std::string_view s);

// "-3/4"-like: an optionally signed integer over a positive integer.
bool is_plain_fraction(std::string_view s);

}  // namespace arbor::envs::internal
