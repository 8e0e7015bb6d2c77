#include "envs/math_grader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "core/strings.h"
#include "envs/internal/math_expr.h"
#include "envs/internal/math_normalize.h"
#include "envs/rational.h"

namespace arbor::envs {
namespace {

using internal::constant_value;
using internal::numerically_equal;

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p)) {
    s.replace(p, from.size(), to);
    p += to.size();
  }
}

// ---- gsm8k -------------------------------------------------------------------------------------

std::string gsm8k_reduce(std::string_view s) {
  if (s.find("####") != std::string_view::npos) {
    return extract_answer(s, GradeMode::kGsm8k).answer;
  }
  return clean_number(s);
}

Grade grade_gsm8k(std::string_view gold, std::string_view pred) {
  Grade g;
  g.gold_norm = gsm8k_reduce(gold);
  g.pred_norm = gsm8k_reduce(pred);
  const auto a = Rational::parse(g.gold_norm);
  const auto b = Rational::parse(g.pred_norm);
  if (a && b) {
    g.gold_norm = a->to_string();
    g.pred_norm = b->to_string();
    g.correct = *a == *b;
  } else {
    g.correct = !g.gold_norm.empty() && to_lower(g.gold_norm) == to_lower(g.pred_norm);
  }
  return g;
}

// ---- hendrycks -----------------------------------------------------------------------------

Grade grade_hendrycks(std::string_view gold, std::string_view pred) {
  Grade g;
  const auto a = internal::hendrycks_strip(gold);
  const auto b = internal::hendrycks_strip(pred);
  if (!a || !b) {  // the reference falls back to comparing the raw strings
    g.gold_norm = std::string(gold);
    g.pred_norm = std::string(pred);
  } else {
    g.gold_norm = *a;
    g.pred_norm = *b;
  }
  g.correct = g.gold_norm == g.pred_norm;
  return g;
}

// ---- prm800k -------------------------------------------------------------------------------

int count_letters(std::string expr) {
  replace_all(expr, "sqrt", "");
  replace_all(expr, "frac", "");
  std::set<char> letters;
  for (char c : expr) {
    if (std::isalpha(static_cast<unsigned char>(c)))
      letters.insert(c);
  }
  return static_cast<int>(letters.size());
}

// The reference refuses to simplify expressions that could hang sympy.
bool should_allow_eval(const std::string& expr) {
  if (count_letters(expr) > 2)
    return false;
  if (expr.find("^{") != std::string::npos || expr.find("^(") != std::string::npos)
    return false;
  for (std::size_t p = expr.find('^'); p != std::string::npos; p = expr.find('^', p + 1)) {
    std::size_t q = p + 1;
    while (q < expr.size() && std::isdigit(static_cast<unsigned char>(expr[q]))) ++q;
    const std::size_t digits = q - p - 1;
    if (digits >= 2)
      return false;  // \^[0-9][0-9]+
    if (digits >= 1 && q < expr.size() && expr[q] == '^')
      return false;  // \^[0-9]+\^
  }
  return true;
}

bool equal_under_sympy_stand_in(const std::string& gold, const std::string& given) {
  if (!should_allow_eval("(" + gold + ")-(" + given + ")"))
    return false;
  // sympy's simplify decides exact equality; a tight tolerance stands in for it.
  return numerically_equal(gold, given, 1e-9);
}

Grade grade_prm800k(std::string_view gold, std::string_view pred) {
  Grade g;
  const std::string mg = internal::mathd_normalize(gold);
  const std::string mp = internal::mathd_normalize(pred);
  if (mg == mp) {
    g.correct = true;
    g.gold_norm = mg;
    g.pred_norm = mp;
    return g;
  }
  g.gold_norm = internal::prm800k_normalize(gold);
  g.pred_norm = internal::prm800k_normalize(pred);
  if (g.gold_norm == g.pred_norm) {
    g.correct = true;
    return g;
  }
  if (g.pred_norm.empty())
    return g;
  const auto gold_elems = internal::split_tuple(g.gold_norm);
  const auto pred_elems = internal::split_tuple(g.pred_norm);
  if (gold_elems.size() > 1 &&
      (g.gold_norm.front() != g.pred_norm.front() || g.gold_norm.back() != g.pred_norm.back())) {
    return g;
  }
  if (gold_elems.size() != pred_elems.size())
    return g;
  for (std::size_t i = 0; i < gold_elems.size(); ++i) {
    const std::string& a = gold_elems[i];
    const std::string& b = pred_elems[i];
    bool ok;
    if (internal::is_plain_fraction(a) && internal::is_plain_fraction(b)) {
      ok = a == b;  // an unreduced fraction is not the answer
    } else if (internal::str_is_int(a) != internal::str_is_int(b)) {
      ok = false;  // an integer answer needs an exact match
    } else {
      ok = equal_under_sympy_stand_in(a, b);
    }
    if (!ok)
      return g;
  }
  g.correct = true;
  return g;
}

// ---- lenient -------------------------------------------------------------------------------

struct Prepared {
  std::string text;      // plain text, lowercase, no spaces
  bool percent = false;  // a percent sign or word was removed
};

// Strips the decoration around an answer: $...$, \(...\), \boxed{}, a trailing period.
std::string undecorate(std::string_view s) {
  std::string t(trim(s));
  if (auto b = last_boxed(t))
    t = *b;
  replace_all(t, "\\(", "");
  replace_all(t, "\\)", "");
  replace_all(t, "\\[", "");
  replace_all(t, "\\]", "");
  replace_all(t, "\\$", "");
  replace_all(t, "$", "");
  t = std::string(trim(t));
  while (!t.empty() && t.back() == '.') t.pop_back();
  return std::string(trim(t));
}

// Unit and filler words removed when they trail a number (Minerva's and Qwen's lists, short).
bool strip_trailing_word(std::string& s) {
  static const char* const kWords[] = {
      "units",    "unit",   "dollars",  "dollar", "cents",  "cent",   "degrees", "degree",
      "cm",       "mm",     "km",       "meters", "meter",  "m",      "inches",  "inch",
      "feet",     "foot",   "ft",       "miles",  "mile",   "mph",    "hours",   "hour",
      "minutes",  "minute", "seconds",  "second", "days",   "day",    "weeks",   "week",
      "months",   "month",  "years",    "year",   "points", "point",  "square",  "sq",
      "kg",       "g",      "grams",    "gram",   "pounds", "pound",  "lbs",     "people",
      "students", "ways",   "integers", "digits", "cubic",  "liters", "liter",   "gallons",
      "gallon"};
  // Only words after a digit, closing bracket or '^n' count as units ("5 cm", "15 cm^2").
  std::string t(trim(s));
  for (const char* w : kWords) {
    const std::string word(w);
    std::string body = t;
    std::string suffix_power;
    if (const auto caret = body.rfind('^');
        caret != std::string::npos &&
        body.find_first_not_of("0123456789", caret + 1) == std::string::npos) {
      suffix_power = body.substr(caret);
      body = body.substr(0, caret);
    }
    if (body.size() <= word.size() ||
        body.compare(body.size() - word.size(), word.size(), word) != 0) {
      continue;
    }
    std::string rest(trim(std::string_view(body).substr(0, body.size() - word.size())));
    if (rest.empty())
      continue;
    const char last = rest.back();
    const char before = body[body.size() - word.size() - 1];
    if (!(before == ' ' || std::isdigit(static_cast<unsigned char>(before))))
      continue;
    if (!(std::isdigit(static_cast<unsigned char>(last)) || last == ')' || last == '}'))
      continue;
    s = rest;
    return true;
  }
  return false;
}

Prepared prepare_lenient(std::string_view raw) {
  Prepared p;
  std::string s = undecorate(raw);
  replace_all(s, "\\text{and}", ",");
  replace_all(s, "\\text{ and }", ",");
  replace_all(s, "\\%", "%");
  replace_all(s, "\\!", "");
  replace_all(s, "{,}", "");  // 14{,}916
  replace_all(s, "^{\\circ}", "");
  replace_all(s, "^\\circ", "");
  s = internal::latex_to_plain(s);
  s = to_lower(std::string(trim(s)));
  for (const char* w : {"percentage", "percent", "pct", "%"}) {
    const std::string word(w);
    if (s.size() >= word.size() && s.compare(s.size() - word.size(), word.size(), word) == 0) {
      s = std::string(trim(std::string_view(s).substr(0, s.size() - word.size())));
      p.percent = true;
      break;
    }
  }
  while (strip_trailing_word(s)) {
  }
  // Well-formed thousands separators and spaces go; tuple commas stay.
  s = internal::strip_formatted_commas(s);
  std::string t;
  for (char c : s) {
    if (c != ' ')
      t += c;
  }
  // "x \in [0,1]" -> "[0,1]"
  if (const auto in = t.find("in"); in != std::string::npos && in <= 2 && in > 0 &&
                                    std::isalpha(static_cast<unsigned char>(t[0]))) {
    const std::string rest = t.substr(in + 2);
    if (!rest.empty() && (rest[0] == '[' || rest[0] == '(' || rest[0] == '{'))
      t = rest;
  }
  p.text = t;
  return p;
}

// Top-level comma split (outside brackets).
std::vector<std::string> split_top(std::string_view s) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : s) {
    if (c == '(' || c == '[' || c == '{')
      ++depth;
    if (c == ')' || c == ']' || c == '}')
      --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool is_wrapped(const std::string& s) {
  if (s.size() < 2)
    return false;
  const char a = s.front(), b = s.back();
  if (!((a == '(' || a == '[' || a == '{') && (b == ')' || b == ']' || b == '}')))
    return false;
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '(' || c == '[' || c == '{')
      ++depth;
    if (c == ')' || c == ']' || c == '}')
      --depth;
    if (depth == 0 && i + 1 < s.size())
      return false;
  }
  return true;
}

// "x=5" -> "5"; "x=5+5+1=11" -> "11"; left alone when the left side is not a short name.
std::string drop_variable_lhs(const std::string& s) {
  const auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0 || eq > 3)
    return s;
  if (s.find_first_of("<>!", 0) != std::string::npos)
    return s;
  for (std::size_t i = 0; i < eq; ++i) {
    if (!std::isalpha(static_cast<unsigned char>(s[i])) && s[i] != '_' &&
        !std::isdigit(static_cast<unsigned char>(s[i]))) {
      return s;
    }
  }
  return s.substr(s.rfind('=') + 1);
}

bool scalar_equal(const std::string& g, bool g_percent, const std::string& p, bool p_percent);

bool element_equal(const std::string& g, const std::string& p) {
  return scalar_equal(g, false, p, false);
}

// Sets, tuples, intervals, bare lists.
std::optional<bool> compound_equal(const std::string& g, const std::string& p) {
  const bool gw = is_wrapped(g), pw = is_wrapped(p);
  std::string gi = gw ? g.substr(1, g.size() - 2) : g;
  std::string pi = pw ? p.substr(1, p.size() - 2) : p;
  const auto ge = split_top(gi);
  const auto pe = split_top(pi);
  if (ge.size() < 2 && pe.size() < 2)
    return std::nullopt;
  if (ge.size() != pe.size())
    return false;
  const bool g_set = gw && g.front() == '{';
  const bool p_set = pw && p.front() == '{';
  const bool unordered = (g_set || !gw) && (p_set || !pw);
  if (!unordered) {
    // Tuples and intervals: the same brackets on both sides, elements in order.
    if (!gw || !pw || g.front() != p.front() || g.back() != p.back())
      return false;
    for (std::size_t i = 0; i < ge.size(); ++i) {
      if (!element_equal(ge[i], pe[i]))
        return false;
    }
    return true;
  }
  std::vector<bool> used(pe.size(), false);
  for (const std::string& a : ge) {
    bool matched = false;
    for (std::size_t j = 0; j < pe.size() && !matched; ++j) {
      if (!used[j] && element_equal(a, pe[j]))
        used[j] = matched = true;
    }
    if (!matched)
      return false;
  }
  return true;
}

struct Relation {
  std::string lhs, op, rhs;
};

std::optional<Relation> parse_relation(const std::string& s) {
  static const char* const kOps[] = {"<=", ">=", "!=", "<", ">"};
  for (const char* op : kOps) {
    const auto p = s.find(op);
    if (p == std::string::npos)
      continue;
    Relation r{s.substr(0, p), op, s.substr(p + std::string_view(op).size())};
    if (r.lhs.empty() || r.rhs.empty())
      return std::nullopt;
    // a >= b is b <= a: keep only < and <= (and !=).
    if (r.op == ">=" || r.op == ">") {
      std::swap(r.lhs, r.rhs);
      r.op = r.op == ">=" ? "<=" : "<";
    }
    return r;
  }
  return std::nullopt;
}

bool numbers_close(std::complex<double> a, std::complex<double> b) {
  const double scale = std::max({1e-12, std::abs(a), std::abs(b)});
  return std::abs(a - b) <= 1e-4 * scale;
}

// An equation: '=' that is not part of <=, >=, !=.
bool is_equation(const std::string& s) {
  for (std::size_t p = s.find('='); p != std::string::npos; p = s.find('=', p + 1)) {
    const bool rel = (p > 0 && (s[p - 1] == '<' || s[p - 1] == '>' || s[p - 1] == '!')) ||
                     (p + 1 < s.size() && (s[p + 1] == '<' || s[p + 1] == '>'));
    if (!rel)
      return true;
  }
  return false;
}

bool has_relation(const std::string& s) {
  return s.find_first_of("<>") != std::string::npos || s.find("!=") != std::string::npos;
}

bool scalar_equal(const std::string& g_raw, bool g_percent, const std::string& p_raw,
                  bool p_percent) {
  std::string g = g_raw, p = p_raw;
  if (g == p)
    return true;
  if (has_relation(g) || has_relation(p)) {
    const auto gr = parse_relation(g), pr = parse_relation(p);
    return gr && pr && gr->op == pr->op && scalar_equal(gr->lhs, false, pr->lhs, false) &&
           scalar_equal(gr->rhs, false, pr->rhs, false);
  }
  const bool g_eq = is_equation(g), p_eq = is_equation(p);
  if (g_eq && p_eq) {
    const std::string gd = drop_variable_lhs(g), pd = drop_variable_lhs(p);
    // The same variable on the left of both: compare what it equals ("x = 5+5+1 = 11").
    if (gd != g && pd != p && g.substr(0, g.find('=')) == p.substr(0, p.find('='))) {
      return scalar_equal(gd, g_percent, pd, p_percent);
    }
    // Otherwise equal as equations, up to a constant factor (first = last side).
    const auto ge = g.find('='), pe = p.find('=');
    auto a = internal::parse_math("(" + g.substr(0, ge) + ")-(" + g.substr(g.rfind('=') + 1) + ")");
    auto b = internal::parse_math("(" + p.substr(0, pe) + ")-(" + p.substr(p.rfind('=') + 1) + ")");
    return a && b && internal::proportional(**a, **b, 1e-6);
  }
  if (g_eq)
    g = drop_variable_lhs(g);
  if (p_eq)
    p = drop_variable_lhs(p);
  if (g == p)
    return true;
  // Multiple choice: "(b)" / "b)" / "b".
  const auto letter = [](const std::string& s) -> char {
    std::string t;
    for (char c : s) {
      if (c != '(' && c != ')')
        t += c;
    }
    return t.size() == 1 && t[0] >= 'a' && t[0] <= 'e' ? t[0] : 0;
  };
  if (letter(g) && letter(g) == letter(p))
    return true;
  const auto gv = constant_value(g);
  const auto pv = constant_value(p);
  if (gv && pv) {
    if (numbers_close(*gv, *pv))
      return true;
    if (g_percent && numbers_close(*gv / 100.0, *pv))
      return true;
    if (p_percent && numbers_close(*gv, *pv / 100.0))
      return true;
    return false;
  }
  if (auto c = compound_equal(g, p))
    return *c;
  return numerically_equal(g, p, 1e-6);
}

Grade grade_lenient(std::string_view gold, std::string_view pred) {
  const std::string gu = undecorate(gold), pu = undecorate(pred);
  Grade prm = grade_prm800k(gu, pu);
  const Prepared g = prepare_lenient(gold);
  const Prepared p = prepare_lenient(pred);
  Grade out;
  out.gold_norm = g.text;
  out.pred_norm = p.text;
  out.correct =
      prm.correct || (!p.text.empty() && scalar_equal(g.text, g.percent, p.text, p.percent));
  return out;
}

}  // namespace

Grade grade_answer(std::string_view gold, std::string_view pred, GradeMode mode) {
  switch (mode) {
    case GradeMode::kGsm8k:
      return grade_gsm8k(gold, pred);
    case GradeMode::kHendrycks:
      return grade_hendrycks(gold, pred);
    case GradeMode::kPrm800k:
      return grade_prm800k(gold, pred);
    case GradeMode::kLenient:
      return grade_lenient(gold, pred);
  }
  return {};
}

Grade grade_solution(std::string_view gold, std::string_view solution, GradeMode mode) {
  const Extraction e = extract_answer(solution, mode);
  if (!e.found()) {
    Grade g = grade_answer(gold, "", mode);
    g.correct = false;
    return g;
  }
  return grade_answer(gold, e.answer, mode);
}

std::string answer_vote_key(std::string_view answer, GradeMode mode) {
  switch (mode) {
    case GradeMode::kGsm8k:
      return grade_gsm8k(answer, answer).gold_norm;
    case GradeMode::kHendrycks:
      return grade_hendrycks(answer, answer).gold_norm;
    case GradeMode::kPrm800k:
      return internal::prm800k_normalize(answer);
    case GradeMode::kLenient: {
      const Prepared p = prepare_lenient(answer);
      if (auto v = constant_value(drop_variable_lhs(p.text)); v && std::abs(v->imag()) < 1e-12) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6g", v->real());
        return buf;
      }
      return p.text;
    }
  }
  return std::string(answer);
}

}  // namespace arbor::envs
