// Rational: an exact fraction of 64-bit integers, always reduced with a positive denominator.
// Arithmetic that would overflow (or divide by zero) returns nullopt instead of a wrong value,
// so checkers built on it (Game of 24, the arithmetic step checker) never accept a result by
// accident of rounding.
//
// Thread safety: a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace arbor::envs {

class Rational {
 public:
  Rational() = default;
  explicit Rational(std::int64_t n) : num_(n) {}
  // nullopt when den == 0 or the reduced value does not fit.
  static std::optional<Rational> make(std::int64_t num, std::int64_t den);
  // Parses "37", "-4", "3/4", "2.5", "0.125" (exactly; a decimal is num / 10^k).
  static std::optional<Rational> parse(std::string_view text);

  std::int64_t num() const { return num_; }
  std::int64_t den() const { return den_; }
  bool is_integer() const { return den_ == 1; }
  double to_double() const { return static_cast<double>(num_) / static_cast<double>(den_); }
  // "37", "-4", "3/4".
  std::string to_string() const;

  friend bool operator==(const Rational& a, const Rational& b) {
    return a.num_ == b.num_ && a.den_ == b.den_;
  }
  friend bool operator<(const Rational& a, const Rational& b);

  std::optional<Rational> add(const Rational& b) const;
  std::optional<Rational> sub(const Rational& b) const;
  std::optional<Rational> mul(const Rational& b) const;
  std::optional<Rational> div(const Rational& b) const;  // nullopt when b == 0
  // Integer powers with |exp| <= 64; nullopt on overflow or 0^negative.
  std::optional<Rational> pow(std::int64_t exp) const;

 private:
  friend struct RationalAccess;
  std::int64_t num_ = 0;
  std::int64_t den_ = 1;
};

}  // namespace arbor::envs
