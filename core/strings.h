// Small string helpers used across modules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace arbor {

std::vector<std::string> split(std::string_view s, char sep);
std::string_view trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);

// Parses "5,17,42" into integers; `what` names the flag or field in errors ("--ids").
StatusOr<std::vector<std::int64_t>> parse_int_list(std::string_view s, std::string_view what);
StatusOr<std::int64_t> parse_int(std::string_view s, std::string_view what);
StatusOr<double> parse_double(std::string_view s, std::string_view what);

// The candidate closest to `word` by edit distance, for "did you mean" hints; empty when none is
// within max(2, |word| / 3) edits.
std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace arbor
