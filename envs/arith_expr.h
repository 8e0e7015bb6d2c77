// Exact arithmetic expressions: the parser behind the Game of 24 checker and the arithmetic step
// checker. An expression is numbers (integers or decimals), the four operations (+ - * / and
// the signs × · ÷ − as well as a lone x between numbers), parentheses or brackets, and unary
// minus. It is evaluated with Rational, so 8 / (3 - 8 / 3) is exactly 24.
//
// Thread safety: values and free functions.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "envs/rational.h"

namespace arbor::envs {

struct ArithExpr {
  enum class Kind { kNumber, kAdd, kSub, kMul, kDiv, kNeg };
  Kind kind = Kind::kNumber;
  Rational value;                  // kNumber: the literal
  std::string text;                // kNumber: as written ("48", "2.5")
  std::unique_ptr<ArithExpr> lhs;  // operands; kNeg uses lhs only
  std::unique_ptr<ArithExpr> rhs;
};

// Parses the whole of `text`; kInvalidArgument naming the offending character otherwise.
StatusOr<std::unique_ptr<ArithExpr>> parse_arith(std::string_view text);

// The exact value; kInvalidArgument for a division by zero, kOutOfRange on overflow.
StatusOr<Rational> eval_arith(const ArithExpr& e);

// The literals in left-to-right order.
std::vector<Rational> arith_literals(const ArithExpr& e);

// The number of binary operations.
int arith_op_count(const ArithExpr& e);

}  // namespace arbor::envs
