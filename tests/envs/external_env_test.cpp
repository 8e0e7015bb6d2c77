#include "envs/external_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

#include "envs/registry.h"

namespace arbor::envs {
namespace {

const std::string kServer = ARBOR_SOURCE_DIR "/examples/envs/arbor_env_server.py";
const std::string kFaulty = ARBOR_SOURCE_DIR "/tests/envs/data/faulty_env_server.py";

bool have_python() {
  return std::system("python3 -c pass >/dev/null 2>&1") == 0;
}

#define SKIP_WITHOUT_PYTHON() \
  if (!have_python())         \
  GTEST_SKIP() << "python3 is not installed"

StatusOr<EnvironmentPtr> make_faulty(const std::string& fault, Json options = Json::object()) {
  options["timeout_ms"] = options.value("timeout_ms", 3000);
  options["shutdown_grace_ms"] = 200;
  return EnvRegistry::builtin().make(
      "external:python3 " + kFaulty + " --fault " + fault + "#guess_number", options);
}

TEST(ExternalEnv, PlaysGuessNumberToTheEnd) {
  SKIP_WITHOUT_PYTHON();
  auto env = EnvRegistry::builtin().make("external:python3 " + kServer + "#guess_number",
                                         Json{{"kwargs", {{"n", 50}}}});
  ASSERT_TRUE(env.ok()) << env.status().to_string();
  EXPECT_TRUE((*env)->spec().admissible_actions);
  EXPECT_TRUE((*env)->spec().save_restore);
  auto r = (*env)->reset(7, Json::object());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->observation, "Guess a number between 1 and 50.");
  // Binary search through the admissible actions.
  int steps = 0;
  StepResult last;
  while (true) {
    auto actions = (*env)->admissible_actions();
    ASSERT_TRUE(actions.ok());
    ASSERT_FALSE(actions->empty());
    auto s = (*env)->step((*actions)[actions->size() / 2]);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    ++steps;
    last = *s;
    if (s->terminated)
      break;
    ASSERT_LT(steps, 10);
  }
  EXPECT_EQ(last.reward, 1.0);
  EXPECT_TRUE(last.info[kInfoWon].get<bool>());
  EXPECT_FALSE((*env)->step("guess 1").ok());
  // Seeded resets repeat.
  auto a = (*env)->reset(7, Json::object());
  auto first = (*env)->step("guess 25");
  auto b = (*env)->reset(7, Json::object());
  auto second = (*env)->step("guess 25");
  ASSERT_TRUE(a.ok() && b.ok() && first.ok() && second.ok());
  EXPECT_EQ(first->observation, second->observation);
}

TEST(ExternalEnv, SnapshotsGoThroughTheServer) {
  SKIP_WITHOUT_PYTHON();
  auto env = EnvRegistry::builtin().make("external:python3 " + kServer + "#guess_number");
  ASSERT_TRUE(env.ok()) << env.status().to_string();
  ASSERT_TRUE((*env)->reset(3, Json::object()).ok());
  ASSERT_TRUE((*env)->step("guess 10").ok());
  auto snap = (*env)->save();
  ASSERT_TRUE(snap.ok()) << snap.status().to_string();
  const auto before = *(*env)->admissible_actions();
  ASSERT_TRUE((*env)->step(before.front()).ok());
  ASSERT_TRUE((*env)->restore(*snap).ok());
  EXPECT_EQ(*(*env)->admissible_actions(), before);
  auto bad = (*env)->restore("Rnot-base64");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);  // the server said no...
  EXPECT_TRUE((*env)->step(before.front()).ok());       // ...and keeps serving
}

TEST(ExternalEnv, BadActionsAreInfoAndServerErrorsAreStatus) {
  SKIP_WITHOUT_PYTHON();
  auto env = EnvRegistry::builtin().make("external:python3 " + kServer + "#guess_number");
  ASSERT_TRUE(env.ok());
  ASSERT_TRUE((*env)->reset(1, Json::object()).ok());
  auto s = (*env)->step("dance");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->info.contains(kInfoLastActionError));
  EXPECT_FALSE(s->terminated);
}

TEST(ExternalEnv, StartUpFailuresFailMake) {
  SKIP_WITHOUT_PYTHON();
  auto unknown = EnvRegistry::builtin().make("external:python3 " + kServer + "#chess");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown env_id 'chess'"), std::string::npos)
      << unknown.status().message();
  auto no_program = EnvRegistry::builtin().make("external:/no/such/program#x");
  ASSERT_FALSE(no_program.ok());
  EXPECT_NE(no_program.status().message().find("cannot start"), std::string::npos);
  auto exits = make_faulty("exit_init");
  ASSERT_FALSE(exits.ok());
  EXPECT_EQ(exits.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(exits.status().message().find("exited with status 2"), std::string::npos);
  EXPECT_NE(exits.status().message().find("giving up at start-up"), std::string::npos);
  auto version = make_faulty("wrong_version");
  ASSERT_FALSE(version.ok());
  EXPECT_NE(version.status().message().find("protocol '99'"), std::string::npos);
  auto ambiguous = EnvRegistry::builtin().make("external:python3 " + kServer);
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.status().message().find("name one"), std::string::npos);
}

TEST(ExternalEnv, CrashGarbageAndWrongIdsEndTheEpisodeAndResetRecovers) {
  SKIP_WITHOUT_PYTHON();
  for (const char* fault : {"crash_step", "garbage_step", "wrong_id"}) {
    auto env = make_faulty(fault);
    ASSERT_TRUE(env.ok()) << fault << ": " << env.status().to_string();
    ASSERT_TRUE((*env)->reset(1, Json::object()).ok());
    auto s = (*env)->step("guess 3");
    ASSERT_FALSE(s.ok()) << fault;
    EXPECT_EQ(s.status().code(), StatusCode::kUnavailable) << s.status().to_string();
    EXPECT_EQ((*env)->step("guess 3").status().code(), StatusCode::kFailedPrecondition);
    // A new server process serves the next episode.
    auto again = (*env)->reset(1, Json::object());
    ASSERT_TRUE(again.ok()) << fault << ": " << again.status().to_string();
  }
  auto crash = make_faulty("crash_step");
  ASSERT_TRUE(crash.ok());
  ASSERT_TRUE((*crash)->reset(1, Json::object()).ok());
  const Status s = (*crash)->step("guess 3").status();
  EXPECT_NE(s.message().find("exited with status 3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("segfault in the physics engine"), std::string::npos);
  auto garbage = make_faulty("garbage_step");
  ASSERT_TRUE(garbage.ok());
  ASSERT_TRUE((*garbage)->reset(1, Json::object()).ok());
  EXPECT_NE((*garbage)->step("guess 3").status().message().find("not JSON-RPC"), std::string::npos);
}

TEST(ExternalEnv, HangsTimeOutAndStubbornServersAreKilled) {
  SKIP_WITHOUT_PYTHON();
  for (const char* fault : {"hang_step", "hang_ignore_term"}) {
    auto env = make_faulty(fault, Json{{"timeout_ms", 300}});
    ASSERT_TRUE(env.ok()) << env.status().to_string();
    ASSERT_TRUE((*env)->reset(1, Json::object()).ok());
    const auto t0 = std::chrono::steady_clock::now();
    auto s = (*env)->step("guess 3");
    const auto took = std::chrono::steady_clock::now() - t0;
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kDeadlineExceeded) << s.status().to_string();
    // 300 ms deadline, then close stdin / SIGTERM / SIGKILL with 200 ms grace each.
    EXPECT_LT(took, std::chrono::seconds(3)) << fault;
  }
}

TEST(ExternalEnv, NotificationsAndStderrNoiseAreIgnored) {
  SKIP_WITHOUT_PYTHON();
  auto env = make_faulty("noisy");
  ASSERT_TRUE(env.ok()) << env.status().to_string();
  ASSERT_TRUE((*env)->reset(1, Json::object()).ok());
  for (int k = 0; k < 20; ++k) ASSERT_TRUE((*env)->step("guess 3").ok());
}

TEST(ExternalEnv, CloseShutsTheServerDown) {
  SKIP_WITHOUT_PYTHON();
  auto env = EnvRegistry::builtin().make("external:python3 " + kServer + "#echo");
  ASSERT_TRUE(env.ok());
  auto r = (*env)->reset(std::nullopt, Json::object());
  ASSERT_TRUE(r.ok());
  auto s = (*env)->step("hi");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->observation, "You said: hi");
  const auto t0 = std::chrono::steady_clock::now();
  (*env)->close();
  // A well-behaved server exits on "shutdown" without needing signals.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  EXPECT_FALSE((*env)->step("hi").ok());
}

TEST(ExternalEnvOptions, ParsesIdsAndOptions) {
  auto o = ExternalEnvOptions::parse("python3 server.py --flag#guess_number", Json::object());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->command, (std::vector<std::string>{"python3", "server.py", "--flag"}));
  EXPECT_EQ(o->env_id, "guess_number");
  auto p =
      ExternalEnvOptions::parse("", Json{{"command", {"a", "b"}}, {"env", "e"}, {"timeout_ms", 5}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->command.size(), 2u);
  EXPECT_EQ(p->timeout_ms, 5);
  EXPECT_FALSE(ExternalEnvOptions::parse("", Json::object()).ok());
  EXPECT_FALSE(ExternalEnvOptions::parse("x", Json{{"timeout_ms", 0}}).ok());
  EXPECT_FALSE(ExternalEnvOptions::parse("x", Json{{"command", "x"}}).ok());
}

}  // namespace
}  // namespace arbor::envs
