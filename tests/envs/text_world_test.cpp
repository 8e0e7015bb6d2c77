#include "envs/text_world.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "envs/internal/text_world_gen.h"
#include "envs/registry.h"

namespace arbor::envs {
namespace {

TextWorldEnv make_env(const char* size) {
  return TextWorldEnv(std::string("textworld:") + size, *TextWorldConfig::preset(size));
}

std::vector<std::string> admissible(const StepResult& r) {
  return r.info.value(kInfoAdmissibleActions, std::vector<std::string>{});
}

TEST(TextWorld, SameSeedSameWorld) {
  TextWorldEnv a = make_env("medium"), b = make_env("medium");
  auto ra = a.reset(42, Json::object());
  auto rb = b.reset(42, Json::object());
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->observation, rb->observation);
  EXPECT_EQ(a.solve(), b.solve());
  auto rc = b.reset(43, Json::object());
  ASSERT_TRUE(rc.ok());
  EXPECT_NE(ra->observation + a.solve().front(), rc->observation + b.solve().front());
}

// Every generated world of every size is solvable, and the solver's plan, played through
// step() one admissible action at a time, wins with reward 1 on its last step.
TEST(TextWorld, SolverPlansWinForEverySize) {
  for (const char* size : {"trivial", "easy", "medium", "hard"}) {
    TextWorldEnv env = make_env(size);
    for (std::uint64_t seed = 0; seed < 60; ++seed) {
      auto reset = env.reset(seed, Json::object());
      ASSERT_TRUE(reset.ok()) << reset.status().to_string();
      const std::vector<std::string> plan = env.solve();
      ASSERT_FALSE(plan.empty()) << size << " seed " << seed;
      std::vector<std::string> allowed =
          reset->info[kInfoAdmissibleActions].get<std::vector<std::string>>();
      for (std::size_t k = 0; k < plan.size(); ++k) {
        ASSERT_NE(std::find(allowed.begin(), allowed.end(), plan[k]), allowed.end())
            << size << " seed " << seed << ": '" << plan[k] << "' not admissible";
        auto r = env.step(plan[k]);
        ASSERT_TRUE(r.ok());
        EXPECT_FALSE(r->info.contains(kInfoLastActionError)) << plan[k];
        const bool last = k + 1 == plan.size();
        ASSERT_EQ(r->terminated, last) << size << " seed " << seed << " step " << k;
        EXPECT_EQ(r->reward, last ? 1.0 : 0.0);
        if (last) {
          EXPECT_TRUE(r->info[kInfoWon].get<bool>());
          EXPECT_EQ(r->info[kInfoScore], 1);
        }
        allowed = admissible(*r);
      }
    }
  }
}

TEST(TextWorld, HardWorldsNeedTheirKeys) {
  // With three locked doors and a locked container, most hard plans unlock something.
  TextWorldEnv env = make_env("hard");
  int plans_with_unlock = 0;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    ASSERT_TRUE(env.reset(seed, Json::object()).ok());
    const auto plan = env.solve();
    if (std::any_of(plan.begin(), plan.end(),
                    [](const std::string& a) { return a.rfind("unlock ", 0) == 0; })) {
      ++plans_with_unlock;
    }
  }
  EXPECT_GT(plans_with_unlock, 20);
}

// The pruned search is optimal: a search over every valid action (closing doors, dropping,
// picking up distractors) never finds a shorter plan.
TEST(TextWorld, PrunedSolverIsOptimal) {
  for (const char* size : {"trivial", "easy", "medium"}) {
    const TextWorldConfig config = *TextWorldConfig::preset(size);
    // The unpruned search is slow on medium worlds; a few suffice there.
    const std::uint64_t seeds = std::string(size) == "medium" ? 8 : 25;
    for (std::uint64_t seed = 0; seed < seeds; ++seed) {
      const internal::TwWorld w = internal::tw_generate(config, seed);
      const auto pruned = internal::tw_solve(w, w.initial, true);
      const auto full = internal::tw_solve(w, w.initial, false);
      ASSERT_TRUE(pruned && full) << size << " seed " << seed;
      EXPECT_EQ(pruned->size(), full->size()) << size << " seed " << seed;
    }
  }
}

TEST(TextWorld, BadCommandsChangeNothing) {
  TextWorldEnv env = make_env("medium");
  ASSERT_TRUE(env.reset(7, Json::object()).ok());
  const std::string before = *env.save();
  for (const char* cmd : {"dance", "go up", "open the moon", "take unicorn", "unlock it", ""}) {
    auto r = env.step(cmd);
    ASSERT_TRUE(r.ok()) << cmd;
    EXPECT_TRUE(r->info.contains(kInfoLastActionError)) << cmd;
    EXPECT_FALSE(r->terminated);
    EXPECT_EQ(r->reward, 0.0);
  }
  // Only the move counter moved.
  const std::string after = *env.save();
  ASSERT_EQ(before.size(), after.size());
  EXPECT_EQ(before.substr(0, 18), after.substr(0, 18));
  EXPECT_EQ(before.substr(22), after.substr(22));
}

TEST(TextWorld, AliasesAndArticles) {
  TextWorldEnv env = make_env("trivial");
  auto r = env.reset(1, Json::object());
  ASSERT_TRUE(r.ok());
  const std::string take = env.solve().at(0);  // "take <item>"
  auto s = env.step("Pick up the " + take.substr(5));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->terminated) << s->observation;
}

TEST(TextWorld, SnapshotsRestoreExactly) {
  TextWorldEnv env = make_env("hard");
  auto reset = env.reset(5, Json::object());
  ASSERT_TRUE(reset.ok());
  const std::vector<std::string> plan = env.solve();
  ASSERT_GE(plan.size(), 4u);
  for (std::size_t k = 0; k < plan.size() / 2; ++k) ASSERT_TRUE(env.step(plan[k]).ok());
  const std::string snap = *env.save();
  const auto mid_actions = *env.admissible_actions();
  const auto mid_plan = env.solve();
  for (std::size_t k = plan.size() / 2; k < plan.size(); ++k) ASSERT_TRUE(env.step(plan[k]).ok());
  EXPECT_FALSE(env.step("look").ok());  // the episode is over

  ASSERT_TRUE(env.restore(snap).ok());
  EXPECT_EQ(*env.admissible_actions(), mid_actions);
  EXPECT_EQ(env.solve(), mid_plan);
  // A fresh environment (another world loaded) restores the same state too.
  TextWorldEnv other = make_env("hard");
  ASSERT_TRUE(other.reset(99, Json::object()).ok());
  ASSERT_TRUE(other.restore(snap).ok());
  EXPECT_EQ(*other.admissible_actions(), mid_actions);
  StepResult last;
  for (const std::string& a : mid_plan) last = *other.step(a);
  EXPECT_TRUE(last.terminated);
  EXPECT_EQ(last.reward, 1.0);

  EXPECT_FALSE(env.restore("garbage").ok());
  EXPECT_FALSE(env.restore(snap.substr(0, snap.size() - 1)).ok());
}

TEST(TextWorld, OptionsAndRegistry) {
  const EnvRegistry& reg = EnvRegistry::builtin();
  auto env = reg.make("textworld:hard", Json{{"rooms", 12}, {"max_episode_steps", 3}});
  ASSERT_TRUE(env.ok()) << env.status().to_string();
  ASSERT_TRUE((*env)->reset(1, Json{{"rooms", 12}}).ok());
  EXPECT_FALSE((*env)->step("look")->truncated);
  EXPECT_FALSE((*env)->step("look")->truncated);
  auto third = (*env)->step("look");
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->truncated);
  EXPECT_EQ(third->info["steps"], 3);
  EXPECT_FALSE((*env)->step("look").ok());

  auto bad = reg.make("textworld", Json{{"rooms", 50}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("rooms"), std::string::npos);
  EXPECT_FALSE(reg.make("textworld:gigantic").ok());
  EXPECT_FALSE(reg.make("textworld", Json{{"locked_doors", 5}, {"rooms", 3}}).ok());
}

}  // namespace
}  // namespace arbor::envs
