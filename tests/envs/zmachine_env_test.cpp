#include "envs/zmachine_env.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/file.h"
#include "envs/registry.h"

namespace arbor::envs {
namespace {

const std::string kStory = ARBOR_SOURCE_DIR "/tests/data/textworld/tw-rewardsSparse_goalBrief.z8";

// The game's walkthrough (tests/data/textworld/SOURCE.md).
const std::vector<std::string> kWalkthrough = {"open chest drawer",
                                               "take old key from chest drawer",
                                               "unlock wooden door with old key",
                                               "open wooden door",
                                               "go east",
                                               "open screen door",
                                               "go east",
                                               "go south",
                                               "take carrot",
                                               "go north",
                                               "go west",
                                               "put carrot on stove"};

#define SKIP_WITHOUT_DFROTZ() \
  if (!find_dfrotz().ok())    \
  GTEST_SKIP() << find_dfrotz().status().message()

TEST(ZMachine, WalkthroughScoresOneOutOfOne) {
  SKIP_WITHOUT_DFROTZ();
  auto env = EnvRegistry::builtin().make("zmachine:" + kStory);
  ASSERT_TRUE(env.ok()) << env.status().to_string();
  auto r = (*env)->reset(1, Json::object());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_NE(r->observation.find("It's only missing a grilled carrot"), std::string::npos);
  EXPECT_NE(r->observation.find("You are in a bedroom"), std::string::npos);
  EXPECT_EQ(r->observation.back(), '.');  // the prompt was removed
  EXPECT_EQ(r->info[kInfoMaxScore], 1);
  EXPECT_EQ(r->info[kInfoScore], 0);
  double total = 0;
  StepResult last;
  for (std::size_t k = 0; k < kWalkthrough.size(); ++k) {
    auto s = (*env)->step(kWalkthrough[k]);
    ASSERT_TRUE(s.ok()) << kWalkthrough[k] << ": " << s.status().to_string();
    total += s->reward;
    EXPECT_EQ(s->terminated, k + 1 == kWalkthrough.size()) << kWalkthrough[k];
    last = *s;
  }
  EXPECT_EQ(total, 1.0);
  EXPECT_EQ(last.info[kInfoScore], 1);
  EXPECT_EQ(last.info[kInfoMaxScore], 1);
  EXPECT_EQ(last.info[kInfoMoves], 13);
  EXPECT_TRUE(last.info[kInfoWon].get<bool>());
  EXPECT_NE(last.observation.find("You scored 1 out of a possible 1"), std::string::npos);
  EXPECT_FALSE((*env)->step("look").ok());  // over: reset to play again
}

TEST(ZMachine, SaveAndRestoreBranch) {
  SKIP_WITHOUT_DFROTZ();
  auto env = EnvRegistry::builtin().make("zmachine:" + kStory);
  ASSERT_TRUE(env.ok());
  ASSERT_TRUE((*env)->reset(1, Json::object()).ok());
  ASSERT_TRUE((*env)->step("open chest drawer").ok());
  // The agent cannot reach the interpreter's own file commands.
  for (const char* meta : {"save", "RESTORE", "quit", "script"}) {
    auto m = (*env)->step(meta);
    ASSERT_TRUE(m.ok()) << meta;
    EXPECT_TRUE(m->info.contains(kInfoLastActionError)) << meta;
  }
  auto snap = (*env)->save();
  ASSERT_TRUE(snap.ok()) << snap.status().to_string();
  ASSERT_TRUE((*env)->step("take old key from chest drawer").ok());
  auto inv = (*env)->step("inventory");
  ASSERT_TRUE(inv.ok());
  EXPECT_NE(inv->observation.find("old key"), std::string::npos);

  ASSERT_TRUE((*env)->restore(*snap).ok());
  inv = (*env)->step("inventory");
  ASSERT_TRUE(inv.ok());
  EXPECT_NE(inv->observation.find("carrying nothing"), std::string::npos) << inv->observation;
  // The other branch can still win.
  StepResult last;
  for (std::size_t k = 1; k < kWalkthrough.size(); ++k) last = *(*env)->step(kWalkthrough[k]);
  EXPECT_TRUE(last.terminated);
  EXPECT_EQ(last.info[kInfoScore], 1);
  EXPECT_FALSE((*env)->restore("nonsense").ok());
}

TEST(ZMachine, RejectsFilesThatAreNotStories) {
  auto missing = EnvRegistry::builtin().make("zmachine:/no/such/story.z5");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  const std::string text =
      (std::filesystem::temp_directory_path() / "arbor_not_a_story.z5").string();
  ASSERT_TRUE(write_file_atomic(text, std::string(200, 'x')).ok());
  auto bad = EnvRegistry::builtin().make("zmachine:" + text);
  std::remove(text.c_str());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("not a Z-machine story file"), std::string::npos);
  EXPECT_FALSE(EnvRegistry::builtin().make("zmachine:").ok());
  EXPECT_FALSE(EnvRegistry::builtin().make("zmachine:" ARBOR_SOURCE_DIR "/tests").ok());
}

TEST(ZMachine, ACrashedInterpreterEndsTheEpisodeNotTheProcess) {
  SKIP_WITHOUT_DFROTZ();
  // A stand-in interpreter that prints a prompt, then dies on the first command.
  auto env = EnvRegistry::builtin().make(
      "zmachine:" + kStory,
      Json{{"interpreter", ARBOR_SOURCE_DIR "/tests/envs/data/fake_interpreter.sh"},
           {"timeout_ms", 500}});
  ASSERT_TRUE(env.ok()) << env.status().to_string();
  auto r = (*env)->reset(std::nullopt, Json::object());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->observation, "Fake game.");
  auto s = (*env)->step("crash");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("exited with status 7"), std::string::npos)
      << s.status().message();
  auto again = (*env)->step("look");
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  // reset() starts a new interpreter.
  ASSERT_TRUE((*env)->reset(std::nullopt, Json::object()).ok());
  auto hang = (*env)->step("hang");
  ASSERT_FALSE(hang.ok());
  EXPECT_EQ(hang.status().code(), StatusCode::kDeadlineExceeded);
}

TEST(ZMachine, CleansStatusLinesAndPrompts) {
  int score = -1, moves = -1;
  const std::string out = clean_zmachine_output(
      " West of House                 Score: 5        Moves: 12\n\n\nYou are standing in an open "
      "field.\n\n\n\nThere is a mailbox here.\n\n>",
      &score, &moves);
  EXPECT_EQ(out, "You are standing in an open field.\n\nThere is a mailbox here.");
  EXPECT_EQ(score, 5);
  EXPECT_EQ(moves, 12);
}

}  // namespace
}  // namespace arbor::envs
