#include "envs/game24.h"

#include <gtest/gtest.h>

#include "envs/datasets.h"
#include "envs/rational.h"

namespace arbor::envs {
namespace {

TEST(Rational, ExactArithmeticAndOverflow) {
  const Rational third = *Rational::make(1, 3);
  EXPECT_EQ(third.add(third)->add(third), Rational(1));
  EXPECT_EQ(Rational::parse("2.50")->to_string(), "5/2");
  EXPECT_EQ(Rational::parse("-6/4")->to_string(), "-3/2");
  EXPECT_FALSE(Rational::parse("1/0"));
  EXPECT_FALSE(Rational::parse("1/2/3"));
  EXPECT_FALSE(Rational(1).div(Rational(0)));
  const Rational big(std::int64_t{1} << 62);
  EXPECT_FALSE(big.mul(Rational(4)));  // would overflow: no wrong answer
  EXPECT_EQ(Rational(2).pow(-2)->to_string(), "1/4");
}

TEST(Game24Checker, AcceptsCorrectExpressions) {
  EXPECT_TRUE(check_game24({3, 3, 8, 8}, "8 / (3 - 8 / 3)").correct);
  EXPECT_TRUE(check_game24({4, 4, 6, 8}, "(6 - 4) * (4 + 8)").correct);
  EXPECT_TRUE(check_game24({4, 4, 6, 8}, "Steps...\nAnswer: (6 - 4) * (4 + 8) = 24").correct);
  EXPECT_TRUE(check_game24({1, 1, 4, 6}, "6 × 4 × 1 × 1").correct);
  EXPECT_TRUE(check_game24({1, 1, 4, 6}, "[(1 + 1) + 6] − 4 + ...").correct == false);
  EXPECT_TRUE(check_game24({1, 1, 4, 6}, "(1 + 1) × 6 ÷ 1 × 4 / 2").correct == false);
  EXPECT_TRUE(check_game24({1, 1, 4, 6}, "[1 + 1 + 4] * 4").correct == false);
}

TEST(Game24Checker, RejectsWithReasons) {
  Game24Verdict v = check_game24({4, 4, 6, 8}, "(6 - 4) * (4 + 8) + 0");
  EXPECT_FALSE(v.correct);
  EXPECT_NE(v.reason.find("exactly once"), std::string::npos);
  v = check_game24({4, 4, 6, 8}, "6 * 4");  // numbers missing
  EXPECT_FALSE(v.correct);
  v = check_game24({4, 4, 6, 8}, "(6 + 4) * (4 + 8)");
  EXPECT_FALSE(v.correct);
  EXPECT_EQ(v.value->to_string(), "120");
  EXPECT_NE(v.reason.find("evaluates to 120"), std::string::npos);
  v = check_game24({3, 3, 8, 8}, "8 / (3 - 3) * 8");
  EXPECT_FALSE(v.correct);
  EXPECT_NE(v.reason.find("division by zero"), std::string::npos);
  v = check_game24({4, 4, 6, 8}, "twenty-four");
  EXPECT_FALSE(v.correct);
  // A near miss in floating point is not 24.
  EXPECT_FALSE(check_game24({1, 3, 4, 6}, "6 / (1 - 3 / 4) - 0.000001").correct);
}

TEST(Game24Solver, SolvesEveryShippedPuzzleAndTheCheckerAgrees) {
  auto data = load_game24(ARBOR_SOURCE_DIR "/datasets/game24/24.csv");
  ASSERT_TRUE(data.ok());
  int solved = 0;
  for (const Problem& p : data->problems) {
    const std::vector<int> nums = p.metadata["numbers"].get<std::vector<int>>();
    auto sol = solve_game24(nums);
    if (!sol)
      continue;
    ++solved;
    const Game24Verdict v = check_game24(nums, *sol);
    ASSERT_TRUE(v.correct) << p.question << " -> " << *sol << ": " << v.reason;
  }
  EXPECT_EQ(solved, 1362);
  EXPECT_FALSE(solve_game24({1, 1, 1, 1}));
}

TEST(Game24Env, PlaysMovesToAWin) {
  Game24Env env("game24", {4, 4, 6, 8});
  auto r = env.reset(std::nullopt, Json::object());
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->observation.find("Numbers left: 4 4 6 8"), std::string::npos);
  const auto actions = r->info[kInfoAdmissibleActions].get<std::vector<std::string>>();
  EXPECT_NE(std::find(actions.begin(), actions.end(), "6 - 4 = 2"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "4 / 6 = (2/3)"), actions.end());

  auto s = env.step("6 - 4 = 2");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->terminated);
  EXPECT_EQ(s->info["numbers_left"], Json::array({"4", "8", "2"}));
  s = env.step("4 + 8");  // "= c" may be left out
  ASSERT_TRUE(s.ok());
  s = env.step("2 * 12 = 24");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->terminated);
  EXPECT_EQ(s->reward, 1.0);
  EXPECT_TRUE(s->info[kInfoWon].get<bool>());
  EXPECT_FALSE(env.step("24 + 0").ok());  // after the end
}

TEST(Game24Env, BadMovesAreInfoNotErrors) {
  Game24Env env("game24", {4, 4, 6, 8});
  ASSERT_TRUE(env.reset(std::nullopt, Json::object()).ok());
  for (const char* bad : {"5 + 4 = 9", "6 - 4 = 3", "hello", "6 / 0", ""}) {
    auto s = env.step(bad);
    ASSERT_TRUE(s.ok()) << bad;
    EXPECT_TRUE(s->info.contains(kInfoLastActionError)) << bad;
    EXPECT_FALSE(s->terminated);
    EXPECT_EQ(s->info["numbers_left"], Json::array({"4", "4", "6", "8"})) << bad;
  }
}

TEST(Game24Env, FractionsAndWholeExpressionsAndSnapshots) {
  Game24Env env("game24", {3, 3, 8, 8});
  ASSERT_TRUE(env.reset(std::nullopt, Json::object()).ok());
  auto saved = env.save();
  ASSERT_TRUE(saved.ok());
  ASSERT_TRUE(env.step("8 / 3 = (8/3)").ok());
  auto s = env.step("3 - (8/3) = (1/3)");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->info.contains(kInfoLastActionError)) << s->observation;
  s = env.step("8 / (1/3)");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->info[kInfoWon].get<bool>());
  // Back to the start: one whole expression is one action.
  ASSERT_TRUE(env.restore(*saved).ok());
  s = env.step("8 / (3 - 8 / 3)");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->terminated);
  EXPECT_EQ(s->reward, 1.0);
}

TEST(Game24Env, SeededPuzzlesAreSolvableAndRepeatable) {
  Game24Env a("game24", {}), b("game24", {});
  auto ra = a.reset(5, Json::object());
  auto rb = b.reset(5, Json::object());
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->info["puzzle"], rb->info["puzzle"]);
  EXPECT_TRUE(solve_game24(ra->info["puzzle"].get<std::vector<int>>()).has_value());
  auto rc = a.reset(std::nullopt, Json{{"puzzle", "1 2 3 4"}});
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(rc->info["puzzle"], Json::array({1, 2, 3, 4}));
  EXPECT_FALSE(a.reset(std::nullopt, Json{{"puzzle", "1 2 3"}}).ok());
}

}  // namespace
}  // namespace arbor::envs
