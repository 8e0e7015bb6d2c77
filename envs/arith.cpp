#include "envs/arith.h"

#include <algorithm>
#include <array>

#include "core/random.h"
#include "core/strings.h"

namespace arbor::envs {
namespace {

// How each difficulty looks. Steps = difficulty; leaves are drawn from [2, operand_max];
// every value (leaf, intermediate, answer) stays in [1, value_cap]; multiplications have one
// factor in [2, factor_max] and divisions divide by one.
struct Level {
  int steps;
  std::int64_t operand_max;
  std::int64_t value_cap;
  std::int64_t factor_max;
  std::array<int, 4> op_weights;  // + - * /
};

constexpr std::array<Level, 6> kLevels = {{
    {1, 99, 198, 9, {40, 30, 15, 15}},
    {2, 99, 999, 9, {35, 30, 20, 15}},
    {3, 200, 2000, 12, {30, 30, 25, 15}},
    {4, 500, 5000, 12, {30, 30, 25, 15}},
    {5, 999, 9999, 12, {30, 30, 25, 15}},
    {6, 999, 9999, 12, {30, 30, 25, 15}},
}};

constexpr int kMaxAttempts = 64;  // per problem; a level's constraints are met far sooner

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

std::int64_t uniform(Rng& rng, std::int64_t lo, std::int64_t hi) {  // inclusive
  return lo + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(hi - lo + 1)));
}

int pick_weighted(Rng& rng, const std::array<int, 4>& w) {
  const int total = w[0] + w[1] + w[2] + w[3];
  int r = static_cast<int>(rng.below(static_cast<std::uint64_t>(total)));
  for (int i = 0; i < 4; ++i) {
    if (r < w[i])
      return i;
    r -= w[i];
  }
  return 0;
}

constexpr char kOps[4] = {'+', '-', '*', '/'};

void append_int(std::string& s, std::int64_t v) {
  s += std::to_string(v);
}

// ---- expressions -------------------------------------------------------------------------------

struct Node {
  char op = 0;  // 0: leaf
  std::int64_t value = 0;
  int left = -1, right = -1;
};

class ExprBuilder {
 public:
  ExprBuilder(Rng& rng, const Level& level) : rng_(rng), lv_(level) {}

  // A tree with exactly `steps` operations; -1 when this draw failed.
  int build(int steps) {
    nodes_.clear();
    return gen(steps);
  }
  const std::vector<Node>& nodes() const { return nodes_; }

 private:
  int leaf(std::int64_t v) {
    nodes_.push_back({0, v, -1, -1});
    return static_cast<int>(nodes_.size()) - 1;
  }
  int inner(char op, std::int64_t v, int l, int r) {
    nodes_.push_back({op, v, l, r});
    return static_cast<int>(nodes_.size()) - 1;
  }

  int gen(int steps) {
    if (steps == 0)
      return leaf(uniform(rng_, 2, lv_.operand_max));
    for (int attempt = 0; attempt < 4; ++attempt) {
      const std::size_t mark = nodes_.size();
      const int op = pick_weighted(rng_, lv_.op_weights);
      int result = -1;
      if (op == 0 || op == 1) {
        const int sl = static_cast<int>(rng_.below(static_cast<std::uint64_t>(steps)));
        int l = gen(sl);
        int r = l < 0 ? -1 : gen(steps - 1 - sl);
        if (l >= 0 && r >= 0) {
          const std::int64_t a = nodes_[l].value, b = nodes_[r].value;
          if (op == 0 && a + b <= lv_.value_cap)
            result = inner('+', a + b, l, r);
          if (op == 1 && a != b) {
            if (a < b)
              std::swap(l, r);
            result = inner('-', std::max(a, b) - std::min(a, b), l, r);
          }
        }
      } else if (op == 2) {
        // One factor is a small leaf; the other operand carries the remaining steps.
        int o = steps == 1 ? leaf(uniform(rng_, 2, std::min(lv_.operand_max, lv_.value_cap / 2)))
                           : gen(steps - 1);
        if (o >= 0 && nodes_[o].value * 2 <= lv_.value_cap) {
          const std::int64_t kmax = std::min(lv_.factor_max, lv_.value_cap / nodes_[o].value);
          const int k = leaf(uniform(rng_, 2, kmax));
          const std::int64_t v = nodes_[o].value * nodes_[k].value;
          result = rng_.below(2) ? inner('*', v, o, k) : inner('*', v, k, o);
        }
      } else {
        if (steps == 1) {
          const std::int64_t k = uniform(rng_, 2, lv_.factor_max);
          const std::int64_t q = uniform(rng_, 2, std::max<std::int64_t>(2, lv_.value_cap / k));
          if (k * q <= lv_.value_cap) {
            const int d = leaf(k * q);
            const int kl = leaf(k);
            result = inner('/', q, d, kl);
          }
        } else {
          const int o = gen(steps - 1);
          if (o >= 0) {
            const std::int64_t v = nodes_[o].value;
            std::int64_t divisors[16];
            int n = 0;
            for (std::int64_t k = 2; k <= lv_.factor_max; ++k) {
              if (v % k == 0 && v / k >= 2)
                divisors[n++] = k;
            }
            if (n > 0) {
              const std::int64_t k = divisors[rng_.below(static_cast<std::uint64_t>(n))];
              const int kl = leaf(k);
              result = inner('/', v / k, o, kl);
            }
          }
        }
      }
      if (result >= 0)
        return result;
      nodes_.resize(mark);
    }
    return -1;
  }

  Rng& rng_;
  const Level& lv_;
  std::vector<Node> nodes_;
};

int precedence(char op) {
  return op == '+' || op == '-' ? 1 : 2;
}

// Parentheses exactly where the tree needs them to be read back the same way: a left child of
// lower precedence, a right child of lower or equal precedence.
void print_expr(const std::vector<Node>& nodes, int i, std::string& out) {
  const Node& n = nodes[i];
  if (n.op == 0) {
    append_int(out, n.value);
    return;
  }
  const Node& l = nodes[n.left];
  const Node& r = nodes[n.right];
  const bool lp = l.op != 0 && precedence(l.op) < precedence(n.op);
  const bool rp = r.op != 0 && precedence(r.op) <= precedence(n.op);
  if (lp)
    out += '(';
  print_expr(nodes, n.left, out);
  if (lp)
    out += ')';
  out += ' ';
  out += n.op;
  out += ' ';
  if (rp)
    out += '(';
  print_expr(nodes, n.right, out);
  if (rp)
    out += ')';
}

void collect_steps(const std::vector<Node>& nodes, int i, std::vector<ArithStep>& steps,
                   std::vector<std::int64_t>& numbers) {
  const Node& n = nodes[i];
  if (n.op == 0) {
    numbers.push_back(n.value);
    return;
  }
  collect_steps(nodes, n.left, steps, numbers);
  collect_steps(nodes, n.right, steps, numbers);
  steps.push_back({nodes[n.left].value, n.op, nodes[n.right].value, n.value});
}

constexpr std::array<const char*, 4> kExprPrompts = {"What is ", "Compute ", "Calculate ",
                                                     "Evaluate "};

bool make_expr(Rng& rng, const Level& lv, ArithProblem& p) {
  ExprBuilder builder(rng, lv);
  const int root = builder.build(lv.steps);
  if (root < 0)
    return false;
  collect_steps(builder.nodes(), root, p.steps, p.numbers);
  const std::size_t which = rng.below(kExprPrompts.size());
  p.question = kExprPrompts[which];
  print_expr(builder.nodes(), root, p.question);
  p.question += which == 0 ? "?" : ".";
  p.answer = builder.nodes()[root].value;
  return true;
}

// ---- word problems -----------------------------------------------------------------------------

// Template placeholders: {N} name, {P} subject pronoun, {O} object pronoun, {S} possessive,
// {X} the items (plural), {a} {b} {n} {m} {k} numbers. A template that starts with {P} may follow
// a connector ("Then she ...").
struct Frame {
  std::array<const char*, 3> start;
  std::array<const char*, 3> add;
  std::array<const char*, 3> sub;
  std::array<const char*, 2> add_group;  // {n} groups of {m}
  std::array<const char*, 2> sub_group;
  const char* twice;                 // multiply by 2
  const char* thrice;                // multiply by 3
  const char* times;                 // multiply by {k}
  std::array<const char*, 2> share;  // divide by {k}, ends with the question
  std::array<const char*, 2> question;
  bool person;  // {N} is a person with pronouns
};

constexpr std::array<Frame, 3> kFrames = {{
    {{"{N} has {a} {X}.", "{N} collected {a} {X}.", "{N} had {a} {X}."},
     {"{P} buys {b} more.", "{P} finds {b} more {X}.", "A friend gives {O} {b} {X}."},
     {"{P} gives {b} {X} to a friend.", "{P} loses {b} of them.", "{P} uses {b} {X}."},
     {"{P} buys {n} packs with {m} {X} in each pack.", "{P} gets {m} {X} a day for {n} days."},
     {"{P} gives {m} {X} to each of {n} friends.",
      "{P} puts {m} {X} into each of {n} jars and gives the jars away."},
     "{P} doubles {S} {X}.",
     "{P} triples {S} {X}.",
     "{P} ends up with {k} times as many {X} as before.",
     {"{P} shares the {X} equally among {k} friends. How many {X} does each friend get?",
      "{P} puts the {X} into {k} equal piles. How many {X} are in each pile?"},
     {"How many {X} does {N} have now?", "How many {X} does {N} have in the end?"},
     true},
    {{"{N} has {a} dollars.", "{N} saved {a} dollars.", "{N} starts the month with {a} dollars."},
     {"{P} earns {b} dollars.", "{P} gets {b} dollars as a gift.",
      "{P} sells a bike for {b} dollars."},
     {"{P} spends {b} dollars on a jacket.", "{P} pays {b} dollars for books.",
      "{P} spends {b} dollars."},
     {"{P} works {n} hours and earns {m} dollars per hour.",
      "{P} sells {n} cakes for {m} dollars each."},
     {"{P} buys {n} tickets that cost {m} dollars each.",
      "{P} buys {n} shirts at {m} dollars each."},
     "{P} doubles {S} money.",
     "{P} triples {S} money.",
     "{S_cap} savings grow to {k} times as much.",
     {"{P} splits the money equally into {k} envelopes. How many dollars are in each envelope?",
      "{P} shares the money equally among {k} people. How many dollars does each person get?"},
     {"How many dollars does {N} have now?", "How much money, in dollars, does {N} have left?"},
     true},
    {{"A store has {a} boxes of {X}.", "A store keeps {a} boxes of {X} in stock.",
      "A store starts the week with {a} boxes of {X}."},
     {"A truck delivers {b} more boxes.", "{b} more boxes arrive.",
      "The store orders {b} more boxes."},
     {"The store sells {b} boxes.", "{b} boxes are sold.", "{b} boxes are sent back."},
     {"{n} trucks deliver {m} boxes each.", "{n} vans arrive with {m} boxes in each van."},
     {"The store sends {m} boxes to each of {n} schools.", "{n} customers buy {m} boxes each."},
     "The number of boxes doubles.",
     "The number of boxes triples.",
     "The number of boxes grows to {k} times as many.",
     {"The boxes are shared equally among {k} shops. How many boxes does each shop get?",
      "The boxes are loaded equally onto {k} trucks. How many boxes go on each truck?"},
     {"How many boxes does the store have now?", "How many boxes are there in the end?"},
     false},
}};

struct Person {
  const char* name;
  bool she;
};
constexpr std::array<Person, 16> kPeople = {{{"Mia", true},
                                             {"Liam", false},
                                             {"Ava", true},
                                             {"Noah", false},
                                             {"Zoe", true},
                                             {"Omar", false},
                                             {"Lena", true},
                                             {"Ravi", false},
                                             {"Sara", true},
                                             {"Tom", false},
                                             {"Aisha", true},
                                             {"Ken", false},
                                             {"Nora", true},
                                             {"Leo", false},
                                             {"Ivy", true},
                                             {"Sam", false}}};
constexpr std::array<const char*, 10> kItems = {"apples", "marbles", "stickers", "cards", "shells",
                                                "stamps", "pencils", "cookies",  "beads", "books"};
constexpr std::array<const char*, 8> kGoods = {"pencils", "apples", "paper", "soap",
                                               "rice",    "tea",    "nails", "toys"};
constexpr std::array<const char*, 4> kConnectors = {"Then ", "Later ", "After that ", "Next "};

struct Vars {
  const Person* person = nullptr;
  const char* items = "";
  std::int64_t a = 0, b = 0, n = 0, m = 0, k = 0;
};

// Appends `tmpl` with its placeholders filled; `lower_first` for a sentence after a connector.
void render(std::string& out, const char* tmpl, const Vars& v, bool lower_first) {
  const bool she = v.person != nullptr && v.person->she;
  bool first = true;
  for (const char* p = tmpl; *p; ++p) {
    if (*p != '{') {
      out +=
          (first && lower_first && *p >= 'A' && *p <= 'Z') ? static_cast<char>(*p - 'A' + 'a') : *p;
      first = false;
      continue;
    }
    const char* close = p + 1;
    while (*close && *close != '}') ++close;
    const std::string_view key(p + 1, static_cast<std::size_t>(close - p - 1));
    const bool cap = !(first && lower_first);
    if (key == "N") {
      out += v.person ? v.person->name : "";
    } else if (key == "P") {
      out += she ? (cap ? "She" : "she") : (cap ? "He" : "he");
    } else if (key == "O") {
      out += she ? "her" : "him";
    } else if (key == "S") {
      out += she ? "her" : "his";
    } else if (key == "S_cap") {
      out += she ? (cap ? "Her" : "her") : (cap ? "His" : "his");
    } else if (key == "X") {
      out += v.items;
    } else if (key == "a") {
      append_int(out, v.a);
    } else if (key == "b") {
      append_int(out, v.b);
    } else if (key == "n") {
      append_int(out, v.n);
    } else if (key == "m") {
      append_int(out, v.m);
    } else if (key == "k") {
      append_int(out, v.k);
    }
    first = false;
    p = close;
  }
}

// Templates whose first word may be lowercased after a connector ("Then she ...", "Then a
// truck ..."); a sentence that opens with a name or a number keeps its case and takes no
// connector.
bool takes_connector(const char* tmpl) {
  return tmpl[0] != '{' || std::string_view(tmpl).substr(0, 3) == "{P}";
}

bool make_word(Rng& rng, const Level& lv, ArithProblem& p) {
  const Frame& f = kFrames[rng.below(kFrames.size())];
  Vars v;
  if (f.person)
    v.person = &kPeople[rng.below(kPeople.size())];
  v.items = &f == &kFrames[2] ? kGoods[rng.below(kGoods.size())] : kItems[rng.below(kItems.size())];

  std::string& q = p.question;
  std::int64_t value = uniform(rng, 2, lv.operand_max);
  v.a = value;
  p.numbers.push_back(value);
  render(q, f.start[rng.below(f.start.size())], v, false);

  int left = lv.steps;
  bool shared = false;
  int event_index = 0;
  int budget = 32;  // event draws before this problem is abandoned
  while (left > 0) {
    if (--budget < 0)
      return false;
    // Event kinds: 0 add, 1 sub, 2 mul, 3 div (last step only), 4 add group, 5 sub group.
    int kind = pick_weighted(rng, lv.op_weights);
    if (left >= 2 && (kind == 0 || kind == 1) && rng.below(3) == 0)
      kind += 4;
    const char* tmpl = nullptr;
    std::vector<ArithStep> steps;
    if (kind == 0) {
      if (value + 2 > lv.value_cap)
        continue;
      v.b = uniform(rng, 2, std::min(lv.operand_max, lv.value_cap - value));
      steps.push_back({value, '+', v.b, value + v.b});
      p.numbers.push_back(v.b);
      tmpl = f.add[rng.below(f.add.size())];
    } else if (kind == 1) {
      if (value < 3)
        continue;
      v.b = uniform(rng, 2, std::min(lv.operand_max, value - 1));
      steps.push_back({value, '-', v.b, value - v.b});
      p.numbers.push_back(v.b);
      tmpl = f.sub[rng.below(f.sub.size())];
    } else if (kind == 2) {
      if (value * 2 > lv.value_cap)
        continue;
      v.k = uniform(rng, 2, std::min(lv.factor_max, lv.value_cap / value));
      steps.push_back({value, '*', v.k, value * v.k});
      p.numbers.push_back(v.k);
      tmpl = v.k == 2 ? f.twice : v.k == 3 ? f.thrice : f.times;
    } else if (kind == 3) {
      if (left != 1)
        continue;
      std::int64_t divisors[16];
      int nd = 0;
      for (std::int64_t k = 2; k <= lv.factor_max; ++k) {
        if (value % k == 0 && value / k >= 2)
          divisors[nd++] = k;
      }
      if (nd == 0)
        continue;
      v.k = divisors[rng.below(static_cast<std::uint64_t>(nd))];
      steps.push_back({value, '/', v.k, value / v.k});
      p.numbers.push_back(v.k);
      tmpl = f.share[rng.below(f.share.size())];
      shared = true;
    } else {
      const bool add = kind == 4;
      v.n = uniform(rng, 2, lv.factor_max);
      const std::int64_t room = add ? lv.value_cap - value : value - 1;
      const std::int64_t mmax = std::min(lv.operand_max, room / v.n);
      if (mmax < 2)
        continue;
      v.m = uniform(rng, 2, mmax);
      const std::int64_t prod = v.n * v.m;
      tmpl = add ? f.add_group[rng.below(f.add_group.size())]
                 : f.sub_group[rng.below(f.sub_group.size())];
      // The product's factors in the order the sentence gives them.
      const std::string_view t(tmpl);
      const bool m_first = t.find("{m}") < t.find("{n}");
      const std::int64_t first = m_first ? v.m : v.n, second = m_first ? v.n : v.m;
      steps.push_back({first, '*', second, prod});
      steps.push_back(add ? ArithStep{value, '+', prod, value + prod}
                          : ArithStep{value, '-', prod, value - prod});
      p.numbers.push_back(first);
      p.numbers.push_back(second);
    }
    q += ' ';
    const bool connect = event_index > 0 && takes_connector(tmpl) && rng.below(2) == 0;
    if (connect)
      q += kConnectors[rng.below(kConnectors.size())];
    render(q, tmpl, v, connect);
    for (const ArithStep& s : steps) p.steps.push_back(s);
    value = steps.back().result;
    left -= static_cast<int>(steps.size());
    ++event_index;
  }
  if (!shared) {
    q += ' ';
    render(q, f.question[rng.below(f.question.size())], v, false);
  }
  p.answer = value;
  return true;
}

std::uint64_t steps_hash(const std::vector<ArithStep>& steps) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the step values
  const auto feed = [&](std::uint64_t x) {
    for (int i = 0; i < 8; ++i) {
      h ^= (x >> (8 * i)) & 0xff;
      h *= 0x100000001b3ull;
    }
  };
  for (const ArithStep& s : steps) {
    feed(static_cast<std::uint64_t>(s.a));
    feed(static_cast<std::uint64_t>(s.op));
    feed(static_cast<std::uint64_t>(s.b));
  }
  return mix64(h);
}

}  // namespace

std::string ArithStep::to_string() const {
  std::string s;
  append_int(s, a);
  s += ' ';
  s += op;
  s += ' ';
  append_int(s, b);
  s += " = ";
  append_int(s, result);
  return s;
}

std::string ArithProblem::id() const {
  return "arith-s" + std::to_string(seed) + "-" + std::to_string(index);
}

std::string ArithProblem::solution() const {
  std::string s;
  for (const ArithStep& step : steps) {
    s += step.to_string();
    s += '\n';
  }
  s += "Answer: ";
  append_int(s, answer);
  return s;
}

Json ArithProblem::to_json() const {
  return Json{{"id", id()},
              {"seed", seed},
              {"index", index},
              {"difficulty", difficulty},
              {"kind", kind == ArithKind::kExpr ? "expr" : "word"},
              {"split", heldout ? "test" : "train"},
              {"question", question},
              {"solution", solution()},
              {"answer", std::to_string(answer)},
              {"steps", steps.size()},
              {"numbers", numbers}};
}

Problem ArithProblem::to_problem() const {
  Problem p;
  p.id = id();
  p.question = question;
  p.answer = std::to_string(answer);
  p.solution = solution();
  p.metadata = {{"difficulty", difficulty},
                {"kind", kind == ArithKind::kExpr ? "expr" : "word"},
                {"split", heldout ? "test" : "train"},
                {"numbers", numbers}};
  return p;
}

bool arith_is_heldout(const std::vector<ArithStep>& steps, int heldout_permille) {
  return static_cast<int>(steps_hash(steps) % 1000) < heldout_permille;
}

StatusOr<std::vector<int>> parse_arith_difficulties(std::string_view text) {
  std::vector<int> out;
  for (const std::string& raw : split(text, ',')) {
    const std::string part(trim(raw));
    std::vector<int> add;
    if (part == "easy") {
      add = {1, 2};
    } else if (part == "medium") {
      add = {3, 4};
    } else if (part == "hard") {
      add = {5, 6};
    } else if (part == "all") {
      add = {1, 2, 3, 4, 5, 6};
    } else if (const auto dash = part.find('-'); dash != std::string::npos && dash > 0) {
      ARBOR_ASSIGN_OR_RETURN(std::int64_t lo, parse_int(part.substr(0, dash), "--difficulty"));
      ARBOR_ASSIGN_OR_RETURN(std::int64_t hi, parse_int(part.substr(dash + 1), "--difficulty"));
      for (std::int64_t d = lo; d <= hi && d - lo < 10; ++d) add.push_back(static_cast<int>(d));
      if (add.empty())
        return Status::invalid_argument("--difficulty: empty range '" + part + "'");
    } else {
      ARBOR_ASSIGN_OR_RETURN(std::int64_t d, parse_int(part, "--difficulty"));
      add = {static_cast<int>(d)};
    }
    for (int d : add) {
      if (d < kArithMinDifficulty || d > kArithMaxDifficulty) {
        return Status::invalid_argument("--difficulty: " + std::to_string(d) +
                                        " is outside 1..6 (or use easy, medium, hard, all)");
      }
      if (std::find(out.begin(), out.end(), d) == out.end())
        out.push_back(d);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

StatusOr<std::vector<ArithKind>> parse_arith_kinds(std::string_view text) {
  std::vector<ArithKind> out;
  for (const std::string& raw : split(text, ',')) {
    const std::string part(trim(raw));
    ArithKind k;
    if (part == "expr") {
      k = ArithKind::kExpr;
    } else if (part == "word") {
      k = ArithKind::kWord;
    } else {
      return Status::invalid_argument("--kinds: unknown kind '" + part + "' (expr, word)");
    }
    if (std::find(out.begin(), out.end(), k) == out.end())
      out.push_back(k);
  }
  return out;
}

StatusOr<ArithSplit> parse_arith_split(std::string_view text) {
  if (text == "all")
    return ArithSplit::kAll;
  if (text == "train")
    return ArithSplit::kTrain;
  if (text == "test")
    return ArithSplit::kTest;
  return Status::invalid_argument("--split: '" + std::string(text) +
                                  "' is not one of all, train, test");
}

StatusOr<ArithGenerator> ArithGenerator::create(ArithOptions options) {
  if (options.difficulties.empty())
    return Status::invalid_argument("arith: no difficulties");
  for (int d : options.difficulties) {
    if (d < kArithMinDifficulty || d > kArithMaxDifficulty) {
      return Status::invalid_argument("arith: difficulty " + std::to_string(d) +
                                      " is outside 1..6");
    }
  }
  if (options.kinds.empty())
    return Status::invalid_argument("arith: no kinds");
  if (options.heldout_permille < 1 || options.heldout_permille > 999) {
    return Status::invalid_argument("arith: heldout_permille must be in 1..999");
  }
  return ArithGenerator(std::move(options));
}

ArithProblem ArithGenerator::generate(std::uint64_t seed, std::uint64_t index) const {
  Rng rng(mix64(seed * 0x9e3779b97f4a7c15ull + mix64(index + 0x632be59bd9b4e019ull)));
  ArithProblem p;
  p.seed = seed;
  p.index = index;
  p.difficulty = options_.difficulties[rng.below(options_.difficulties.size())];
  p.kind = options_.kinds[rng.below(options_.kinds.size())];
  const Level& lv = kLevels[static_cast<std::size_t>(p.difficulty - 1)];
  // Draws until one meets the level's constraints and falls in the requested split. The held-
  // out share is ~10%, so a test-split problem takes about ten draws, a train one about one.
  for (int attempt = 0;; ++attempt) {
    ARBOR_CHECK_LT(attempt, kMaxAttempts * 100) << "arith: no problem after many draws";
    p.steps.clear();
    p.numbers.clear();
    p.question.clear();
    const bool ok = p.kind == ArithKind::kExpr ? make_expr(rng, lv, p) : make_word(rng, lv, p);
    if (!ok)
      continue;
    p.heldout = arith_is_heldout(p.steps, options_.heldout_permille);
    if (options_.split == ArithSplit::kTrain && p.heldout)
      continue;
    if (options_.split == ArithSplit::kTest && !p.heldout)
      continue;
    return p;
  }
}

}  // namespace arbor::envs
