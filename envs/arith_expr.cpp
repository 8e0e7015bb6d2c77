#include "envs/arith_expr.h"

namespace arbor::envs {
namespace {

constexpr int kMaxDepth = 200;  // nesting deeper than this is not arithmetic anyone writes

enum class Tok { kNum, kPlus, kMinus, kMul, kDiv, kOpen, kClose, kEnd };

struct Token {
  Tok kind;
  std::size_t pos;
  std::string text;
};

// '+' '-' '*' '/' and brackets, or nullptr.
const Tok* single_char_token(char c) {
  static const std::pair<char, Tok> kSingle[] = {
      {'+', Tok::kPlus},  {'-', Tok::kMinus}, {'*', Tok::kMul},   {'/', Tok::kDiv},
      {'(', Tok::kOpen},  {'[', Tok::kOpen},  {')', Tok::kClose}, {']', Tok::kClose}};
  for (const auto& [ch, tok] : kSingle) {
    if (ch == c) return &tok;
  }
  return nullptr;
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  StatusOr<std::vector<Token>> run() {
    std::vector<Token> out;
    while (true) {
      skip_space();
      if (i_ >= s_.size()) {
        out.push_back({Tok::kEnd, i_, ""});
        return out;
      }
      const std::size_t start = i_;
      const char c = s_[i_];
      if ((c >= '0' && c <= '9') || c == '.') {
        while (i_ < s_.size() && ((s_[i_] >= '0' && s_[i_] <= '9') || s_[i_] == '.')) ++i_;
        out.push_back({Tok::kNum, start, std::string(s_.substr(start, i_ - start))});
        continue;
      }
      if (const Tok* single = single_char_token(c)) {
        out.push_back({*single, start, std::string(1, c)});
        ++i_;
        continue;
      }
      if (match("\xC3\x97") || match("\xC2\xB7") || match("\xE2\x8B\x85") || match("\\times") ||
          match("\\cdot")) {
        out.push_back({Tok::kMul, start, "*"});
        continue;
      }
      if (match("\xC3\xB7") || match("\\div")) {
        out.push_back({Tok::kDiv, start, "/"});
        continue;
      }
      if (match("\xE2\x88\x92")) {  // U+2212 minus sign
        out.push_back({Tok::kMinus, start, "-"});
        continue;
      }
      // A lone x or X between two operands means times ("3 x 4").
      if ((c == 'x' || c == 'X') && !out.empty() &&
          (out.back().kind == Tok::kNum || out.back().kind == Tok::kClose)) {
        std::size_t j = i_ + 1;
        while (j < s_.size() && s_[j] == ' ') ++j;
        if (j < s_.size() && ((s_[j] >= '0' && s_[j] <= '9') || s_[j] == '(')) {
          out.push_back({Tok::kMul, start, "*"});
          ++i_;
          continue;
        }
      }
      return Status::invalid_argument("unexpected '" + std::string(1, c) + "' at column " +
                                      std::to_string(start + 1) + " of '" + std::string(s_) + "'");
    }
  }

 private:
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool match(std::string_view w) {
    if (s_.substr(i_, w.size()) == w) {
      i_ += w.size();
      return true;
    }
    return false;
  }
  std::string_view s_;
  std::size_t i_ = 0;
};

class Parser {
 public:
  Parser(std::string_view src, std::vector<Token> toks) : src_(src), toks_(std::move(toks)) {}

  StatusOr<std::unique_ptr<ArithExpr>> parse_all() {
    ARBOR_ASSIGN_OR_RETURN(auto e, expr(0));
    if (peek().kind != Tok::kEnd)
      return error("unexpected '" + peek().text + "'");
    return e;
  }

 private:
  const Token& peek() const { return toks_[k_]; }
  Status error(const std::string& what) const {
    return Status::invalid_argument(what + " at column " + std::to_string(peek().pos + 1) +
                                    " of '" + std::string(src_) + "'");
  }
  static std::unique_ptr<ArithExpr> binary(ArithExpr::Kind kind, std::unique_ptr<ArithExpr> a,
                                           std::unique_ptr<ArithExpr> b) {
    auto e = std::make_unique<ArithExpr>();
    e->kind = kind;
    e->lhs = std::move(a);
    e->rhs = std::move(b);
    return e;
  }

  StatusOr<std::unique_ptr<ArithExpr>> expr(int depth) {
    ARBOR_ASSIGN_OR_RETURN(auto lhs, term(depth));
    while (peek().kind == Tok::kPlus || peek().kind == Tok::kMinus) {
      const auto kind = peek().kind == Tok::kPlus ? ArithExpr::Kind::kAdd : ArithExpr::Kind::kSub;
      ++k_;
      ARBOR_ASSIGN_OR_RETURN(auto rhs, term(depth));
      lhs = binary(kind, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  StatusOr<std::unique_ptr<ArithExpr>> term(int depth) {
    ARBOR_ASSIGN_OR_RETURN(auto lhs, unary(depth));
    while (peek().kind == Tok::kMul || peek().kind == Tok::kDiv) {
      const auto kind = peek().kind == Tok::kMul ? ArithExpr::Kind::kMul : ArithExpr::Kind::kDiv;
      ++k_;
      ARBOR_ASSIGN_OR_RETURN(auto rhs, unary(depth));
      lhs = binary(kind, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  StatusOr<std::unique_ptr<ArithExpr>> unary(int depth) {
    if (depth > kMaxDepth)
      return error("expression nested too deeply");
    if (peek().kind == Tok::kMinus) {
      ++k_;
      ARBOR_ASSIGN_OR_RETURN(auto inner, unary(depth + 1));
      auto e = std::make_unique<ArithExpr>();
      e->kind = ArithExpr::Kind::kNeg;
      e->lhs = std::move(inner);
      return e;
    }
    if (peek().kind == Tok::kPlus) {
      ++k_;
      return unary(depth + 1);
    }
    return primary(depth);
  }

  StatusOr<std::unique_ptr<ArithExpr>> primary(int depth) {
    const Token& t = peek();
    if (t.kind == Tok::kNum) {
      auto v = Rational::parse(t.text);
      if (!v)
        return error("bad number '" + t.text + "'");
      auto e = std::make_unique<ArithExpr>();
      e->kind = ArithExpr::Kind::kNumber;
      e->value = *v;
      e->text = t.text;
      ++k_;
      return e;
    }
    if (t.kind == Tok::kOpen) {
      ++k_;
      ARBOR_ASSIGN_OR_RETURN(auto inner, expr(depth + 1));
      if (peek().kind != Tok::kClose)
        return error("missing ')'");
      ++k_;
      return inner;
    }
    if (t.kind == Tok::kEnd)
      return error("expression ends early");
    return error("expected a number or '(' but found '" + t.text + "'");
  }

  std::string_view src_;
  std::vector<Token> toks_;
  std::size_t k_ = 0;
};

}  // namespace

StatusOr<std::unique_ptr<ArithExpr>> parse_arith(std::string_view text) {
  Lexer lexer(text);
  ARBOR_ASSIGN_OR_RETURN(std::vector<Token> toks, lexer.run());
  Parser parser(text, std::move(toks));
  return parser.parse_all();
}

StatusOr<Rational> eval_arith(const ArithExpr& e) {
  if (e.kind == ArithExpr::Kind::kNumber)
    return e.value;
  ARBOR_ASSIGN_OR_RETURN(Rational a, eval_arith(*e.lhs));
  if (e.kind == ArithExpr::Kind::kNeg) {
    auto r = Rational(0).sub(a);
    if (!r)
      return Status::out_of_range("number too large");
    return *r;
  }
  ARBOR_ASSIGN_OR_RETURN(Rational b, eval_arith(*e.rhs));
  std::optional<Rational> r;
  switch (e.kind) {
    case ArithExpr::Kind::kAdd:
      r = a.add(b);
      break;
    case ArithExpr::Kind::kSub:
      r = a.sub(b);
      break;
    case ArithExpr::Kind::kMul:
      r = a.mul(b);
      break;
    case ArithExpr::Kind::kDiv:
      if (b.num() == 0)
        return Status::invalid_argument("division by zero");
      r = a.div(b);
      break;
    default:
      break;
  }
  if (!r)
    return Status::out_of_range("number too large");
  return *r;
}

namespace {
void collect(const ArithExpr& e, std::vector<Rational>& out) {
  if (e.kind == ArithExpr::Kind::kNumber) {
    out.push_back(e.value);
    return;
  }
  if (e.lhs)
    collect(*e.lhs, out);
  if (e.rhs)
    collect(*e.rhs, out);
}
}  // namespace

std::vector<Rational> arith_literals(const ArithExpr& e) {
  std::vector<Rational> out;
  collect(e, out);
  return out;
}

int arith_op_count(const ArithExpr& e) {
  if (e.kind == ArithExpr::Kind::kNumber)
    return 0;
  if (e.kind == ArithExpr::Kind::kNeg)
    return arith_op_count(*e.lhs);
  return 1 + arith_op_count(*e.lhs) + arith_op_count(*e.rhs);
}

}  // namespace arbor::envs
