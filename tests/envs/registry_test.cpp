#include "envs/registry.h"

#include <gtest/gtest.h>

#include "envs/arith.h"

namespace arbor::envs {
namespace {

TEST(Registry, UnknownIdsListTheKnownOnes) {
  auto env = EnvRegistry::builtin().make("chess");
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), StatusCode::kNotFound);
  EXPECT_NE(env.status().message().find("unknown environment 'chess'"), std::string::npos);
  EXPECT_NE(env.status().message().find("textworld"), std::string::npos);
  EXPECT_NE(env.status().message().find("zmachine:<story file>"), std::string::npos);
}

TEST(Registry, OptionsMustBeAnObjectAndStepLimitsValid) {
  EXPECT_FALSE(EnvRegistry::builtin().make("game24", Json::array()).ok());
  EXPECT_FALSE(EnvRegistry::builtin().make("game24", Json{{"max_episode_steps", -1}}).ok());
  EXPECT_FALSE(EnvRegistry::builtin().make("game24", Json{{"max_episode_steps", "ten"}}).ok());
  EXPECT_FALSE(EnvRegistry::builtin().make("game24:1 2 3").ok());
  auto ok = EnvRegistry::builtin().make("game24:4 4 6 8");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)->spec().id, "game24:4 4 6 8");
  EXPECT_EQ((*ok)->spec().max_episode_steps, 0);
}

TEST(Registry, EveryListedEnvironmentHasADescription) {
  for (const EnvRegistration& r : EnvRegistry::builtin().list()) {
    EXPECT_FALSE(r.description.empty()) << r.name;
    EXPECT_EQ(r.usage.rfind(r.name, 0), 0u) << r.usage;
  }
}

TEST(ArithEnv, GradesAWholeSolution) {
  auto env = EnvRegistry::builtin().make("arith:2");
  ASSERT_TRUE(env.ok());
  auto r = (*env)->reset(4, Json::object());
  ASSERT_TRUE(r.ok());
  const ArithProblem p =
      (*ArithGenerator::create(ArithOptions{.difficulties = {2}})).generate(4, 0);
  EXPECT_EQ(r->info["problem_id"], p.id());
  EXPECT_EQ(r->observation.substr(0, p.question.size()), p.question);
  auto s = (*env)->step(p.solution());
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->terminated);
  EXPECT_EQ(s->reward, 1.0);
  EXPECT_EQ(s->info["step_score"], 1.0);
  EXPECT_FALSE((*env)->step(p.solution()).ok());  // one action per episode

  ASSERT_TRUE((*env)->reset(std::nullopt, Json::object()).ok());  // the next problem
  auto wrong = (*env)->step("1 + 1 = 3\nAnswer: 3");
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->reward, 0.0);
  EXPECT_EQ(wrong->info["verdict"]["steps"][0]["correct"], false);
  EXPECT_FALSE((*env)->reset(1, Json{{"difficulty", "9"}}).ok());
}

}  // namespace
}  // namespace arbor::envs
