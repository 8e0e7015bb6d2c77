// A small expression language for answer checking: the stand-in for sympy in the graders.
//
// latex_to_plain() turns LaTeX answers into plain text ("\frac{1}{2}\sqrt{3}" ->
// "(1)/(2)sqrt(3)"); parse_math() reads plain text with implicit multiplication ("2x",
// "3sqrt(2)"), ^ and ** powers, functions (sqrt, sin, cos, tan, sec, csc, cot, log, ln, exp,
// abs), the constant pi and single-letter variables; numerically_equal() evaluates two
// expressions in complex double precision at the same random points and compares them. This
// decides "simplify(a - b) == 0" for the answers graders meet (numbers, radicals, polynomials,
// rational functions) without a computer algebra system; it can call two different functions
// equal only if they agree at every sampled point to the tolerance.
#pragma once

#include <complex>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace arbor::envs::internal {

std::string latex_to_plain(std::string_view latex);

struct MathNode;
using MathNodePtr = std::shared_ptr<const MathNode>;

struct MathNode {
  enum class Kind { kNumber, kVar, kPi, kInf, kAdd, kSub, kMul, kDiv, kPow, kNeg, kCall, kFact };
  Kind kind = Kind::kNumber;
  double number = 0.0;
  char var = 0;
  std::string func;  // kCall
  MathNodePtr a, b;
};

// nullopt when `text` is not an expression of this language.
std::optional<MathNodePtr> parse_math(std::string_view text);

// The variables an expression uses.
std::set<char> math_variables(const MathNode& e);

// The value at `vars` (indexed by letter); nullopt on an undefined value.
std::optional<std::complex<double>> eval_math(const MathNode& e,
                                              const std::complex<double>* vars /*[128]*/);

// True when a and b agree at several points within `rel_tol` (relative to the larger
// magnitude, absolute below 1). Points where both are undefined are skipped; at least three
// must be defined. False when either does not parse.
bool numerically_equal(std::string_view a, std::string_view b, double rel_tol);

// True when a = 0 and b = 0 describe the same set through a constant factor: the equations
// "2x+4y-3=0" and "y=-x/2+3/4" pass as (lhs - rhs) of one is a nonzero multiple of the other's.
bool proportional(const MathNode& a, const MathNode& b, double rel_tol);

// Evaluates a variable-free expression; nullopt when it has variables or is undefined.
std::optional<std::complex<double>> constant_value(std::string_view text);

}  // namespace arbor::envs::internal
