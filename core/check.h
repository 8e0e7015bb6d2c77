// ARBOR_CHECK: programming errors (broken invariants, violated REQUIRES:) abort with the file,
// line and expression. Always on, also in Release builds. Expected failures use Status instead.
//
//   ARBOR_CHECK(n_tokens > 0) << "empty batch for sequence " << seq;
//   ARBOR_CHECK_EQ(a.size(), b.size());
#pragma once

#include <sstream>

namespace arbor::internal_check {

// Collects the streamed message and aborts in its destructor.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* expr);
  [[noreturn]] ~CheckFailure();
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;

  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Lets `cond ? (void)0 : Voidify() & stream << ...` type-check as void.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace arbor::internal_check

#define ARBOR_CHECK(cond)                            \
  (cond) ? (void)0                                   \
         : ::arbor::internal_check::Voidify() &      \
               ::arbor::internal_check::CheckFailure(__FILE__, __LINE__, #cond).stream()

#define ARBOR_CHECK_OP(a, op, b) \
  ARBOR_CHECK((a)op(b)) << "(" << (a) << " vs " << (b) << ") "
#define ARBOR_CHECK_EQ(a, b) ARBOR_CHECK_OP(a, ==, b)
#define ARBOR_CHECK_NE(a, b) ARBOR_CHECK_OP(a, !=, b)
#define ARBOR_CHECK_LT(a, b) ARBOR_CHECK_OP(a, <, b)
#define ARBOR_CHECK_LE(a, b) ARBOR_CHECK_OP(a, <=, b)
#define ARBOR_CHECK_GT(a, b) ARBOR_CHECK_OP(a, >, b)
#define ARBOR_CHECK_GE(a, b) ARBOR_CHECK_OP(a, >=, b)
