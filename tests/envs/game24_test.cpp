#include "envs/game24.h"

#include <gtest/gtest.h>

namespace arbor::envs {
namespace {

TEST(Game24, AcceptsExactRationalSolution) {
  const Game24Verdict v = check_game24({3, 3, 8, 8}, "8 / (3 - 8 / 3)");
  EXPECT_TRUE(v.correct) << v.reason;
}

}  // namespace
}  // namespace arbor::envs
