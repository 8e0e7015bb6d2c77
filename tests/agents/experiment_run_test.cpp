// The run-kind extension point: an `env` + `agent` config runs through a registered kind,
// which commits its episodes through RunContext::record; resume skips them; the summary
// groups them by their "algorithm" field; a kind's own validation errors keep their paths. The
// shipped reflexion kind on the embedded model at concurrency 1 and 4, stopped and resumed.
#include "agents/experiment_run.h"

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <stdlib.h>

#include "agents/experiment_config.h"
#include "agents/experiment_report.h"
#include "core/file.h"
#include "core/strings.h"

namespace arbor::agents {
namespace {

namespace fs = std::filesystem;

// A scripted loop: "attempts" episodes per seed, the last attempt of each succeeding.
int g_runs = 0;

StatusOr<Json> run_scripted(RunContext& ctx) {
  ++g_runs;
  const std::int64_t episodes = ctx.config()["agent"]["episodes"].get<std::int64_t>();
  std::int64_t recorded = 0;
  for (std::int64_t i = 0; i < episodes; ++i) {
    for (const char* attempt : {"attempt1", "attempt2"}) {
      const std::string id = "ep" + std::to_string(i);
      const std::string key = std::string(attempt) + "/" + id;
      if (ctx.finished(key)) continue;
      if (ctx.stop_requested()) return Status::cancelled("interrupted");
      ctx.record(key, Json{{"id", id},
                           {"algorithm", attempt},
                           {"correct", std::string(attempt) == "attempt2" || i == 0},
                           {"tokens", 10 * (i + 1)},
                           {"model_calls", 2},
                           {"time", 0.01}});
      ++recorded;
    }
  }
  ARBOR_RETURN_IF_ERROR(ctx.flush());
  return Json{{"recorded_this_session", recorded}};
}

std::vector<std::string> validate_scripted(const Json& config) {
  const Json& a = config["agent"];
  if (!a.contains("episodes") || !a["episodes"].is_number_integer() ||
      a["episodes"].get<std::int64_t>() < 1) {
    return {"agent.episodes: must be an integer >= 1"};
  }
  return {};
}

class ExperimentRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(register_run_kind({"scripted", validate_scripted, run_scripted}).ok());
  }
  void SetUp() override {
    char tmpl[] = "/tmp/arbor_experiment_run_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static Json config(std::int64_t episodes) {
    return Json{{"experiment", {{"name", "loop"}}},
                {"model", {{"path", ARBOR_SOURCE_DIR "/assets/arith-mamba2"}}},
                {"env", {{"id", "textworld:easy"}}},
                {"agent", {{"kind", "scripted"}, {"episodes", episodes}}}};
  }
  fs::path dir_;
};

TEST_F(ExperimentRunTest, RegisteredKindRunsAndResumes) {
  EXPECT_EQ(register_run_kind({"scripted", nullptr, run_scripted}).code(),
            StatusCode::kAlreadyExists);
  StatusOr<Json> resolved = resolve_experiment(config(3));
  ASSERT_TRUE(resolved.ok()) << resolved.status().to_string();
  const std::string run_dir = (dir_ / "run").string();
  const int runs_before = g_runs;
  StatusOr<Json> summary = start_run(*resolved, run_dir, {});
  ASSERT_TRUE(summary.ok()) << summary.status().to_string();
  EXPECT_EQ(g_runs, runs_before + 1);
  EXPECT_EQ((*summary)["recorded_this_session"], 6);
  EXPECT_EQ((*summary)["complete"], true);
  const Json& algos = (*summary)["algorithms"];
  ASSERT_TRUE(algos.contains("attempt1"));
  EXPECT_DOUBLE_EQ(algos["attempt1"]["accuracy"].get<double>(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(algos["attempt2"]["accuracy"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(algos["attempt2"]["tokens_per_problem"].get<double>(), 20.0);
  // Resume: every unit is committed, so the kind records nothing new.
  StatusOr<Json> again = resume_run(run_dir, {}, {});
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ((*again)["recorded_this_session"], 0);
  // The report reads the same summary.
  StatusOr<std::vector<ReportRow>> rows = load_report({run_dir});
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].algorithm, "attempt2");
  EXPECT_NE(report_table(*rows).find("attempt1"), std::string::npos);
  // A changed config is refused.
  StatusOr<Json> changed = resume_run(run_dir, {"agent.episodes=4"}, {});
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ExperimentRunTest, KindValidationErrorsKeepTheirPaths) {
  StatusOr<Json> r = resolve_experiment(config(0));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("agent.episodes: must be an integer >= 1"), std::string::npos)
      << r.status().message();
}

TEST_F(ExperimentRunTest, StopRequestedKeepsCommittedUnits) {
  StatusOr<Json> resolved = resolve_experiment(config(2));
  ASSERT_TRUE(resolved.ok());
  std::atomic<bool> stop{true};
  RunOptions o;
  o.hooks.stop = &stop;
  const std::string run_dir = (dir_ / "stopped").string();
  StatusOr<Json> s = start_run(*resolved, run_dir, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCancelled);
  const Json summary = *read_json_file(run_dir + "/summary.json");
  EXPECT_EQ(summary["complete"], false);
  stop = false;
  StatusOr<Json> resumed = resume_run(run_dir, {}, o);
  ASSERT_TRUE(resumed.ok()) << resumed.status().to_string();
  EXPECT_EQ((*resumed)["recorded_this_session"], 4);
}

// The plot puts more accurate runs higher and costlier ones further right (log scale here).
TEST(ExperimentReport, PlotPositionsFollowTheNumbers) {
  ReportRow a, b;
  a.run = b.run = "r";
  a.algorithm = "greedy";
  a.accuracy = 0.2;
  a.tokens_per_problem = 100;
  b.algorithm = "self_consistency";
  b.accuracy = 0.8;
  b.tokens_per_problem = 1000;
  const std::string html = report_html({a, b});
  std::vector<std::pair<double, double>> points;  // the two data points (r="6")
  for (auto p = html.find("<circle cx=\""); p != std::string::npos;
       p = html.find("<circle cx=\"", p + 1)) {
    const std::string tag = html.substr(p, html.find('>', p) - p);
    if (tag.find("r=\"6\"") == std::string::npos) continue;
    const double cx = std::stod(tag.substr(tag.find("cx=\"") + 4));
    const double cy = std::stod(tag.substr(tag.find("cy=\"") + 4));
    points.emplace_back(cx, cy);
  }
  ASSERT_EQ(points.size(), 2u);
  EXPECT_GT(points[1].first, points[0].first);    // more tokens: right
  EXPECT_LT(points[1].second, points[0].second);  // more accurate: up
  EXPECT_NE(html.find("(log scale)"), std::string::npos);
  const std::string table = report_table({a, b});
  EXPECT_NE(table.find("0.800"), std::string::npos);
  EXPECT_NE(table.find("1000.0"), std::string::npos);
}

// The search kind on the embedded model, in process (so the thread sanitizer sees the engine,
// the progress reporter and the store's writer together): 2 problems, greedy and 2 samples.
TEST_F(ExperimentRunTest, SearchKindOnTheEmbeddedModel) {
  Json c = {{"experiment", {{"name", "search"}, {"seed", 3}}},
            {"model", {{"path", ARBOR_SOURCE_DIR "/assets/arith-mamba2"}}},
            {"engine", {{"concurrency", 2}}},
            {"dataset", {{"id", "arith"}, {"range", {0, 2}}, {"arith", {{"seed", 3}}}}},
            {"sampler", {{"max_tokens", 16}}},
            {"search", {{"algorithms", {"greedy", {{"algorithm", "self_consistency"}, {"n", 2}}}}}},
            {"eval", {{"k", {1, 2}}}}};
  StatusOr<Json> resolved = resolve_experiment(c);
  ASSERT_TRUE(resolved.ok()) << resolved.status().to_string();
  std::atomic<int> progress_calls{0};
  RunOptions o;
  o.hooks.progress = [&](const RunProgress& p) {
    EXPECT_LE(p.done, p.total);
    progress_calls++;
  };
  const std::string run_dir = (dir_ / "search").string();
  StatusOr<Json> s = start_run(*resolved, run_dir, o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ((*s)["algorithms"]["greedy"]["problems"], 2);
  EXPECT_EQ((*s)["algorithms"]["self_consistency"]["calls_per_problem"], 2);
  // Greedy under a 16-token cap generates at most 16 tokens per problem.
  EXPECT_LE((*s)["algorithms"]["greedy"]["tokens_per_problem"].get<double>(), 16);
  EXPECT_GT((*s)["algorithms"]["greedy"]["tokens_per_problem"].get<double>(), 0);
  const std::string results = *read_file(run_dir + "/results.jsonl");
  EXPECT_EQ(std::count(results.begin(), results.end(), '\n'), 4);
}

// The reflexion kind on the embedded model: 4 short tasks at concurrency 1 and 4 give the same
// result lines (apart from times), and at concurrency 4 the engine batches more sequences per
// step. A run stopped after its first task keeps the tasks that finished and resumes.
class AgentKindTest : public ExperimentRunTest {
 protected:
  static void SetUpTestSuite() {}  // the shipped kinds need no registration
  static Json agent_config(std::int32_t concurrency, std::int32_t tasks = 4) {
    return Json{{"experiment", {{"name", "agents"}, {"seed", 1}}},
                {"model", {{"path", ARBOR_SOURCE_DIR "/assets/arith-mamba2"}}},
                {"engine", {{"concurrency", concurrency}}},
                {"env",
                 {{"id", "textworld:easy"},
                  {"options", {{"max_episode_steps", 3}}},
                  {"tasks", tasks},
                  {"seed", 1}}},
                {"agent",
                 {{"kind", "reflexion"},
                  {"attempts", 2},
                  {"max_steps", 2},
                  {"thought_max_tokens", 4},
                  {"reflection_max_tokens", 6}}}};
  }
  // The result lines by task id, without their times; with `logprobs`, the chosen actions'
  // scores are moved there (by task id, in order).
  static std::map<std::string, Json> lines(
      const std::string& run_dir, std::map<std::string, std::vector<double>>* logprobs = nullptr) {
    std::map<std::string, Json> out;
    for (const std::string& line : split(*read_file(run_dir + "/results.jsonl"), '\n')) {
      if (trim(line).empty()) continue;
      Json j = Json::parse(line);
      const std::string id = j["id"].get<std::string>();
      j.erase("time");
      for (Json& e : j["episodes"]) {
        e.erase("seconds");
        if (logprobs == nullptr) continue;
        for (Json& step : e["steps"]) {
          (*logprobs)[id].push_back(step["action_logprob"].get<double>());
          step.erase("action_logprob");
        }
      }
      out[id] = j;
    }
    return out;
  }
};

TEST_F(AgentKindTest, TasksGiveTheSameLinesWhateverTheConcurrency) {
  std::map<std::int32_t, std::map<std::string, Json>> by_concurrency;
  std::map<std::int32_t, std::map<std::string, std::vector<double>>> scores;
  std::map<std::int32_t, double> batch;
  for (std::int32_t concurrency : {1, 4}) {
    StatusOr<Json> resolved = resolve_experiment(agent_config(concurrency));
    ASSERT_TRUE(resolved.ok()) << resolved.status().to_string();
    const std::string run_dir = (dir_ / ("c" + std::to_string(concurrency))).string();
    StatusOr<Json> s = start_run(*resolved, run_dir, {});
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    EXPECT_EQ((*s)["agent"]["tasks"], 4);
    EXPECT_EQ((*s)["algorithms"]["reflexion"]["problems"], 4);
    batch[concurrency] = (*s)["mean_batch"].get<double>();
    by_concurrency[concurrency] = lines(run_dir, &scores[concurrency]);
    ASSERT_EQ(by_concurrency[concurrency].size(), 4u);
  }
  // Every thought, action, observation, reflection and count is the same. The scores of the
  // chosen actions agree to float rounding: the CPU backend's matrix products round
  // differently for different batch sizes (as they do between two attempts of one run).
  for (const auto& [id, line] : by_concurrency[1]) {
    EXPECT_EQ(line, by_concurrency[4][id]) << id;
    ASSERT_EQ(scores[1][id].size(), scores[4][id].size()) << id;
    for (std::size_t i = 0; i < scores[1][id].size(); ++i) {
      EXPECT_NEAR(scores[1][id][i], scores[4][id][i], 1e-3) << id << " step " << i;
    }
  }
  EXPECT_GT(batch[4], batch[1]);
}

TEST_F(AgentKindTest, AStoppedConcurrentRunKeepsItsTasksAndResumes) {
  StatusOr<Json> resolved = resolve_experiment(agent_config(2, 6));
  ASSERT_TRUE(resolved.ok()) << resolved.status().to_string();
  std::atomic<bool> stop{false};
  RunOptions o;
  o.hooks.stop = &stop;
  o.hooks.progress = [&](const RunProgress& p) {
    if (p.done >= 1) stop = true;
  };
  const std::string run_dir = (dir_ / "stopped").string();
  StatusOr<Json> s = start_run(*resolved, run_dir, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCancelled) << s.status().to_string();
  const std::map<std::string, Json> kept = lines(run_dir);
  // The first task and at most the other one in play when the stop came.
  ASSERT_GE(kept.size(), 1u);
  ASSERT_LE(kept.size(), 2u);
  EXPECT_EQ((*read_json_file(run_dir + "/summary.json"))["complete"], false);
  stop = false;
  o.hooks.progress = nullptr;
  StatusOr<Json> resumed = resume_run(run_dir, {}, o);
  ASSERT_TRUE(resumed.ok()) << resumed.status().to_string();
  EXPECT_EQ((*resumed)["agent"]["tasks"], 6);
  const std::map<std::string, Json> all = lines(run_dir);
  ASSERT_EQ(all.size(), 6u);
  for (const auto& [id, line] : kept) EXPECT_EQ(all.at(id), line) << id;
}

}  // namespace
}  // namespace arbor::agents
