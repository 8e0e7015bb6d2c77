// ReAct and Reflexion on text environments with a scripted model (the embedded model is not
// trained for text games): the action chosen by score among the admissible actions, a scripted
// policy winning the built-in text world, a reflection written to memory after a failure and
// retrieved into the next attempt's prompt, a Z-machine game played with written actions, an
// environment that dies mid-episode, and tasks played concurrently (the same episodes as one at
// a time, each task retrieving only its own reflections, its own environment per attempt, a
// stop request keeping what finished).
#include "agents/react.h"

#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <stdlib.h>

#include "agents/agent_config.h"
#include "agents/experiment_config.h"
#include "core/strings.h"
#include "envs/registry.h"
#include "envs/text_world.h"
#include "envs/zmachine_env.h"
#include "memory/store.h"

#include "tests/search/search_test_util.h"

namespace arbor::agents {
namespace {

using search::testing::ScriptedModel;

// The optimal plan of the built-in text world's task `seed`, from the solver.
std::vector<std::string> plan_of(const std::string& size, std::uint64_t seed) {
  envs::TextWorldEnv env("textworld:" + size, *envs::TextWorldConfig::preset(size));
  EXPECT_TRUE(env.reset(seed, Json::object()).ok());
  return env.solve();
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

// A scripted policy: a thought line, and an action score that favours plan[k] at step k
// (k = the actions already taken in the context) when `follow(context)` says so, else
// `fallback`.
struct Policy {
  std::vector<std::string> plan;
  std::function<bool(const std::string&)> follow = [](const std::string&) { return true; };
  std::string fallback = "look";
  std::string reflection = "Open the doors and carry the goal item to its container.";
  // (context, continuation) of every score request.
  std::vector<std::pair<std::string, std::string>> scored;

  void install(ScriptedModel& m) {
    m.write = [this](const std::string& ctx, std::uint64_t, int) -> std::string {
      if (ends_with(ctx, "Reflection:")) return " " + reflection + "\n";
      if (ends_with(ctx, "Thought:")) return " I act on what I see.\n";
      return "look\n";
    };
    m.score = [this](const std::string& ctx, const std::string& cont) {
      scored.emplace_back(ctx, cont);
      const auto k = static_cast<std::size_t>(count(ctx, "\nAction: "));
      const std::string want = follow(ctx) && k < plan.size() ? plan[k] : fallback;
      return cont == " " + want + "\n" ? -0.5 : -4.0 - 0.01 * static_cast<double>(cont.size());
    };
  }
};

EnvFactory textworld(const std::string& size) {
  return [size]() { return envs::EnvRegistry::builtin().make("textworld:" + size); };
}

std::filesystem::path temp_dir() {
  char tmpl[] = "/tmp/arbor_react_XXXXXX";
  return ::mkdtemp(tmpl);
}

TEST(ReactTest, ChoosesTheAdmissibleActionWithTheBestScoreAndWins) {
  const std::vector<std::string> plan = plan_of("easy", 11);
  ASSERT_GE(plan.size(), 3u);
  ScriptedModel m;
  Policy policy;
  policy.plan = plan;
  policy.install(m);
  EpisodesOptions o;
  o.env_id = "textworld:easy";
  o.env_seed = 11;
  const EpisodesReport report = run_episodes(m, textworld("easy"), nullptr, o);
  ASSERT_TRUE(report.status.ok()) << report.status.to_string();
  ASSERT_EQ(report.episodes.size(), 1u);
  const EpisodeResult& e = report.episodes[0];
  EXPECT_TRUE(e.won);
  EXPECT_TRUE(e.terminated);
  EXPECT_DOUBLE_EQ(e.total_reward, 1.0);
  ASSERT_EQ(e.steps.size(), plan.size());
  // Every action is the plan's, chosen among all the admissible actions of its step (each
  // one scored in the same context), and it is the best scored of them.
  std::size_t at = 0;
  for (std::size_t k = 0; k < plan.size(); ++k) {
    EXPECT_EQ(e.steps[k].action, plan[k]);
    EXPECT_EQ(e.steps[k].thought, "I act on what I see.");
    ASSERT_GT(e.steps[k].admissible, 1);
    const std::string ctx = policy.scored[at].first;
    std::vector<std::string> candidates;
    for (int i = 0; i < e.steps[k].admissible; ++i, ++at) {
      EXPECT_EQ(policy.scored[at].first, ctx);
      candidates.push_back(policy.scored[at].second);
    }
    EXPECT_NE(std::find(candidates.begin(), candidates.end(), " " + plan[k] + "\n"),
              candidates.end());
    EXPECT_TRUE(ends_with(ctx, "Thought: I act on what I see.\nAction:")) << ctx;
    EXPECT_DOUBLE_EQ(e.steps[k].action_logprob, -0.5);
  }
  EXPECT_EQ(at, policy.scored.size());
  // The scores of one step were requested together.
  EXPECT_GT(m.max_in_flight, 1);
  const Json s = report.summary(1, 1);
  EXPECT_EQ(s["success_rate"], 1.0);
}

TEST(ReactTest, TiesGoToTheEarlierAdmissibleActionAndStepsAreBounded) {
  ScriptedModel m;
  m.score = [](const std::string&, const std::string&) { return -1.0; };
  EpisodesOptions o;
  o.env_id = "textworld:easy";
  o.react.max_steps = 3;
  o.react.think = false;
  envs::TextWorldEnv probe("textworld:easy", *envs::TextWorldConfig::preset("easy"));
  ASSERT_TRUE(probe.reset(o.env_seed, Json::object()).ok());
  const std::string first = probe.admissible_actions()->front();
  const EpisodesReport report = run_episodes(m, textworld("easy"), nullptr, o);
  ASSERT_TRUE(report.status.ok()) << report.status.to_string();
  const EpisodeResult& e = report.episodes.at(0);
  EXPECT_FALSE(e.won);
  EXPECT_EQ(e.steps.size(), 3u);
  EXPECT_EQ(e.steps[0].action, first);
  EXPECT_TRUE(e.steps[0].thought.empty());
  EXPECT_TRUE(m.sampled_contexts.empty());  // no thoughts, no written actions, no reflection
}

TEST(ReflexionTest, ReflectionIsStoredAndRetrievedIntoTheNextAttempt) {
  const std::vector<std::string> plan = plan_of("easy", 5);
  ScriptedModel m;
  Policy policy;
  policy.plan = plan;
  policy.fallback = "inventory";
  // The policy follows the plan only once a lesson is in its prompt.
  policy.follow = [&](const std::string& ctx) {
    return ctx.find("Lessons from earlier attempts:\n- " + policy.reflection) != std::string::npos;
  };
  policy.install(m);
  const std::filesystem::path dir = temp_dir();
  memory::StoreOptions so;
  so.create_if_missing = true;
  auto store = memory::Store::open((dir / "memory.db").string(), so);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  EpisodesOptions o;
  o.env_id = "textworld:easy";
  o.env_seed = 5;
  o.attempts = 3;
  o.reflexion = true;
  o.react.max_steps = static_cast<std::int32_t>(plan.size()) + 2;
  const EpisodesReport report = run_episodes(m, textworld("easy"), store->get(), o);
  ASSERT_TRUE(report.status.ok()) << report.status.to_string();
  ASSERT_EQ(report.episodes.size(), 2u);  // the second attempt wins; no third
  const EpisodeResult& failed = report.episodes[0];
  const EpisodeResult& retry = report.episodes[1];
  EXPECT_FALSE(failed.won);
  EXPECT_TRUE(failed.reflections_used.empty());
  EXPECT_EQ(failed.reflection, policy.reflection);
  EXPECT_TRUE(retry.won);
  EXPECT_EQ(retry.attempt, 1);
  EXPECT_EQ(retry.reflections_used, (std::vector<std::string>{policy.reflection}));
  EXPECT_TRUE(retry.reflection.empty());  // a won attempt writes none
  // The reflection is in the store, and the retry's prompt held it.
  memory::MemoryFilter f;
  f.kinds = {"reflection"};
  auto mems = (*store)->recent(f, 10).wait();
  ASSERT_TRUE(mems.ok());
  ASSERT_EQ(mems->size(), 1u);
  EXPECT_EQ((*mems)[0].text, policy.reflection);
  EXPECT_EQ((*mems)[0].scope, "reflexion:textworld:easy");
  bool prompt_had_it = false;
  for (const auto& [ctx, cont] : policy.scored) {
    prompt_had_it = prompt_had_it || policy.follow(ctx);
  }
  EXPECT_TRUE(prompt_had_it);
  // Both attempts are recorded as episodes with their steps.
  auto stats = (*store)->stats().wait();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->episodes, 2);
  EXPECT_EQ(stats->steps, static_cast<std::int64_t>(failed.steps.size() + retry.steps.size()));
  const Json s = report.summary(1, 3);
  EXPECT_EQ(s["success_by_attempt"], Json::parse("[0.0, 1.0, 1.0]"));
  EXPECT_EQ(s["reflections_written"], 1);
  store->reset();
  std::filesystem::remove_all(dir);
}

// Two tasks write the same reflection (the store keeps one memory): each task's next attempt
// still retrieves it as its own.
TEST(ReflexionTest, AReflectionSharedByTwoTasksIsRetrievedForBoth) {
  ScriptedModel m;
  Policy policy;
  policy.follow = [](const std::string&) { return false; };
  policy.fallback = "inventory";
  policy.reflection = "Zqxv wbrt.";  // no word in common with any observation
  policy.install(m);
  const std::filesystem::path dir = temp_dir();
  memory::StoreOptions so;
  so.create_if_missing = true;
  auto store = memory::Store::open((dir / "memory.db").string(), so);
  ASSERT_TRUE(store.ok());
  EpisodesOptions o;
  o.env_id = "textworld:easy";
  o.tasks = 2;
  o.attempts = 2;
  o.reflexion = true;
  o.react.max_steps = 2;
  const EpisodesReport report = run_episodes(m, textworld("easy"), store->get(), o);
  ASSERT_TRUE(report.status.ok()) << report.status.to_string();
  ASSERT_EQ(report.episodes.size(), 4u);
  for (const EpisodeResult& e : report.episodes) {
    EXPECT_EQ(e.reflection, policy.reflection);
    if (e.attempt == 1) {
      EXPECT_EQ(e.reflections_used, (std::vector<std::string>{policy.reflection})) << e.task;
    }
  }
  memory::MemoryFilter f;
  f.kinds = {"reflection"};
  auto mems = (*store)->recent(f, 10).wait();
  ASSERT_TRUE(mems.ok());
  ASSERT_EQ(mems->size(), 1u);
  EXPECT_EQ((*mems)[0].tags, (std::vector<std::string>{"task:0", "task:1"}));
  store->reset();
  std::filesystem::remove_all(dir);
}

// A Reflexion run of `tasks` tasks in which task t wins once its prompt holds t % 4 lessons
// (so tasks 3, 7, ... never win: only their own two lessons reach them). The first lesson of
// every task is the same text (one memory, tagged by every task that wrote it); the second
// names the task's first words, which other tasks' observations share (BM25 would find it).
struct LessonsRun {
  std::int32_t tasks = 8;
  std::vector<std::string> first;               // first observation of each task
  std::vector<std::vector<std::string>> plans;  // the solver's plan of each task
  std::int32_t max_steps = 0;

  explicit LessonsRun(std::int32_t n) : tasks(n) {
    for (std::int32_t t = 0; t < tasks; ++t) {
      envs::TextWorldEnv env("textworld:easy", *envs::TextWorldConfig::preset("easy"));
      auto r = env.reset(1 + t, Json::object());
      EXPECT_TRUE(r.ok());
      first.push_back(std::string(trim(r->observation)));
      plans.push_back(env.solve());
      max_steps = std::max(max_steps, static_cast<std::int32_t>(plans.back().size()) + 1);
    }
  }
  // The task whose first observation opens `ctx`.
  std::int32_t task_of(const std::string& ctx) const {
    const std::size_t at = ctx.find("Observation: ");
    for (std::int32_t t = 0; t < tasks; ++t) {
      if (ctx.compare(at + 13, first[t].size(), first[t]) == 0) return t;
    }
    ADD_FAILURE() << "no task opens " << ctx.substr(0, 200);
    return 0;
  }
  static int lessons(const std::string& ctx) {
    return count(ctx.substr(0, ctx.find("Observation: ")), "\n- ");
  }
  void install(ScriptedModel& m) const {
    m.write = [this](const std::string& ctx, std::uint64_t, int) -> std::string {
      if (ends_with(ctx, "Reflection:")) {
        if (lessons(ctx) == 0) return " Look around the room first.\n";
        const std::vector<std::string> words = split(first[task_of(ctx)], ' ');
        std::string w;
        for (std::size_t i = 0; i < words.size() && i < 4; ++i) w += " " + words[i];
        return " Try" + w + " again.\n";
      }
      if (ends_with(ctx, "Thought:")) return " I act on what I see.\n";
      return "look\n";
    };
    m.score = [this](const std::string& ctx, const std::string& cont) {
      const std::int32_t t = task_of(ctx);
      const auto k = static_cast<std::size_t>(count(ctx, "\nAction: "));
      const bool follow = lessons(ctx) >= t % 4;
      const std::string want = follow && k < plans[t].size() ? plans[t][k] : "inventory";
      return cont == " " + want + "\n" ? -0.5 : -4.0 - 0.01 * static_cast<double>(cont.size());
    };
  }
  EpisodesOptions options(std::int32_t concurrency) const {
    EpisodesOptions o;
    o.env_id = "textworld:easy";
    o.env_seed = 1;
    o.tasks = tasks;
    o.attempts = 3;
    o.reflexion = true;
    o.react.max_steps = max_steps;
    o.concurrency = concurrency;
    return o;
  }
};

// Each task's episodes are the same at concurrency 1 and 4, and each attempt retrieves only its
// own task's lessons, newest first.
TEST(ReflexionTest, TasksPlayTheSameWhateverTheConcurrency) {
  const LessonsRun lessons(8);
  for (std::int32_t t = 1; t < lessons.tasks; ++t) ASSERT_NE(lessons.first[t], lessons.first[0]);
  std::map<std::int32_t, std::vector<Json>> by_concurrency;
  std::map<std::int32_t, int> in_flight;
  for (std::int32_t concurrency : {1, 4}) {
    ScriptedModel m;
    lessons.install(m);
    const std::filesystem::path dir = temp_dir();
    memory::StoreOptions so;
    so.create_if_missing = true;
    auto store = memory::Store::open((dir / "memory.db").string(), so);
    ASSERT_TRUE(store.ok());
    std::vector<std::int32_t> finished_order;
    EpisodesOptions o = lessons.options(concurrency);
    o.on_episode = [&](const EpisodeResult& e) { finished_order.push_back(e.task); };
    const EpisodesReport report = run_episodes(m, textworld("easy"), store->get(), o);
    ASSERT_TRUE(report.status.ok()) << report.status.to_string();
    if (concurrency > 1) {
      // Tasks finished out of order: several were in play at once.
      EXPECT_FALSE(std::is_sorted(finished_order.begin(), finished_order.end()));
    }
    std::vector<Json>& episodes = by_concurrency[concurrency];
    for (const EpisodeResult& e : report.episodes) {
      Json j = e.to_json();
      j.erase("seconds");
      episodes.push_back(j);
    }
    in_flight[concurrency] = m.max_in_flight;
    // Task t wins at attempt t % 4 + 1; tasks 3 and 7 never do.
    std::vector<std::int32_t> attempts(static_cast<std::size_t>(lessons.tasks), 0);
    for (const EpisodeResult& e : report.episodes) {
      attempts[static_cast<std::size_t>(e.task)]++;
      const std::int32_t need = e.task % 4;
      EXPECT_EQ(e.won, e.attempt == need) << "task " << e.task << " attempt " << e.attempt;
      // Its own lessons only, newest first.
      std::vector<std::string> expected;
      for (std::int32_t a = e.attempt - 1; a >= 0; --a) {
        for (const EpisodeResult& earlier : report.episodes) {
          if (earlier.task == e.task && earlier.attempt == a)
            expected.push_back(earlier.reflection);
        }
      }
      EXPECT_EQ(e.reflections_used, expected) << "task " << e.task << " attempt " << e.attempt;
    }
    for (std::int32_t t = 0; t < lessons.tasks; ++t) {
      EXPECT_EQ(attempts[static_cast<std::size_t>(t)], std::min(t % 4 + 1, 3)) << t;
    }
    // The store holds every attempt, and the shared first lesson is tagged by every task that
    // wrote it (each tag kept although the tasks wrote it concurrently).
    auto stats = (*store)->stats().wait();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->episodes, static_cast<std::int64_t>(report.episodes.size()));
    memory::MemoryFilter f;
    f.kinds = {"reflection"};
    auto mems = (*store)->recent(f, 100).wait();
    ASSERT_TRUE(mems.ok());
    std::set<std::string> tags;
    for (const memory::Memory& mem : *mems) {
      if (mem.text == "Look around the room first.") tags.insert(mem.tags.begin(), mem.tags.end());
    }
    EXPECT_EQ(tags,
              (std::set<std::string>{"task:1", "task:2", "task:3", "task:5", "task:6", "task:7"}));
    store->reset();
    std::filesystem::remove_all(dir);
  }
  EXPECT_EQ(by_concurrency[1], by_concurrency[4]);
  EXPECT_GT(in_flight[4], in_flight[1]);
}

// A stop request ends a concurrent run before its next attempt: the attempts in play finish
// and are kept (in the report and the store); no other attempt starts.
TEST(ReflexionTest, AStopRequestEndsAConcurrentRunKeepingWhatFinished) {
  const LessonsRun lessons(8);
  ScriptedModel m;
  lessons.install(m);
  const std::filesystem::path dir = temp_dir();
  memory::StoreOptions so;
  so.create_if_missing = true;
  auto store = memory::Store::open((dir / "memory.db").string(), so);
  ASSERT_TRUE(store.ok());
  EpisodesOptions o = lessons.options(3);
  int finished = 0;
  o.on_episode = [&](const EpisodeResult&) { ++finished; };
  o.should_stop = [&]() { return finished >= 2; };
  const EpisodesReport report = run_episodes(m, textworld("easy"), store->get(), o);
  EXPECT_EQ(report.status.code(), StatusCode::kCancelled) << report.status.to_string();
  // The two that finished, and at most the two others in play when the stop came.
  EXPECT_GE(report.episodes.size(), 2u);
  EXPECT_LE(report.episodes.size(), 4u);
  for (const EpisodeResult& e : report.episodes) EXPECT_TRUE(e.error.ok());
  auto stats = (*store)->stats().wait();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->episodes, static_cast<std::int64_t>(report.episodes.size()));
  store->reset();
  std::filesystem::remove_all(dir);
}

// Concurrent tasks never share an environment: each attempt makes its own and closes it.
TEST(ReactTest, EveryConcurrentAttemptHasItsOwnEnvironment) {
  struct Counts {
    int made = 0, open = 0, max_open = 0, closed = 0;
  } counts;
  class CountedEnv : public envs::Environment {
   public:
    CountedEnv(envs::EnvironmentPtr inner, Counts& c) : inner_(std::move(inner)), c_(c) {
      c_.made++;
      c_.max_open = std::max(c_.max_open, ++c_.open);
    }
    ~CountedEnv() override { close(); }
    const envs::EnvSpec& spec() const override { return inner_->spec(); }
    StatusOr<envs::ResetResult> reset(std::optional<std::uint64_t> seed, const Json& o) override {
      EXPECT_FALSE(reset_) << "an environment reset twice (shared by two attempts?)";
      reset_ = true;
      return inner_->reset(seed, o);
    }
    StatusOr<envs::StepResult> step(std::string_view action) override {
      return inner_->step(action);
    }
    StatusOr<std::vector<std::string>> admissible_actions() override {
      return inner_->admissible_actions();
    }
    void close() override {
      if (closed_) return;
      closed_ = true;
      c_.open--;
      c_.closed++;
    }

   private:
    envs::EnvironmentPtr inner_;
    Counts& c_;
    bool reset_ = false, closed_ = false;
  };
  const LessonsRun lessons(6);
  ScriptedModel m;
  lessons.install(m);
  const std::filesystem::path dir = temp_dir();
  memory::StoreOptions so;
  so.create_if_missing = true;
  auto store = memory::Store::open((dir / "memory.db").string(), so);
  ASSERT_TRUE(store.ok());
  EnvFactory factory = [&]() -> StatusOr<envs::EnvironmentPtr> {
    ARBOR_ASSIGN_OR_RETURN(envs::EnvironmentPtr env,
                           envs::EnvRegistry::builtin().make("textworld:easy"));
    return envs::EnvironmentPtr(std::make_unique<CountedEnv>(std::move(env), counts));
  };
  const EpisodesReport report = run_episodes(m, factory, store->get(), lessons.options(4));
  ASSERT_TRUE(report.status.ok()) << report.status.to_string();
  EXPECT_EQ(counts.made, static_cast<int>(report.episodes.size()));
  EXPECT_EQ(counts.closed, counts.made);
  EXPECT_EQ(counts.open, 0);
  EXPECT_GT(counts.max_open, 1);
  EXPECT_LE(counts.max_open, 4);
  store->reset();
  std::filesystem::remove_all(dir);
}

TEST(ReflexionTest, NeedsAStore) {
  ScriptedModel m;
  EpisodesOptions o;
  o.env_id = "textworld:easy";
  o.reflexion = true;
  const EpisodesReport report = run_episodes(m, textworld("easy"), nullptr, o);
  EXPECT_FALSE(report.status.ok());
  EXPECT_NE(report.status.message().find("memory store"), std::string::npos);
}

// An environment whose process dies at a given step of a given task.
class DyingEnv : public envs::Environment {
 public:
  DyingEnv(envs::EnvironmentPtr inner, int die_at) : inner_(std::move(inner)), die_at_(die_at) {}
  const envs::EnvSpec& spec() const override { return inner_->spec(); }
  StatusOr<envs::ResetResult> reset(std::optional<std::uint64_t> seed, const Json& o) override {
    return inner_->reset(seed, o);
  }
  StatusOr<envs::StepResult> step(std::string_view action) override {
    if (++steps_ == die_at_) return Status::unavailable("the game process exited (signal 9)");
    return inner_->step(action);
  }
  StatusOr<std::vector<std::string>> admissible_actions() override {
    return inner_->admissible_actions();
  }

 private:
  envs::EnvironmentPtr inner_;
  int die_at_;
  int steps_ = 0;
};

TEST(ReactTest, AnEnvironmentDyingMidEpisodeStopsTheRunAndKeepsFinishedEpisodes) {
  ScriptedModel m;
  Policy policy;
  policy.plan = plan_of("easy", 1);
  policy.follow = [](const std::string&) { return true; };
  policy.install(m);
  int made = 0;
  EnvFactory factory = [&]() -> StatusOr<envs::EnvironmentPtr> {
    ARBOR_ASSIGN_OR_RETURN(envs::EnvironmentPtr env,
                           envs::EnvRegistry::builtin().make("textworld:easy"));
    // The second task's environment dies at its third step.
    return envs::EnvironmentPtr(std::make_unique<DyingEnv>(std::move(env), ++made == 2 ? 3 : -1));
  };
  const std::filesystem::path dir = temp_dir();
  memory::StoreOptions so;
  so.create_if_missing = true;
  auto store = memory::Store::open((dir / "memory.db").string(), so);
  ASSERT_TRUE(store.ok());
  EpisodesOptions o;
  o.env_id = "textworld:easy";
  o.env_seed = 1;
  o.tasks = 3;
  const EpisodesReport report = run_episodes(m, factory, store->get(), o);
  ASSERT_FALSE(report.status.ok());
  EXPECT_EQ(report.status.code(), StatusCode::kUnavailable);
  const std::string msg = report.status.message();
  EXPECT_NE(msg.find("task 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("step 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("exited"), std::string::npos) << msg;
  // Task 0 finished and won; task 1's two steps before the failure are kept; no task 2.
  ASSERT_EQ(report.episodes.size(), 2u);
  EXPECT_TRUE(report.episodes[0].won);
  EXPECT_TRUE(report.episodes[0].error.ok());
  EXPECT_EQ(report.episodes[1].steps.size(), 2u);
  EXPECT_FALSE(report.episodes[1].error.ok());
  auto episodes = (*store)->stats().wait();
  ASSERT_TRUE(episodes.ok());
  EXPECT_EQ(episodes->episodes, 2);
  store->reset();
  std::filesystem::remove_all(dir);
}

TEST(ReactTest, PlaysAZMachineGameWithWrittenActions) {
  if (!envs::find_dfrotz().ok()) GTEST_SKIP() << envs::find_dfrotz().status().message();
  // The game's walkthrough (tests/data/textworld/SOURCE.md) as a scripted policy that writes
  // its actions: no admissible actions, so the model's action line is played.
  const std::vector<std::string> walkthrough = {"open chest drawer",
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
  ScriptedModel m;
  m.write = [&](const std::string& ctx, std::uint64_t, int) -> std::string {
    if (ends_with(ctx, "Thought:")) return " Next step of the plan.\n";
    const auto k = static_cast<std::size_t>(count(ctx, "\nAction: "));
    return " " + (k < walkthrough.size() ? walkthrough[k] : std::string("look")) + "\n";
  };
  const std::string id =
      "zmachine:" ARBOR_SOURCE_DIR "/tests/data/textworld/tw-rewardsSparse_goalBrief.z8";
  EpisodesOptions o;
  o.env_id = id;
  o.react.max_steps = 20;
  o.react.action_max_tokens = 48;  // the scripted model writes one token per character
  const EpisodesReport report = run_episodes(
      m, [&]() { return envs::EnvRegistry::builtin().make(id); }, nullptr, o);
  ASSERT_TRUE(report.status.ok()) << report.status.to_string();
  const EpisodeResult& e = report.episodes.at(0);
  EXPECT_TRUE(e.won) << e.to_json().dump(1);
  ASSERT_EQ(e.steps.size(), walkthrough.size());
  EXPECT_EQ(e.steps.back().action, "put carrot on stove");
  EXPECT_EQ(e.steps[0].admissible, 0);
  // Three tasks at once, each on its own interpreter process: every one plays the same winning
  // game (an interpreter shared by two tasks would get both tasks' commands).
  int made = 0;
  o.tasks = 3;
  o.concurrency = 3;
  const EpisodesReport three = run_episodes(
      m,
      [&]() {
        ++made;
        return envs::EnvRegistry::builtin().make(id);
      },
      nullptr, o);
  ASSERT_TRUE(three.status.ok()) << three.status.to_string();
  ASSERT_EQ(three.episodes.size(), 3u);
  EXPECT_EQ(made, 3);
  for (const EpisodeResult& t : three.episodes) {
    EXPECT_TRUE(t.won) << t.task;
    ASSERT_EQ(t.steps.size(), e.steps.size());
    for (std::size_t k = 0; k < t.steps.size(); ++k) {
      EXPECT_EQ(t.steps[k].action, e.steps[k].action);
      EXPECT_EQ(t.steps[k].observation, e.steps[k].observation);
    }
  }
}

TEST(ReactTest, OptionsFromJsonNameBadFields) {
  auto ok = ReactOptions::from_json(
      Json::parse(R"({"max_steps": 7, "think": false, "prompts": {"thought": "Think:"}})"),
      "agent");
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->max_steps, 7);
  EXPECT_FALSE(ok->think);
  EXPECT_EQ(ok->prompts.thought, "Think:");
  auto typo = ReactOptions::from_json(Json::parse(R"({"max_step": 7})"), "agent");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("agent.max_step"), std::string::npos);
  auto range = ReactOptions::from_json(Json::parse(R"({"max_steps": 0})"), "agent");
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("agent.max_steps"), std::string::npos);
  auto placeholder =
      ReactOptions::from_json(Json::parse(R"({"prompts": {"intro": "{question}"}})"), "agent");
  ASSERT_FALSE(placeholder.ok());
  EXPECT_NE(placeholder.status().message().find("agent.prompts.intro"), std::string::npos);
}

TEST(AgentConfigTest, ShippedConfigsAreValid) {
  for (const char* name : {"textworld_react.json", "textworld_reflexion.json"}) {
    auto j = read_json_file(std::string(ARBOR_SOURCE_DIR "/configs/") + name);
    ASSERT_TRUE(j.ok()) << j.status().to_string();
    auto c = agent_run_config(*j);
    ASSERT_TRUE(c.ok()) << name << ": " << c.status().to_string();
    EXPECT_TRUE(validate_agent_config(*j).empty());
  }
  // The run config validator knows the agent kinds and their fields.
  for (const char* name : {"textworld_react.json", "textworld_reflexion.json"}) {
    Json j = *read_json_file(std::string(ARBOR_SOURCE_DIR "/configs/") + name);
    j["model"]["path"] = ARBOR_SOURCE_DIR "/assets/arith-mamba2";
    auto resolved = resolve_experiment(j);
    EXPECT_TRUE(resolved.ok()) << name << ": " << resolved.status().to_string();
    j["agent"]["max_step"] = 3;
    auto typo = resolve_experiment(j);
    ASSERT_FALSE(typo.ok());
    EXPECT_NE(typo.status().message().find("agent.max_step"), std::string::npos)
        << typo.status().message();
  }
  auto r = agent_run_config(*read_json_file(ARBOR_SOURCE_DIR "/configs/textworld_reflexion.json"));
  EXPECT_EQ(r->kind, "reflexion");
  EXPECT_TRUE(r->episodes.reflexion);
  EXPECT_EQ(r->episodes.attempts, 3);
  EXPECT_TRUE(env_factory(*r)().ok());
}

TEST(AgentConfigTest, EveryErrorNamesItsPath) {
  const Json bad = Json::parse(R"({"env": {"id": "textworld:easy", "tasks": -1, "sed": 2},
      "agent": {"kind": "react", "reflections_k": 2, "max_steps": "many"}})");
  const std::vector<std::string> errors = validate_agent_config(bad);
  auto has = [&](const std::string& prefix) {
    for (const std::string& e : errors) {
      if (e.rfind(prefix, 0) == 0) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("env.tasks: ")) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has("env.sed: unknown field"));
  EXPECT_TRUE(has("agent.reflections_k: only with kind \"reflexion\""));
  EXPECT_TRUE(has("agent.max_steps"));
  auto status = agent_run_config(bad);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(agent_run_config(Json::parse(R"({"agent": {"kind": "react"}})")).ok());
}

}  // namespace
}  // namespace arbor::agents
