// A run killed with SIGKILL at random moments, twenty times, then resumed to the end, records
// every problem exactly once and leaves a database that passes its integrity checks.
#include <chrono>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>

#include "core/json.h"
#include "core/random.h"
#include "memory/store.h"

#include "tests/memory/test_util.h"

namespace arbor::memory {
namespace {

using testing::TempDir;

constexpr int kProblems = 500;
constexpr int kKills = 20;

TEST(CrashTest, KilledRunsResumeAndRecordEveryProblemOnce) {
  TempDir dir;
  const std::string db = dir.file("run.sqlite");
  const std::vector<std::string> argv = {testing::test_binary("crash_driver"), db,
                                         std::to_string(kProblems), "1000"};
  Rng rng(20261128);
  int killed_mid_run = 0;
  std::size_t previous_finished = 0;
  for (int k = 0; k < kKills; ++k) {
    const std::string out = dir.file("driver" + std::to_string(k) + ".out");
    const pid_t pid = testing::start_process(argv, out);
    ASSERT_GT(pid, 0);
    // Anywhere from before the database is open to deep into the run.
    std::this_thread::sleep_for(std::chrono::microseconds(rng.below(60000)));
    ::kill(pid, SIGKILL);
    const int status = testing::wait_process(pid);
    const std::string log = testing::read_bytes(out);
    ASSERT_FALSE(testing::contains(log, "error")) << log;
    if (status == -SIGKILL && !testing::contains(log, "\ndone\n")) ++killed_mid_run;
    // Progress only grows: a resumed run never loses a committed problem.
    const auto at = log.find("finished=");
    if (at != std::string::npos) {
      const std::size_t finished = std::stoul(log.substr(at + 9));
      EXPECT_GE(finished, previous_finished) << log;
      previous_finished = finished;
    }
  }
  EXPECT_GE(killed_mid_run, kKills / 2);  // the kills did land during runs

  const auto last = testing::run_process(argv);
  ASSERT_EQ(last.exit_code, 0) << last.out << last.err;
  ASSERT_TRUE(testing::contains(last.out, "\ndone\n")) << last.out;

  StoreOptions o;
  auto store = Store::open(db, o);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  EXPECT_EQ(*(*store)->check_integrity().wait(), "ok");
  auto progress = (*store)->open_run({"crash-test", "config-hash-1", "{}"}).wait();
  ASSERT_TRUE(progress.ok()) << progress.status().to_string();
  EXPECT_TRUE(progress->abandoned.empty());
  auto results = (*store)->results(progress->run).wait();
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), static_cast<std::size_t>(kProblems));
  auto episodes = (*store)->episodes(progress->run).wait();
  ASSERT_TRUE(episodes.ok());
  std::map<EpisodeId, Episode> by_id;
  std::map<std::string, int> finished_episodes;
  int abandoned = 0;
  for (const Episode& e : *episodes) {
    by_id[e.id] = e;
    if (e.status == EpisodeStatus::kFinished) ++finished_episodes[e.problem];
    if (e.status == EpisodeStatus::kAbandoned) ++abandoned;
    EXPECT_NE(e.status, EpisodeStatus::kRunning);
  }
  EXPECT_LE(abandoned, kKills);  // at most one problem in flight per kill
  for (int i = 0; i < kProblems; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "p%04d", i);
    const ProblemRecord& r = (*results)[static_cast<std::size_t>(i)];
    ASSERT_EQ(r.problem, name);
    auto json = parse_json(r.result_json, name);
    ASSERT_TRUE(json.ok());
    EXPECT_EQ((*json)["answer"].get<int>(), (i * i + 7) % 1000) << name;
    EXPECT_TRUE(r.has_tree) << name;
    // Its result and its one finished episode were committed together.
    ASSERT_TRUE(r.episode.has_value()) << name;
    EXPECT_EQ(by_id[*r.episode].status, EpisodeStatus::kFinished) << name;
    EXPECT_EQ(by_id[*r.episode].problem, name);
    EXPECT_EQ(finished_episodes[name], 1) << name;
    EXPECT_EQ((*store)->steps(*r.episode).wait()->size(), 3u) << name;
  }
}

}  // namespace
}  // namespace arbor::memory
