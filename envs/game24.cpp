#include "envs/game24.h"

#include <algorithm>

#include "core/strings.h"
#include "envs/arith_expr.h"

namespace arbor::envs {
namespace {

// Numbers left are written so that an action can quote them back: "12", "(-4)", "(8/3)".
std::string format_number(const Rational& r) {
  if (r.is_integer() && r.num() >= 0)
    return r.to_string();
  return "(" + r.to_string() + ")";
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The expression part of a candidate answer: its last line with a digit, without an
// "Answer:" prefix and without the "= 24" it claims.
std::string expression_part(std::string_view candidate) {
  std::string_view line;
  const auto lines = split(candidate, '\n');
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (it->find_first_of("0123456789") != std::string::npos) {
      line = *it;
      break;
    }
  }
  std::string s(trim(line));
  const std::string low = lowercase(s);
  if (const auto p = low.find("answer:"); p != std::string::npos)
    s = s.substr(p + 7);
  if (const auto eq = s.find('='); eq != std::string::npos)
    s = s.substr(0, eq);
  return std::string(trim(s));
}

bool same_multiset(std::vector<Rational> a, std::vector<Rational> b) {
  if (a.size() != b.size())
    return false;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// Depth-first search over pairs of values; the moves of the first solution found are kept in
// `path` (index pairs into the list at that depth and an operation code) and turned into text
// only once, at the end.
struct Move {
  std::size_t i, j;
  int op;  // 0 a+b, 1 a*b, 2 a-b, 3 b-a, 4 a/b, 5 b/a
};

bool solve_rec(std::vector<Rational>& vals, const Rational& target, std::vector<Move>& path) {
  if (vals.size() == 1)
    return vals[0] == target;
  const std::size_t n = vals.size();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const Rational a = vals[i], b = vals[j];
      std::vector<Rational> next;
      next.reserve(n - 1);
      for (std::size_t k = 0; k < n; ++k) {
        if (k != i && k != j)
          next.push_back(vals[k]);
      }
      for (int op = 0; op < 6; ++op) {
        std::optional<Rational> v;
        switch (op) {
          case 0:
            v = a.add(b);
            break;
          case 1:
            v = a.mul(b);
            break;
          case 2:
            v = a.sub(b);
            break;
          case 3:
            v = b.sub(a);
            break;
          case 4:
            v = a.div(b);
            break;
          default:
            v = b.div(a);
            break;
        }
        if (!v)
          continue;
        next.push_back(*v);
        path.push_back({i, j, op});
        if (solve_rec(next, target, path))
          return true;
        path.pop_back();
        next.pop_back();
      }
    }
  }
  return false;
}

std::string replay(std::vector<std::string> exprs, const std::vector<Move>& path) {
  static const char* const kFormats[] = {"+", "*", "-", "-", "/", "/"};
  for (const Move& m : path) {
    const std::string a = exprs[m.i], b = exprs[m.j];
    const bool swap = m.op == 3 || m.op == 5;
    std::string e = "(" + (swap ? b : a) + " " + kFormats[m.op] + " " + (swap ? a : b) + ")";
    std::vector<std::string> next;
    for (std::size_t k = 0; k < exprs.size(); ++k) {
      if (k != m.i && k != m.j)
        next.push_back(exprs[k]);
    }
    next.push_back(std::move(e));
    exprs = std::move(next);
  }
  return exprs[0];
}

std::string strip_outer_parens(std::string s) {
  if (s.size() < 2 || s.front() != '(' || s.back() != ')')
    return s;
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(')
      ++depth;
    if (s[i] == ')')
      --depth;
    if (depth == 0 && i + 1 < s.size())
      return s;  // the first '(' closes early
  }
  return s.substr(1, s.size() - 2);
}

// A value quoted in a move: a literal, a negated literal or a fraction of two literals.
bool is_atomic(const ArithExpr& e) {
  using K = ArithExpr::Kind;
  if (e.kind == K::kNumber)
    return true;
  if (e.kind == K::kNeg)
    return is_atomic(*e.lhs);
  if (e.kind == K::kDiv)
    return e.lhs->kind == K::kNumber && e.rhs->kind == K::kNumber;
  return false;
}

char op_char(ArithExpr::Kind k) {
  switch (k) {
    case ArithExpr::Kind::kAdd:
      return '+';
    case ArithExpr::Kind::kSub:
      return '-';
    case ArithExpr::Kind::kMul:
      return '*';
    default:
      return '/';
  }
}

}  // namespace

Game24Verdict check_game24(const std::vector<int>& numbers, std::string_view candidate) {
  Game24Verdict v;
  v.expression = expression_part(candidate);
  if (v.expression.empty()) {
    v.reason = "no expression found";
    return v;
  }
  auto parsed = parse_arith(v.expression);
  if (!parsed.ok()) {
    v.reason = "does not parse: " + parsed.status().message();
    return v;
  }
  std::vector<Rational> want;
  for (int n : numbers) want.emplace_back(n);
  const std::vector<Rational> used = arith_literals(**parsed);
  if (!same_multiset(used, want)) {
    std::string got, need;
    for (const Rational& r : used) got += (got.empty() ? "" : " ") + r.to_string();
    for (const Rational& r : want) need += (need.empty() ? "" : " ") + r.to_string();
    v.reason = "uses the numbers [" + got + "], expected each of [" + need + "] exactly once";
    return v;
  }
  auto value = eval_arith(**parsed);
  if (!value.ok()) {
    v.reason = value.status().message();
    return v;
  }
  v.value = *value;
  if (!(*value == Rational(kGame24Target))) {
    v.reason = "evaluates to " + value->to_string() + ", not " + std::to_string(kGame24Target);
    return v;
  }
  v.correct = true;
  return v;
}

std::optional<std::string> solve_game24(const std::vector<int>& numbers, int target) {
  std::vector<Rational> vals;
  std::vector<std::string> exprs;
  for (int n : numbers) {
    vals.emplace_back(n);
    exprs.push_back(std::to_string(n));
  }
  std::vector<Move> path;
  if (!solve_rec(vals, Rational(target), path))
    return std::nullopt;
  return strip_outer_parens(replay(exprs, path));
}

StatusOr<std::vector<int>> parse_game24_puzzle(std::string_view text) {
  std::vector<int> out;
  for (const std::string& part : split(std::string(trim(text)), ' ')) {
    if (part.empty())
      continue;
    ARBOR_ASSIGN_OR_RETURN(std::int64_t n, parse_int(part, "Game of 24 puzzle"));
    if (n < 1 || n > 100) {
      return Status::invalid_argument("Game of 24 puzzle '" + std::string(text) +
                                      "': numbers must be in 1..100");
    }
    out.push_back(static_cast<int>(n));
  }
  if (out.size() != 4) {
    return Status::invalid_argument("Game of 24 puzzle '" + std::string(text) +
                                    "': expected 4 numbers, got " + std::to_string(out.size()));
  }
  return out;
}

std::vector<int> random_game24_puzzle(Rng& rng) {
  while (true) {
    std::vector<int> p(4);
    for (int& n : p) n = 1 + static_cast<int>(rng.below(13));
    std::sort(p.begin(), p.end());
    if (solve_game24(p))
      return p;
  }
}

Game24Env::Game24Env(std::string id, std::vector<int> puzzle) : fixed_puzzle_(std::move(puzzle)) {
  spec_.id = std::move(id);
  spec_.admissible_actions = true;
  spec_.save_restore = true;
}

std::string Game24Env::numbers_left() const {
  std::string nums;
  for (const Rational& r : left_) nums += (nums.empty() ? "" : " ") + format_number(r);
  return nums;
}

std::string Game24Env::observation() const {
  return "Numbers left: " + numbers_left();
}

Json Game24Env::info() const {
  Json info = Json::object();
  info["puzzle"] = puzzle_;
  Json left = Json::array();
  for (const Rational& r : left_) left.push_back(r.to_string());
  info["numbers_left"] = left;
  info[kInfoObjective] = "Use each number exactly once with + - * / to make 24.";
  return info;
}

StatusOr<ResetResult> Game24Env::reset(std::optional<std::uint64_t> seed, const Json& options) {
  if (seed)
    rng_ = Rng(*seed);
  if (options.is_object() && options.contains("puzzle")) {
    const Json& p = options["puzzle"];
    if (p.is_string()) {
      ARBOR_ASSIGN_OR_RETURN(puzzle_, parse_game24_puzzle(p.get<std::string>()));
    } else {
      return Status::invalid_argument(spec_.id +
                                      ": option 'puzzle' must be a string like \"4 4 6 8\"");
    }
  } else if (!fixed_puzzle_.empty()) {
    puzzle_ = fixed_puzzle_;
  } else {
    puzzle_ = random_game24_puzzle(rng_);
  }
  left_.clear();
  for (int n : puzzle_) left_.emplace_back(n);
  guard_.start();
  ResetResult r;
  std::string nums;
  for (int n : puzzle_) nums += (nums.empty() ? "" : " ") + std::to_string(n);
  r.observation = "Use the numbers " + nums +
                  " and + - * / to make 24. Each move combines two numbers: \"a op b = c\".\n" +
                  observation();
  r.info = info();
  ARBOR_ASSIGN_OR_RETURN(auto actions, admissible_actions());
  r.info[kInfoAdmissibleActions] = actions;
  return r;
}

StatusOr<std::vector<std::string>> Game24Env::admissible_actions() {
  std::vector<std::string> out;
  if (!guard_.running())
    return out;
  for (std::size_t i = 0; i < left_.size(); ++i) {
    for (std::size_t j = 0; j < left_.size(); ++j) {
      if (i == j)
        continue;
      const Rational& a = left_[i];
      const Rational& b = left_[j];
      const auto add = [&](char op, const std::optional<Rational>& v) {
        if (!v)
          return;
        std::string s =
            format_number(a) + " " + op + " " + format_number(b) + " = " + format_number(*v);
        if (std::find(out.begin(), out.end(), s) == out.end())
          out.push_back(std::move(s));
      };
      // + and * are symmetric: list them once per unordered pair.
      if (i < j) {
        add('+', a.add(b));
        add('*', a.mul(b));
      }
      add('-', a.sub(b));
      add('/', a.div(b));
    }
  }
  return out;
}

StatusOr<StepResult> Game24Env::step(std::string_view action) {
  ARBOR_RETURN_IF_ERROR(guard_.check_running(spec_.id));
  StepResult r;
  const auto reject = [&](const std::string& why) -> StatusOr<StepResult> {
    r.observation = "Invalid move: " + why + "\n" + observation();
    r.info = info();
    r.info[kInfoLastActionError] = why;
    ARBOR_ASSIGN_OR_RETURN(auto actions, admissible_actions());
    r.info[kInfoAdmissibleActions] = actions;
    return r;
  };

  std::string text(trim(action));
  std::optional<Rational> claimed;
  if (const auto eq = text.find('='); eq != std::string::npos) {
    auto rhs = parse_arith(trim(std::string_view(text).substr(eq + 1)));
    if (!rhs.ok())
      return reject("cannot read the result after '=': " + rhs.status().message());
    auto rv = eval_arith(**rhs);
    if (!rv.ok())
      return reject(rv.status().message());
    claimed = *rv;
    text = std::string(trim(std::string_view(text).substr(0, eq)));
  }
  auto parsed = parse_arith(text);
  if (!parsed.ok())
    return reject("cannot read the move: " + parsed.status().message());
  const ArithExpr& e = **parsed;
  using K = ArithExpr::Kind;
  const bool binary =
      e.kind == K::kAdd || e.kind == K::kSub || e.kind == K::kMul || e.kind == K::kDiv;

  std::vector<Rational> next = left_;
  std::string move_text;
  Rational result;
  bool done = false;
  if (binary && is_atomic(*e.lhs) && is_atomic(*e.rhs)) {
    // One move: both operands must be numbers left.
    auto a = eval_arith(*e.lhs);
    auto b = eval_arith(*e.rhs);
    if (a.ok() && b.ok()) {
      auto ia = std::find(next.begin(), next.end(), *a);
      if (ia != next.end()) {
        next.erase(ia);
        auto ib = std::find(next.begin(), next.end(), *b);
        if (ib != next.end()) {
          next.erase(ib);
          auto v = eval_arith(e);
          if (!v.ok())
            return reject(v.status().message());
          result = *v;
          move_text = format_number(*a) + " " + op_char(e.kind) + " " + format_number(*b);
          done = true;
        }
      }
    }
  }
  if (!done) {
    // A whole expression over every number left.
    std::vector<Rational> used = arith_literals(e);
    if (!binary || !same_multiset(used, left_)) {
      return reject("'" + text + "' does not combine two of the numbers left (" + numbers_left() +
                    ")");
    }
    auto v = eval_arith(e);
    if (!v.ok())
      return reject(v.status().message());
    result = *v;
    next.clear();
    move_text = text;
  }
  if (claimed && !(*claimed == result)) {
    return reject(move_text + " is " + format_number(result) + ", not " + format_number(*claimed));
  }
  next.push_back(result);
  left_ = std::move(next);

  r.observation = move_text + " = " + format_number(result) + ".\n" + observation();
  r.info = info();
  if (left_.size() == 1) {
    const bool won = left_[0] == Rational(kGame24Target);
    r.terminated = true;
    r.reward = won ? 1.0 : 0.0;
    r.info[kInfoWon] = won;
    r.info[kInfoLost] = !won;
    r.observation += won ? "\nYou made 24." : "\nThe last number is not 24.";
    guard_.finish();
  }
  ARBOR_ASSIGN_OR_RETURN(auto actions, admissible_actions());
  r.info[kInfoAdmissibleActions] = actions;
  return r;
}

// Snapshot: "p1 p2 p3 p4|r1 r2 ...|state" with rationals as "n/d".
StatusOr<std::string> Game24Env::save() {
  std::string s;
  for (int n : puzzle_) s += std::to_string(n) + " ";
  s += "|";
  for (const Rational& r : left_) s += r.to_string() + " ";
  s += guard_.running() ? "|running" : "|over";
  return s;
}

Status Game24Env::restore(std::string_view snapshot) {
  const auto parts = split(snapshot, '|');
  if (parts.size() != 3)
    return Status::invalid_argument(spec_.id + ": not a Game of 24 snapshot");
  std::vector<int> puzzle;
  for (const std::string& p : split(parts[0], ' ')) {
    if (p.empty())
      continue;
    ARBOR_ASSIGN_OR_RETURN(std::int64_t n, parse_int(p, spec_.id + " snapshot"));
    puzzle.push_back(static_cast<int>(n));
  }
  std::vector<Rational> left;
  for (const std::string& p : split(parts[1], ' ')) {
    if (p.empty())
      continue;
    auto r = Rational::parse(p);
    if (!r)
      return Status::invalid_argument(spec_.id + ": bad number '" + p + "' in snapshot");
    left.push_back(*r);
  }
  puzzle_ = std::move(puzzle);
  left_ = std::move(left);
  if (parts[2] == "running") {
    guard_.start();
  } else {
    guard_.finish();
  }
  return Status::ok_status();
}

}  // namespace arbor::envs
