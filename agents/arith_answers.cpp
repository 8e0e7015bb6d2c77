#include "agents/arith_answers.h"

#include <cctype>

#include "core/strings.h"

namespace arbor::agents {

namespace {

// "+012", "-3", "1,234" -> "12", "-3", "1234"; nullopt when not an integer.
std::optional<std::string> canonical_integer(std::string_view s) {
  s = trim(s);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  std::string digits;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (c == ',' && i > 0 && i + 1 < s.size()) {
      continue;
    } else {
      return std::nullopt;
    }
  }
  if (digits.empty()) return std::nullopt;
  const std::size_t nz = digits.find_first_not_of('0');
  digits = nz == std::string::npos ? "0" : digits.substr(nz);
  if (negative && digits != "0") digits.insert(digits.begin(), '-');
  return digits;
}

}  // namespace

std::optional<std::string> extract_arith_answer(std::string_view solution) {
  std::optional<std::string> found;
  for (const std::string& raw : split(solution, '\n')) {
    std::string_view line = trim(raw);
    while (starts_with(line, "*")) line.remove_prefix(1);
    if (!starts_with(line, "Answer:")) continue;
    std::string_view rest = trim(line.substr(7));
    while (starts_with(rest, "*")) rest.remove_prefix(1);
    rest = trim(rest);
    while (ends_with(rest, "*")) rest.remove_suffix(1);
    if (ends_with(rest, ".")) rest.remove_suffix(1);
    rest = trim(rest);
    if (rest.empty()) continue;
    found = arith_vote_key(rest);
  }
  return found;
}

std::string arith_vote_key(std::string_view answer) {
  if (std::optional<std::string> n = canonical_integer(answer)) return *n;
  return std::string(trim(answer));
}

bool arith_answer_correct(std::string_view answer, std::string_view gold) {
  const std::optional<std::string> a = canonical_integer(answer);
  const std::optional<std::string> g = canonical_integer(gold);
  return a.has_value() && g.has_value() && *a == *g;
}

search::AnswerRules arith_answer_rules() {
  search::AnswerRules rules;
  rules.extract = extract_arith_answer;
  rules.vote_key = arith_vote_key;
  return rules;
}

}  // namespace arbor::agents
