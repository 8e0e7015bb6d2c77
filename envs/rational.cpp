#include "envs/rational.h"

#include <limits>

namespace arbor::envs {

__extension__ typedef __int128 Wide;  // products of two int64 never overflow it

struct RationalAccess {
  static std::optional<Rational> from_wide(Wide num, Wide den);
};

namespace {

std::optional<Rational> from_wide(Wide num, Wide den) {
  return RationalAccess::from_wide(num, den);
}

Wide gcd128(Wide a, Wide b) {
  if (a < 0)
    a = -a;
  if (b < 0)
    b = -b;
  while (b != 0) {
    const Wide t = a % b;
    a = b;
    b = t;
  }
  return a;
}

bool fits64(Wide v) {
  return v >= std::numeric_limits<std::int64_t>::min() &&
         v <= std::numeric_limits<std::int64_t>::max();
}

}  // namespace

std::optional<Rational> RationalAccess::from_wide(Wide num, Wide den) {
  if (den == 0)
    return std::nullopt;
  if (den < 0) {
    num = -num;
    den = -den;
  }
  const Wide g = gcd128(num, den);
  if (g > 1) {
    num /= g;
    den /= g;
  }
  if (!fits64(num) || !fits64(den))
    return std::nullopt;
  Rational r;
  r.num_ = static_cast<std::int64_t>(num);
  r.den_ = static_cast<std::int64_t>(den);
  return r;
}

std::optional<Rational> Rational::make(std::int64_t num, std::int64_t den) {
  return from_wide(num, den);
}

std::optional<Rational> Rational::parse(std::string_view t) {
  if (t.empty())
    return std::nullopt;
  bool neg = false;
  std::size_t i = 0;
  if (t[0] == '-' || t[0] == '+') {
    neg = t[0] == '-';
    i = 1;
  }
  if (const auto slash = t.find('/'); slash != std::string_view::npos) {
    auto a = parse(t.substr(i, slash - i));
    auto b = parse(t.substr(slash + 1));
    if (!a || !b || t.find('/', slash + 1) != std::string_view::npos ||
        t.substr(slash + 1).empty() || t[slash + 1] == '-' || t[slash + 1] == '+') {
      return std::nullopt;
    }
    auto q = a->div(*b);
    if (!q)
      return std::nullopt;
    return neg ? Rational(0).sub(*q) : q;
  }
  Wide num = 0;
  Wide den = 1;
  bool digits = false;
  bool point = false;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    if (c >= '0' && c <= '9') {
      num = num * 10 + (c - '0');
      if (point)
        den *= 10;
      digits = true;
      if (num > (static_cast<Wide>(1) << 100) || den > (static_cast<Wide>(1) << 100)) {
        return std::nullopt;
      }
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits)
    return std::nullopt;
  return from_wide(neg ? -num : num, den);
}

std::string Rational::to_string() const {
  if (den_ == 1)
    return std::to_string(num_);
  return std::to_string(num_) + "/" + std::to_string(den_);
}

bool operator<(const Rational& a, const Rational& b) {
  return static_cast<Wide>(a.num_) * b.den_ < static_cast<Wide>(b.num_) * a.den_;
}

std::optional<Rational> Rational::add(const Rational& b) const {
  return from_wide(static_cast<Wide>(num_) * b.den_ + static_cast<Wide>(b.num_) * den_,
                   static_cast<Wide>(den_) * b.den_);
}

std::optional<Rational> Rational::sub(const Rational& b) const {
  return from_wide(static_cast<Wide>(num_) * b.den_ - static_cast<Wide>(b.num_) * den_,
                   static_cast<Wide>(den_) * b.den_);
}

std::optional<Rational> Rational::mul(const Rational& b) const {
  return from_wide(static_cast<Wide>(num_) * b.num_, static_cast<Wide>(den_) * b.den_);
}

std::optional<Rational> Rational::div(const Rational& b) const {
  if (b.num_ == 0)
    return std::nullopt;
  return from_wide(static_cast<Wide>(num_) * b.den_, static_cast<Wide>(den_) * b.num_);
}

std::optional<Rational> Rational::pow(std::int64_t exp) const {
  if (exp > 64 || exp < -64)
    return std::nullopt;
  Rational base = *this;
  if (exp < 0) {
    auto inv = Rational(1).div(base);
    if (!inv)
      return std::nullopt;
    base = *inv;
    exp = -exp;
  }
  Rational result(1);
  for (std::int64_t k = 0; k < exp; ++k) {
    auto next = result.mul(base);
    if (!next)
      return std::nullopt;
    result = *next;
  }
  return result;
}

}  // namespace arbor::envs
