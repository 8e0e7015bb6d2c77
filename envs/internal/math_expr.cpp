#include "envs/internal/math_expr.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "envs/rational.h"

namespace arbor::envs::internal {
namespace {

constexpr int kMaxDepth = 100;            // deeper nesting is not an answer
constexpr std::size_t kMaxLength = 2000;  // longer text is not an answer either

bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// ---- LaTeX to plain text ----------------------------------------------------------------------

class LatexConverter {
 public:
  explicit LatexConverter(std::string_view s) : s_(s) {}

  std::string run() {
    std::string out;
    while (i_ < s_.size()) convert_one(out);
    return out;
  }

 private:
  void skip_space() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }

  // A braced group's contents (i_ at '{'), or a single token.
  std::string read_arg() {
    skip_space();
    if (i_ >= s_.size())
      return "";
    if (s_[i_] == '{')
      return convert_sub(read_group());
    if (s_[i_] == '\\') {
      std::string out;
      convert_one(out);
      return out;
    }
    return std::string(1, s_[i_++]);
  }

  // The raw text inside a balanced {...}; i_ ends after the closing brace.
  std::string_view read_group() {
    const std::size_t start = ++i_;
    int depth = 1;
    while (i_ < s_.size()) {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
        i_ += 2;
        continue;
      }
      if (s_[i_] == '{')
        ++depth;
      if (s_[i_] == '}' && --depth == 0)
        break;
      ++i_;
    }
    const std::string_view inner = s_.substr(start, i_ - start);
    if (i_ < s_.size())
      ++i_;
    return inner;
  }

  static std::string convert_sub(std::string_view s) { return LatexConverter(s).run(); }

  static std::string wrap(const std::string& a) {
    bool plain = !a.empty();
    for (char ch : a) plain = plain && (is_digit(ch) || ch == '.');
    if (plain || (a.size() == 1 && is_letter(a[0])))
      return a;
    return "(" + a + ")";
  }

  std::string read_macro_name() {
    const std::size_t start = i_;
    while (i_ < s_.size() && is_letter(s_[i_])) ++i_;
    if (i_ == start && i_ < s_.size())
      ++i_;  // a one-character macro: \, \{ \% ...
    return std::string(s_.substr(start, i_ - start));
  }

  void convert_one(std::string& out) {
    const char c = s_[i_];
    if (c == '$') {
      ++i_;
      return;
    }
    if (c == '{') {
      const bool script = !out.empty() && (out.back() == '^' || out.back() == '_');
      const std::string inner = convert_sub(read_group());
      out += script ? "(" + inner + ")" : inner;
      return;
    }
    if (c != '\\') {
      out += c;
      ++i_;
      return;
    }
    ++i_;
    const std::string m = read_macro_name();
    static const std::array<const char*, 4> kFracs = {"frac", "dfrac", "tfrac", "cfrac"};
    if (std::find_if(kFracs.begin(), kFracs.end(), [&](const char* f) { return m == f; }) !=
        kFracs.end()) {
      const std::string a = read_arg();
      const std::string b = read_arg();
      // Plain operands stay bare so that a mixed number "7\frac{3}{4}" reads "7 3/4".
      out += wrap(a) + "/" + wrap(b);
      return;
    }
    if (m == "sqrt") {
      skip_space();
      std::string index;
      if (i_ < s_.size() && s_[i_] == '[') {
        const std::size_t close = s_.find(']', i_);
        if (close != std::string_view::npos) {
          index = convert_sub(s_.substr(i_ + 1, close - i_ - 1));
          i_ = close + 1;
        }
      }
      const std::string a = read_arg();
      out += index.empty() ? "sqrt(" + a + ")" : "(" + a + ")^(1/(" + index + "))";
      return;
    }
    if (m == "text" || m == "textbf" || m == "textit" || m == "mathrm" || m == "mathbf" ||
        m == "mathit" || m == "mbox" || m == "textnormal" || m == "operatorname" || m == "boxed" ||
        m == "mathbb" || m == "mathcal" || m == "textrm" || m == "hbox" || m == "fbox" ||
        m == "textsf" || m == "mathsf" || m == "overline") {
      out += read_arg();
      return;
    }
    if (m == "left" || m == "right" || m == "bigl" || m == "bigr" || m == "big" || m == "Big" ||
        m == "Bigl" || m == "Bigr" || m == "displaystyle") {
      if (m != "displaystyle" && i_ < s_.size() && s_[i_] == '.')
        ++i_;
      return;
    }
    if (m == "begin" || m == "end") {
      read_arg();
      // An array's column spec ({cc}) follows \begin{array}.
      if (m == "begin" && i_ < s_.size() && s_[i_] == '{')
        read_group();
      out += m == "begin" ? "[" : "]";
      return;
    }
    struct Sub {
      const char* macro;
      const char* text;
    };
    static const Sub kSubs[] = {
        {"pi", "pi"},
        {"infty", "inf"},
        {"cdot", "*"},
        {"times", "*"},
        {"ast", "*"},
        {"div", "/"},
        {"cup", "U"},
        {"circ", ""},
        {"degree", ""},
        {"le", "<="},
        {"leq", "<="},
        {"leqslant", "<="},
        {"ge", ">="},
        {"geq", ">="},
        {"geqslant", ">="},
        {"ne", "!="},
        {"neq", "!="},
        {"lt", "<"},
        {"gt", ">"},
        {"approx", "~"},
        {"%", "%"},
        {"$", "$"},
        {",", ""},
        {";", ""},
        {":", ""},
        {"!", ""},
        {" ", " "},
        {"quad", " "},
        {"qquad", " "},
        {"{", "{"},
        {"}", "}"},
        {"\\", ";"},
        {"dots", "..."},
        {"ldots", "..."},
        {"cdots", "..."},
        {"pm", "\xC2\xB1"},
        {"mp", "\xE2\x88\x93"},
        {"in", " in "},
        {"emptyset", "{}"},
        {"varnothing", "{}"},
        {"#", "#"},
        {"&", "&"},
        {"_", "_"},
    };
    for (const Sub& sub : kSubs) {
      if (m == sub.macro) {
        out += sub.text;
        return;
      }
    }
    // Functions and Greek letters keep their names; a space stops "\sin x" becoming "sinx".
    out += m;
    if (i_ < s_.size() && is_letter(s_[i_]))
      out += ' ';
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// ---- parser --------------------------------------------------------------------------------

const char* const kFunctions[] = {"arcsin", "arccos", "arctan", "sqrt", "sin", "cos", "tan",
                                  "sec",    "csc",    "cot",    "log",  "ln",  "exp", "abs"};

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  std::optional<MathNodePtr> parse() {
    if (s_.size() > kMaxLength)
      return std::nullopt;
    auto e = sum(0);
    skip();
    if (!e || i_ != s_.size())
      return std::nullopt;
    return e;
  }

 private:
  void skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool eat(std::string_view w) {
    skip();
    if (s_.substr(i_, w.size()) == w) {
      i_ += w.size();
      return true;
    }
    return false;
  }
  char peek() {
    skip();
    return i_ < s_.size() ? s_[i_] : '\0';
  }
  static MathNodePtr node(MathNode::Kind k, MathNodePtr a = nullptr, MathNodePtr b = nullptr) {
    auto n = std::make_shared<MathNode>();
    n->kind = k;
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }

  MathNodePtr sum(int d) {
    if (d > kMaxDepth)
      return nullptr;
    MathNodePtr lhs = product(d);
    while (lhs) {
      if (eat("+")) {
        lhs = join(MathNode::Kind::kAdd, lhs, product(d));
      } else if (peek() == '-') {
        ++i_;
        lhs = join(MathNode::Kind::kSub, lhs, product(d));
      } else {
        break;
      }
    }
    return lhs;
  }

  static MathNodePtr join(MathNode::Kind k, MathNodePtr a, MathNodePtr b) {
    if (!a || !b)
      return nullptr;
    return node(k, std::move(a), std::move(b));
  }

  bool starts_primary() {
    const char c = peek();
    return is_digit(c) || c == '.' || is_letter(c) || c == '(' || c == '[';
  }

  MathNodePtr product(int d) {
    MathNodePtr lhs = negation(d);
    while (lhs) {
      if (eat("*")) {
        lhs = join(MathNode::Kind::kMul, lhs, negation(d));
      } else if (eat("/")) {
        lhs = join(MathNode::Kind::kDiv, lhs, negation(d));
      } else if (starts_primary()) {
        lhs = join(MathNode::Kind::kMul, lhs, power(d));
      } else {
        break;
      }
    }
    return lhs;
  }

  MathNodePtr negation(int d) {
    if (d > kMaxDepth)
      return nullptr;
    if (peek() == '-') {
      ++i_;
      auto inner = negation(d + 1);
      return inner ? node(MathNode::Kind::kNeg, inner) : nullptr;
    }
    if (peek() == '+') {
      ++i_;
      return negation(d + 1);
    }
    return power(d);
  }

  MathNodePtr power(int d) {
    MathNodePtr base = postfix(d);
    if (!base)
      return nullptr;
    if (eat("**") || eat("^")) {
      auto exp = negation(d + 1);
      return exp ? node(MathNode::Kind::kPow, base, exp) : nullptr;
    }
    return base;
  }

  MathNodePtr postfix(int d) {
    MathNodePtr p = primary(d);
    while (p && peek() == '!' && s_.substr(i_, 2) != "!=") {
      ++i_;
      p = node(MathNode::Kind::kFact, p);
    }
    return p;
  }

  MathNodePtr primary(int d) {
    if (d > kMaxDepth)
      return nullptr;
    const char c = peek();
    if (is_digit(c) || c == '.') {
      const std::size_t start = i_;
      while (i_ < s_.size() && (is_digit(s_[i_]) || s_[i_] == '.')) ++i_;
      auto n = std::make_shared<MathNode>();
      n->kind = MathNode::Kind::kNumber;
      const std::string text(s_.substr(start, i_ - start));
      if (std::count(text.begin(), text.end(), '.') > 1 || text == ".")
        return nullptr;
      n->number = std::strtod(text.c_str(), nullptr);
      n->func = text;  // the literal, for exact evaluation
      return n;
    }
    if (c == '(' || c == '[') {
      ++i_;
      auto inner = sum(d + 1);
      if (!inner || !(eat(")") || eat("]")))
        return nullptr;
      return inner;
    }
    if (c == '|') {
      ++i_;
      auto inner = sum(d + 1);
      if (!inner || !eat("|"))
        return nullptr;
      auto n = std::make_shared<MathNode>();
      n->kind = MathNode::Kind::kCall;
      n->func = "abs";
      n->a = inner;
      return n;
    }
    if (!is_letter(c))
      return nullptr;
    for (const char* f : kFunctions) {
      const std::string_view name(f);
      if (s_.substr(i_, name.size()) == name) {
        i_ += name.size();
        MathNodePtr exponent;
        if (eat("^")) {  // sin^2(x) = sin(x)^2
          exponent = postfix(d + 1);
          if (!exponent)
            return nullptr;
        }
        MathNodePtr arg = peek() == '(' ? primary(d + 1) : power(d + 1);
        if (!arg)
          return nullptr;
        auto n = std::make_shared<MathNode>();
        n->kind = MathNode::Kind::kCall;
        n->func = std::string(name);
        n->a = arg;
        return exponent ? node(MathNode::Kind::kPow, n, exponent) : n;
      }
    }
    if (s_.substr(i_, 8) == "infinity") {
      i_ += 8;
      return node(MathNode::Kind::kInf);
    }
    if (s_.substr(i_, 3) == "inf") {
      i_ += 3;
      return node(MathNode::Kind::kInf);
    }
    if (s_.substr(i_, 2) == "pi") {
      i_ += 2;
      return node(MathNode::Kind::kPi);
    }
    auto n = std::make_shared<MathNode>();
    n->kind = MathNode::Kind::kVar;
    n->var = s_[i_++];
    return n;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

void collect_vars(const MathNode& e, std::set<char>& out) {
  if (e.kind == MathNode::Kind::kVar)
    out.insert(e.var);
  if (e.a)
    collect_vars(*e.a, out);
  if (e.b)
    collect_vars(*e.b, out);
}

using Complex = std::complex<double>;

bool finite(const Complex& z) {
  return std::isfinite(z.real()) && std::isfinite(z.imag());
}

// Exact value for expressions of rational literals and + - * / and integer powers.
std::optional<Rational> eval_exact(const MathNode& e) {
  using K = MathNode::Kind;
  switch (e.kind) {
    case K::kNumber:
      return Rational::parse(e.func);
    case K::kNeg: {
      auto a = eval_exact(*e.a);
      return a ? Rational(0).sub(*a) : std::nullopt;
    }
    case K::kAdd:
    case K::kSub:
    case K::kMul:
    case K::kDiv: {
      auto a = eval_exact(*e.a);
      if (!a)
        return std::nullopt;
      auto b = eval_exact(*e.b);
      if (!b)
        return std::nullopt;
      if (e.kind == K::kAdd)
        return a->add(*b);
      if (e.kind == K::kSub)
        return a->sub(*b);
      if (e.kind == K::kMul)
        return a->mul(*b);
      return a->div(*b);
    }
    case K::kPow: {
      auto a = eval_exact(*e.a);
      auto b = eval_exact(*e.b);
      if (!a || !b || !b->is_integer())
        return std::nullopt;
      return a->pow(b->num());
    }
    default:
      return std::nullopt;
  }
}

bool close(const Complex& x, const Complex& y, double rel_tol) {
  const double scale = std::max({1.0, std::abs(x), std::abs(y)});
  return std::abs(x - y) <= rel_tol * scale;
}

// Sample points: positive reals away from 0 and 1, distinct per variable and trial.
Complex sample_value(char var, int trial) {
  static const double kBase[] = {0.61803, 1.41421, 2.71828, 0.37796,
                                 1.73205, 3.14159, 0.83333, 2.23607};
  const int k = (trial * 5 + static_cast<int>(var) * 3) % 8;
  return {kBase[k] + 0.0137 * trial + 0.0071 * (var % 13), 0.0};
}

}  // namespace

std::string latex_to_plain(std::string_view latex) {
  return LatexConverter(latex).run();
}

std::optional<MathNodePtr> parse_math(std::string_view text) {
  std::string s(text);
  // Unicode operators that show up in model output and converted LaTeX.
  const std::pair<const char*, const char*> kUnicode[] = {
      {"\xC3\x97", "*"}, {"\xC2\xB7", "*"},        {"\xE2\x8B\x85", "*"}, {"\xE2\x88\x92", "-"},
      {"\xC3\xB7", "/"}, {"\xE2\x88\x9A", "sqrt"}, {"\xCF\x80", "pi"},    {"\xE2\x88\x9E", "inf"}};
  for (const auto& [from, to] : kUnicode) {
    for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p)) {
      s.replace(p, std::strlen(from), to);
      p += std::strlen(to);
    }
  }
  return Parser(s).parse();
}

std::set<char> math_variables(const MathNode& e) {
  std::set<char> out;
  collect_vars(e, out);
  return out;
}

std::optional<Complex> eval_math(const MathNode& e, const Complex* vars) {
  using K = MathNode::Kind;
  const auto sub = [&](const MathNodePtr& n) { return eval_math(*n, vars); };
  Complex r;
  switch (e.kind) {
    case K::kNumber:
      r = e.number;
      break;
    case K::kVar:
      r = vars[static_cast<unsigned char>(e.var) & 127];
      break;
    case K::kPi:
      r = M_PI;
      break;
    case K::kInf:
      r = INFINITY;
      break;
    case K::kNeg: {
      auto a = sub(e.a);
      if (!a)
        return std::nullopt;
      r = -*a;
      break;
    }
    case K::kAdd:
    case K::kSub:
    case K::kMul:
    case K::kDiv:
    case K::kPow: {
      auto a = sub(e.a);
      auto b = sub(e.b);
      if (!a || !b)
        return std::nullopt;
      if (e.kind == K::kAdd)
        r = *a + *b;
      if (e.kind == K::kSub)
        r = *a - *b;
      if (e.kind == K::kMul)
        r = *a * *b;
      if (e.kind == K::kDiv) {
        if (std::abs(*b) == 0.0)
          return std::nullopt;
        r = *a / *b;
      }
      if (e.kind == K::kPow) {
        if (std::abs(b->real()) > 1000)
          return std::nullopt;  // no astronomically large powers
        if (a->imag() == 0 && b->imag() == 0 &&
            (a->real() >= 0 || b->real() == std::round(b->real()))) {
          r = std::pow(a->real(), b->real());
        } else {
          r = std::pow(*a, *b);
        }
      }
      break;
    }
    case K::kFact: {
      auto a = sub(e.a);
      if (!a || a->imag() != 0 || a->real() < 0 || a->real() > 170 ||
          a->real() != std::round(a->real())) {
        return std::nullopt;
      }
      r = std::tgamma(a->real() + 1);
      break;
    }
    case K::kCall: {
      auto a = sub(e.a);
      if (!a)
        return std::nullopt;
      const std::string& f = e.func;
      if (f == "sqrt") {
        r = a->imag() == 0 && a->real() >= 0 ? Complex(std::sqrt(a->real())) : std::sqrt(*a);
      } else if (f == "sin") {
        r = std::sin(*a);
      } else if (f == "cos") {
        r = std::cos(*a);
      } else if (f == "tan") {
        r = std::tan(*a);
      } else if (f == "sec") {
        r = 1.0 / std::cos(*a);
      } else if (f == "csc") {
        r = 1.0 / std::sin(*a);
      } else if (f == "cot") {
        r = 1.0 / std::tan(*a);
      } else if (f == "log" || f == "ln") {
        if (std::abs(*a) == 0.0)
          return std::nullopt;
        r = std::log(*a);
      } else if (f == "exp") {
        r = std::exp(*a);
      } else if (f == "abs") {
        r = std::abs(*a);
      } else if (f == "arcsin") {
        r = std::asin(*a);
      } else if (f == "arccos") {
        r = std::acos(*a);
      } else if (f == "arctan") {
        r = std::atan(*a);
      } else {
        return std::nullopt;
      }
      break;
    }
  }
  if (!finite(r))
    return std::nullopt;
  return r;
}

std::optional<Complex> constant_value(std::string_view text) {
  auto e = parse_math(text);
  if (!e || !math_variables(**e).empty())
    return std::nullopt;
  Complex vars[128] = {};
  return eval_math(**e, vars);
}

bool numerically_equal(std::string_view a_text, std::string_view b_text, double rel_tol) {
  auto a = parse_math(a_text);
  auto b = parse_math(b_text);
  if (!a || !b)
    return false;
  std::set<char> vars = math_variables(**a);
  for (char v : math_variables(**b)) vars.insert(v);
  if (vars.empty()) {
    if (auto ea = eval_exact(**a); ea) {
      if (auto eb = eval_exact(**b); eb)
        return *ea == *eb;
    }
    Complex none[128] = {};
    auto va = eval_math(**a, none);
    auto vb = eval_math(**b, none);
    return va && vb && close(*va, *vb, rel_tol);
  }
  int defined = 0;
  for (int trial = 0; trial < 8; ++trial) {
    Complex values[128] = {};
    for (char v : vars) values[static_cast<unsigned char>(v) & 127] = sample_value(v, trial);
    auto va = eval_math(**a, values);
    auto vb = eval_math(**b, values);
    if (!va && !vb)
      continue;
    if (!va || !vb || !close(*va, *vb, rel_tol))
      return false;
    ++defined;
  }
  return defined >= 3;
}

bool proportional(const MathNode& a, const MathNode& b, double rel_tol) {
  std::set<char> vars = math_variables(a);
  for (char v : math_variables(b)) vars.insert(v);
  std::optional<Complex> ratio;
  int defined = 0;
  for (int trial = 0; trial < 8; ++trial) {
    Complex values[128] = {};
    for (char v : vars) values[static_cast<unsigned char>(v) & 127] = sample_value(v, trial);
    auto va = eval_math(a, values);
    auto vb = eval_math(b, values);
    if (!va || !vb)
      continue;
    if (std::abs(*vb) < 1e-12) {
      if (std::abs(*va) > 1e-12)
        return false;
      continue;
    }
    const Complex r = *va / *vb;
    if (!ratio) {
      if (std::abs(r) < 1e-12)
        return false;
      ratio = r;
    } else if (!close(r, *ratio, rel_tol)) {
      return false;
    }
    ++defined;
  }
  return defined >= 3;
}

}  // namespace arbor::envs::internal
