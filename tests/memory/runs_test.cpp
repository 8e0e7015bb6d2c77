#include <gtest/gtest.h>

#include "memory/internal/sqlite.h"
#include "memory/store.h"

#include "tests/memory/test_util.h"

namespace arbor::memory {
namespace {

using testing::TempDir;

std::unique_ptr<Store> open_store(const std::string& path) {
  StoreOptions o;
  o.create_if_missing = true;
  auto s = Store::open(path, o);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return std::move(s).value();
}

NewEpisode episode_of(RunId run, std::string problem) {
  NewEpisode e;
  e.run = run;
  e.problem = std::move(problem);
  return e;
}

NewStep step(std::string action) {
  NewStep s;
  s.action = std::move(action);
  s.observation = "you see " + s.action;
  s.reward = 0.5;
  return s;
}

TEST(RunsTest, StepsAreAppendOnlyAndOnlyWhileRunning) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  auto s = open_store(path);
  NewEpisode e;
  e.env = "textworld";
  e.task = "cook";
  auto ep = s->begin_episode(e).wait();
  ASSERT_TRUE(ep.ok()) << ep.status().to_string();
  for (int i = 0; i < 3; ++i) {
    auto idx = s->append_step(*ep, step("go " + std::to_string(i))).wait();
    ASSERT_TRUE(idx.ok()) << idx.status().to_string();
    EXPECT_EQ(*idx, i);
  }
  auto steps = s->steps(*ep, 1, 10).wait();
  ASSERT_TRUE(steps.ok());
  ASSERT_EQ(steps->size(), 2u);
  EXPECT_EQ((*steps)[0].action, "go 1");
  EXPECT_EQ((*steps)[1].index, 2);
  EXPECT_DOUBLE_EQ((*steps)[1].reward, 0.5);
  // The database itself refuses to rewrite history.
  {
    auto c = internal::Connection::open(path, internal::OpenMode::kReadWrite, 1000);
    ASSERT_TRUE(c.ok());
    const Status st = (*c)->exec("UPDATE steps SET action = 'rewritten' WHERE idx = 0");
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("append-only"), std::string::npos) << st.message();
  }
  ASSERT_TRUE(s->finish_episode(*ep, R"({"won": true})").wait().ok());
  EXPECT_EQ(s->append_step(*ep, step("late")).wait().status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(s->append_step(4242, step("nowhere")).wait().status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s->finish_episode(*ep, "{}").wait().code(), StatusCode::kFailedPrecondition);
  auto got = s->episode(*ep).wait();
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status, EpisodeStatus::kFinished);
  EXPECT_EQ((*got)->outcome_json, R"({"won": true})");
  EXPECT_EQ(s->steps(*ep).wait()->size(), 3u);
}

TEST(RunsTest, ResumeListsFinishedProblemsAndAbandonsRunningEpisodes) {
  TempDir dir;
  const std::string path = dir.file("run.sqlite");
  RunId run;
  EpisodeId in_flight;
  {
    auto s = open_store(path);
    auto p = s->open_run({"gsm8k-mcts", "abc123", R"({"n": 3})"}).wait();
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    EXPECT_FALSE(p->resumed);
    EXPECT_TRUE(p->finished.empty());
    run = p->run;
    for (const char* problem : {"q2", "q1"}) {
      auto ep = s->begin_episode(episode_of(run, problem)).wait();
      ASSERT_TRUE(ep.ok());
      ProblemResult r;
      r.run = run;
      r.problem = problem;
      r.episode = *ep;
      r.result_json = R"({"correct": true})";
      r.tree_json = R"({"nodes": []})";
      ASSERT_TRUE(s->finish_problem(r).wait().ok());
    }
    auto ep = s->begin_episode(episode_of(run, "q3")).wait();
    ASSERT_TRUE(ep.ok());
    in_flight = *ep;
    ASSERT_TRUE(s->append_step(in_flight, step("halfway")).wait().ok());
  }  // the "crash": q3's episode is left running
  auto s = open_store(path);
  auto p = s->open_run({"gsm8k-mcts", "abc123", R"({"n": 3})"}).wait();
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_TRUE(p->resumed);
  EXPECT_EQ(p->run, run);
  EXPECT_EQ(p->finished, (std::vector<std::string>{"q1", "q2"}));
  ASSERT_EQ(p->abandoned.size(), 1u);
  EXPECT_EQ(p->abandoned[0].id, in_flight);
  EXPECT_EQ(p->abandoned[0].problem, "q3");
  EXPECT_EQ((*s->episode(in_flight).wait())->status, EpisodeStatus::kAbandoned);
  // Resuming again finds nothing more to abandon.
  EXPECT_TRUE(s->open_run({"gsm8k-mcts", "abc123", "{}"}).wait()->abandoned.empty());
  auto results = s->results(run).wait();
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 2u);
  EXPECT_EQ((*results)[0].problem, "q1");
  EXPECT_TRUE((*results)[0].has_tree);
  EXPECT_EQ(**s->tree(run, "q1").wait(), R"({"nodes": []})");
  EXPECT_FALSE(s->tree(run, "q3").wait()->has_value());
}

TEST(RunsTest, ChangedConfigIsNotResumed) {
  TempDir dir;
  auto s = open_store(dir.file("run.sqlite"));
  ASSERT_TRUE(s->open_run({"r", "hash-a", "{}"}).wait().ok());
  auto p = s->open_run({"r", "hash-b", "{}"}).wait();
  EXPECT_EQ(p.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(p.status().message().find("hash-a"), std::string::npos);
  EXPECT_EQ(s->open_run({"", "h", "{}"}).wait().status().code(), StatusCode::kInvalidArgument);
}

TEST(RunsTest, FinishProblemIsAtomicAndRecordedOnce) {
  TempDir dir;
  auto s = open_store(dir.file("run.sqlite"));
  const RunId run = s->open_run({"r", "h", "{}"}).wait()->run;
  auto ep = s->begin_episode(episode_of(run, "p")).wait();
  ASSERT_TRUE(ep.ok());
  ProblemResult r;
  r.run = run;
  r.problem = "p";
  r.episode = *ep;
  r.result_json = R"({"answer": 4})";
  r.tree_json = "{not json";
  EXPECT_EQ(s->finish_problem(r).wait().code(), StatusCode::kInvalidArgument);
  // Nothing of the failed attempt stayed: the episode still runs, no result exists.
  EXPECT_EQ((*s->episode(*ep).wait())->status, EpisodeStatus::kRunning);
  EXPECT_TRUE(s->results(run).wait()->empty());
  // An episode that is not running fails the whole commit too.
  r.tree_json = R"({"nodes": [1]})";
  r.episode = 9999;
  EXPECT_FALSE(s->finish_problem(r).wait().ok());
  EXPECT_TRUE(s->results(run).wait()->empty());
  r.episode = *ep;
  ASSERT_TRUE(s->finish_problem(r).wait().ok());
  EXPECT_EQ((*s->episode(*ep).wait())->status, EpisodeStatus::kFinished);
  r.episode.reset();
  EXPECT_EQ(s->finish_problem(r).wait().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(s->results(run).wait()->size(), 1u);
  r.run = 777;
  r.problem = "x";
  EXPECT_FALSE(s->finish_problem(r).wait().ok());  // no such run
  EXPECT_EQ(s->begin_episode(episode_of(777, "")).wait().status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace arbor::memory
