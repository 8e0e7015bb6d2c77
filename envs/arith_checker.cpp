#include "envs/arith_checker.h"

#include <algorithm>
#include <cctype>

#include "core/strings.h"
#include "envs/answer_extract.h"
#include "envs/arith_expr.h"

namespace arbor::envs {
namespace {

bool contains(const std::vector<Rational>& v, const Rational& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

void add_partial_values(const ArithExpr& e, std::vector<Rational>& out) {
  if (e.kind == ArithExpr::Kind::kNumber)
    return;
  if (auto v = eval_arith(e); v.ok())
    out.push_back(*v);
  if (e.lhs)
    add_partial_values(*e.lhs, out);
  if (e.rhs)
    add_partial_values(*e.rhs, out);
}

StepVerdict check_line(int line_no, std::string_view raw, std::vector<Rational>& available) {
  StepVerdict s;
  s.line = line_no;
  std::string t(trim(raw));
  s.text = t;
  // "Step 2: 85 - 25 = 60" -> "85 - 25 = 60"
  const auto eq = t.find('=');
  if (const auto colon = t.rfind(':', eq); colon != std::string::npos && colon < eq) {
    t = t.substr(colon + 1);
  }
  while (!t.empty() && (t.back() == '.' || t.back() == ' ')) t.pop_back();
  const std::vector<std::string> sides = split(t, '=');
  std::vector<std::unique_ptr<ArithExpr>> exprs;
  std::vector<Rational> values;
  for (const std::string& side : sides) {
    auto e = parse_arith(trim(side));
    if (!e.ok())
      return s;
    auto v = eval_arith(**e);
    if (!v.ok())
      return s;
    values.push_back(*v);
    exprs.push_back(std::move(*e));
  }
  s.parsed = true;
  s.value = values.front().to_string();
  s.correct = std::all_of(values.begin(), values.end(),
                          [&](const Rational& v) { return v == values.front(); });
  // A bare number on the far right is the claimed result, not an operand.
  std::size_t operand_sides = exprs.size();
  if (exprs.back()->kind == ArithExpr::Kind::kNumber)
    --operand_sides;
  std::vector<Rational> local = available;
  s.grounded = true;
  for (std::size_t i = 0; i < operand_sides; ++i) {
    for (const Rational& lit : arith_literals(*exprs[i])) {
      if (!contains(local, lit)) {
        s.grounded = false;
        s.ungrounded.push_back(lit.to_string());
      }
    }
    // Later sides may use this side's value and its partial results:
    // "37 + 48 - 25 = 85 - 25 = 60" (85 is 37 + 48).
    add_partial_values(*exprs[i], local);
  }
  for (const Rational& v : values) available.push_back(v);
  return s;
}

}  // namespace

bool SolutionVerdict::all_valid() const {
  return !steps.empty() && valid_steps == static_cast<int>(steps.size()) && answer_correct &&
         follows;
}

Json SolutionVerdict::to_json() const {
  Json js = Json::array();
  for (const StepVerdict& s : steps) {
    Json j = {{"line", s.line},       {"text", s.text},         {"parsed", s.parsed},
              {"correct", s.correct}, {"grounded", s.grounded}, {"valid", s.valid()}};
    if (!s.ungrounded.empty())
      j["ungrounded"] = s.ungrounded;
    if (s.parsed)
      j["value"] = s.value;
    js.push_back(std::move(j));
  }
  return Json{
      {"steps", js},        {"valid_steps", valid_steps}, {"total_steps", steps.size()},
      {"answer", answer},   {"answer_rule", answer_rule}, {"answer_correct", answer_correct},
      {"follows", follows}, {"all_valid", all_valid()}};
}

SolutionVerdict check_arith_solution(const std::vector<std::int64_t>& numbers, std::int64_t gold,
                                     std::string_view solution) {
  SolutionVerdict out;
  std::vector<Rational> available;
  for (std::int64_t n : numbers) available.emplace_back(n);
  const std::vector<std::string> lines = split(solution, '\n');
  std::optional<Rational> last_result;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find('=') == std::string::npos)
      continue;
    StepVerdict s = check_line(static_cast<int>(i + 1), lines[i], available);
    if (s.parsed)
      last_result = available.back();
    if (s.valid())
      ++out.valid_steps;
    out.steps.push_back(std::move(s));
  }
  const Extraction e = extract_answer(solution, GradeMode::kGsm8k);
  out.answer_rule = e.rule;
  if (e.found()) {
    out.answer = e.answer;
    if (auto v = Rational::parse(e.answer)) {
      out.answer_correct = *v == Rational(gold);
      out.follows = last_result.has_value() && *v == *last_result;
    }
  }
  return out;
}

std::vector<std::int64_t> numbers_in_text(std::string_view q) {
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < q.size();) {
    if (!std::isdigit(static_cast<unsigned char>(q[i])) ||
        (i > 0 && std::isdigit(static_cast<unsigned char>(q[i - 1])))) {
      ++i;
      continue;
    }
    std::string digits;
    std::size_t j = i;
    while (j < q.size() && (std::isdigit(static_cast<unsigned char>(q[j])) ||
                            (q[j] == ',' && j + 3 < q.size() + 1 && j + 1 < q.size() &&
                             std::isdigit(static_cast<unsigned char>(q[j + 1]))))) {
      if (q[j] != ',')
        digits += q[j];
      ++j;
    }
    bool integral = true;
    if (j + 1 < q.size() && q[j] == '.' && std::isdigit(static_cast<unsigned char>(q[j + 1]))) {
      integral = false;
      ++j;
      while (j < q.size() && std::isdigit(static_cast<unsigned char>(q[j]))) ++j;
    }
    if (integral && digits.size() <= 18)
      out.push_back(std::stoll(digits));
    i = j;
  }
  std::string low(q);
  for (char& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::pair<const char*, std::int64_t> kWords[] = {
      {"double", 2},      {"twice", 2},  {"half", 2},   {"triple", 3},
      {"three times", 3}, {"dozen", 12}, {"quarter", 4}};
  for (const auto& [word, n] : kWords) {
    if (low.find(word) != std::string::npos && std::find(out.begin(), out.end(), n) == out.end()) {
      out.push_back(n);
    }
  }
  return out;
}

}  // namespace arbor::envs
