#include "envs/internal/math_normalize.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "core/strings.h"
#include "envs/internal/math_expr.h"

namespace arbor::envs::internal {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty())
    return;
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p)) {
    s.replace(p, from.size(), to);
    p += to.size();
  }
}

// Python's int(s) for the strings the normaliser meets: optional sign, digits, surrounding
// whitespace allowed.
std::optional<long long> py_int(std::string_view s) {
  s = trim(s);
  if (s.empty())
    return std::nullopt;
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size())
    return std::nullopt;
  for (std::size_t j = i; j < s.size(); ++j) {
    if (!is_digit(s[j]))
      return std::nullopt;
  }
  if (s.size() > 18)
    return std::nullopt;
  return std::stoll(std::string(s));
}

// Python's float(s): decimal or scientific notation, inf, nan; whitespace around allowed.
std::optional<double> py_float(std::string_view s) {
  const std::string t(trim(s));
  if (t.empty() || t.find_first_of("xXpP") != std::string::npos)
    return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size())
    return std::nullopt;
  return v;
}

bool py_is_int(double x) {
  return std::isfinite(x) && std::abs(x - std::round(x)) <= 1e-7;
}

std::string int_string(double v) {
  if (std::abs(v) < 9e15)
    return std::to_string(static_cast<long long>(std::llround(v)));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string fix_fracs(const std::string& s) {
  const std::string kFrac = "\\frac";
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t p = s.find(kFrac, start);
    parts.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos)
      break;
    start = p + kFrac.size();
  }
  std::string out = parts[0];
  for (std::size_t k = 1; k < parts.size(); ++k) {
    const std::string& sub = parts[k];
    out += kFrac;
    if (!sub.empty() && sub[0] == '{') {
      out += sub;
      continue;
    }
    if (sub.size() < 2)
      return s;  // the reference gives up and keeps the input
    const char a = sub[0];
    const char b = sub[1];
    if (b != '{') {
      out += std::string("{") + a + "}{" + b + "}" + sub.substr(2);
    } else {
      out += std::string("{") + a + "}" + b + sub.substr(2);
    }
  }
  return out;
}

std::string fix_a_slash_b(const std::string& s) {
  const auto parts = split(s, '/');
  if (parts.size() != 2)
    return s;
  const auto a = py_int(parts[0]);
  const auto b = py_int(parts[1]);
  if (!a || !b)
    return s;
  if (s != std::to_string(*a) + "/" + std::to_string(*b))
    return s;
  return "\\frac{" + std::to_string(*a) + "}{" + std::to_string(*b) + "}";
}

std::optional<std::string> fix_sqrt(const std::string& s) {
  const std::string kSqrt = "\\sqrt";
  if (s.find(kSqrt) == std::string::npos)
    return s;
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t p = s.find(kSqrt, start);
    parts.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos)
      break;
    start = p + kSqrt.size();
  }
  std::string out = parts[0];
  for (std::size_t k = 1; k < parts.size(); ++k) {
    const std::string& sub = parts[k];
    if (sub.empty())
      return std::nullopt;  // the reference indexes past the end and raises
    if (sub[0] != '{') {
      out += kSqrt + "{" + sub[0] + "}" + sub.substr(1);
    } else {
      out += kSqrt + sub;
    }
  }
  return out;
}

// Removes "unit", "unites", "units", "unit ^2" ... as the reference's regex
// `unit(es)?(s)? *(\^[0-9]+)?` does, left to right.
void remove_unit(std::string& s, std::string_view unit) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, unit.size(), unit) != 0) {
      out += s[i++];
      continue;
    }
    std::size_t j = i + unit.size();
    if (s.compare(j, 2, "es") == 0)
      j += 2;
    if (j < s.size() && s[j] == 's')
      ++j;
    std::size_t k = j;
    while (k < s.size() && s[k] == ' ') ++k;
    j = k;
    if (k < s.size() && s[k] == '^' && k + 1 < s.size() && is_digit(s[k + 1])) {
      k += 1;
      while (k < s.size() && is_digit(s[k])) ++k;
      j = k;
    }
    i = j;
  }
  s = out;
}

}  // namespace

std::optional<std::string> hendrycks_strip(std::string_view input) {
  std::string s(input);
  replace_all(s, "\n", "");
  replace_all(s, "\\!", "");
  replace_all(s, "\\\\", "\\");
  replace_all(s, "tfrac", "frac");
  replace_all(s, "dfrac", "frac");
  replace_all(s, "\\left", "");
  replace_all(s, "\\right", "");
  replace_all(s, "^{\\circ}", "");
  replace_all(s, "^\\circ", "");
  replace_all(s, "\\$", "");
  // Units: everything from "\text{ " on, which only ever introduces units in MATH.
  if (const auto p = s.find("\\text{ "); p != std::string::npos) {
    if (s.find("\\text{ ", p + 1) != std::string::npos)
      return std::nullopt;
    s = s.substr(0, p);
  }
  replace_all(s, "\\%", "");
  replace_all(s, "%", "");
  replace_all(s, " .", " 0.");
  replace_all(s, "{.", "{0.");
  if (s.empty())
    return s;
  if (s[0] == '.')
    s = "0" + s;
  // "k = 5" -> "5" when the left side is at most two characters.
  if (const auto parts = split(s, '='); parts.size() == 2 && parts[0].size() <= 2) {
    s = parts[1];
  }
  auto sq = fix_sqrt(s);
  if (!sq)
    return std::nullopt;
  s = *sq;
  replace_all(s, " ", "");
  s = fix_fracs(s);
  if (s == "0.5")
    s = "\\frac{1}{2}";
  return fix_a_slash_b(s);
}

std::string mathd_normalize(std::string_view input) {
  std::string s(trim(input));
  if (s.size() > 7 && s.rfind("\\text{", 0) == 0 && s.back() == '}') {
    s = std::string(trim(std::string_view(s).substr(6, s.size() - 7)));
  }
  auto stripped = hendrycks_strip(s);
  return stripped ? *stripped : s;
}

std::string strip_formatted_commas(std::string_view input) {
  // Repeat until stable: (\d),(\d\d\d)($|\D) -> \1\2\3
  std::string s(input);
  while (true) {
    std::string next;
    bool changed = false;
    std::size_t i = 0;
    while (i < s.size()) {
      if (i > 0 && s[i] == ',' && is_digit(s[i - 1]) && i + 3 < s.size() && is_digit(s[i + 1]) &&
          is_digit(s[i + 2]) && is_digit(s[i + 3]) && (i + 4 == s.size() || !is_digit(s[i + 4]))) {
        next += s.substr(i + 1, 3);
        i += 4;
        changed = true;
        continue;
      }
      next += s[i++];
    }
    if (!changed)
      return s;
    s = next;
  }
}

bool str_is_int(std::string_view s) {
  const auto v = py_float(strip_formatted_commas(s));
  return v && py_is_int(*v);
}

bool is_plain_fraction(std::string_view s) {
  // ^-?[0-9]+.?/0*[1-9][0-9]*.?$ where '.' is any character.
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-')
    ++i;
  const std::size_t d0 = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == d0)
    return false;
  if (i < s.size() && s[i] != '/')
    ++i;
  if (i >= s.size() || s[i] != '/')
    return false;
  ++i;
  while (i < s.size() && s[i] == '0') ++i;
  if (i >= s.size() || s[i] < '1' || s[i] > '9')
    return false;
  ++i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i < s.size())
    ++i;
  return i == s.size();
}

std::vector<std::string> split_tuple(std::string_view input) {
  const std::string s = strip_formatted_commas(input);
  if (s.empty())
    return {};
  const std::string_view kTupleChars = "()[]";
  const auto is_tuple_char = [&](char c) { return kTupleChars.find(c) != std::string::npos; };
  bool inner_clean = true;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) inner_clean = inner_clean && !is_tuple_char(s[i]);
  if (s.size() > 2 && is_tuple_char(s.front()) && is_tuple_char(s.back()) && inner_clean) {
    std::vector<std::string> out;
    for (const std::string& e : split(std::string_view(s).substr(1, s.size() - 2), ',')) {
      out.emplace_back(trim(e));
    }
    return out;
  }
  return {s};
}

std::string prm800k_normalize(std::string_view input) {
  std::string s(input);
  if (s.size() > 7 && s.rfind("\\text{", 0) == 0 && s.back() == '}') {
    s = s.substr(6, s.size() - 7);
  }
  replace_all(s, "\\%", "%");
  replace_all(s, "\\$", "$");
  replace_all(s, "$", "");
  replace_all(s, "%", "");
  replace_all(s, " or ", " , ");
  replace_all(s, " and ", " , ");
  replace_all(s, "million", "*10^6");
  replace_all(s, "billion", "*10^9");
  replace_all(s, "trillion", "*10^12");
  static const char* const kUnits[] = {"degree", "cm",   "centimeter", "meter", "mile",  "second",
                                       "minute", "hour", "day",        "week",  "month", "year",
                                       "foot",   "feet", "inch",       "yard"};
  for (const char* unit : kUnits) remove_unit(s, unit);
  // "^ \circ"
  for (std::size_t p = s.find('^'); p != std::string::npos; p = s.find('^', p + 1)) {
    std::size_t q = p + 1;
    while (q < s.size() && s[q] == ' ') ++q;
    if (s.compare(q, 5, "\\circ") == 0) {
      s.erase(p, q + 5 - p);
      if (p > 0)
        --p;
    }
  }
  if (!s.empty() && s.front() == '{' && s.back() == '}')
    s = s.substr(1, s.size() - 2);
  // ",\! *" -> ""
  for (std::size_t p = s.find(",\\!"); p != std::string::npos; p = s.find(",\\!", p)) {
    std::size_t q = p + 3;
    while (q < s.size() && s[q] == ' ') ++q;
    s.erase(p, q - p);
  }
  if (auto v = py_float(s); v && py_is_int(*v))
    s = int_string(*v);
  if (s.find('\\') != std::string::npos) {
    replace_all(s, "\\tfrac", "\\frac");
    replace_all(s, "\\dfrac", "\\frac");
    replace_all(s, "\\frac", " \\frac");
    s = std::string(trim(latex_to_plain(s)));
  }
  // "- 3" -> "-3"
  for (std::size_t p = s.find('-'); p != std::string::npos; p = s.find('-', p + 1)) {
    std::size_t q = p + 1;
    while (q < s.size() && s[q] == ' ') ++q;
    s.erase(p + 1, q - p - 1);
  }
  // Mixed numbers "7 3/4" -> "7+3/4" (non-overlapping, left to right).
  {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
      if (is_digit(s[i]) && i + 1 < s.size() && s[i + 1] == ' ') {
        std::size_t j = i + 1;
        while (j < s.size() && s[j] == ' ') ++j;
        if (j < s.size() && is_digit(s[j])) {
          out += s[i];
          out += '+';
          out += s[j];
          i = j + 1;
          continue;
        }
      }
      out += s[i++];
    }
    s = out;
  }
  std::string t;
  for (char c : s) {
    if (c == ' ' || c == '{' || c == '}')
      continue;
    t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (str_is_int(t)) {
    std::string no_commas;
    for (char c : t) {
      if (c != ',')
        no_commas += c;
    }
    if (auto v = py_float(no_commas))
      t = int_string(std::trunc(*v));
  }
  return t;
}

}  // namespace arbor::envs::internal
