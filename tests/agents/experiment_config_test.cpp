// Experiment configs: extends, --set, sweep, validation (every error names its JSON path),
// defaults, the hash.
#include "agents/experiment_config.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <stdlib.h>

namespace arbor::agents {
namespace {

namespace fs = std::filesystem;

// A valid config on the embedded model: arith test problems, two algorithms.
Json base_config() {
  return Json{
      {"experiment", {{"name", "t"}, {"seed", 3}}},
      {"model", {{"path", ARBOR_SOURCE_DIR "/assets/arith-mamba2"}}},
      {"dataset", {{"id", "arith"}, {"range", {0, 3}}, {"arith", {{"seed", 3}}}}},
      {"search", {{"algorithms", {"greedy", {{"algorithm", "self_consistency"}, {"n", 4}}}}}}};
}

std::string errors_of(const Json& config) {
  StatusOr<Json> r = resolve_experiment(config);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/arbor_config_test_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const Json& j) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << j.dump(1);
    return p.string();
  }
  fs::path dir_;
};

TEST(ExperimentConfig, ResolvesDefaultsAndAliases) {
  StatusOr<Json> r = resolve_experiment(base_config());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)["engine"]["concurrency"], 16);
  EXPECT_EQ((*r)["model"]["device"], "cpu");
  EXPECT_EQ((*r)["dataset"]["grader"], "arith");
  EXPECT_EQ((*r)["output"]["folder"], "runs/{name}-{time}");
  const std::vector<AlgorithmRun> runs = algorithm_runs(*r);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].name, "greedy");
  EXPECT_EQ(runs[0].algorithm["algorithm"], "cot");
  EXPECT_EQ(runs[0].algorithm["temperature"], 0);
  EXPECT_EQ(runs[1].algorithm["n"], 4);
  EXPECT_TRUE(runs[1].evaluator.is_null());  // self-consistency needs no judge
  // Resolving a resolved config changes nothing (resume re-validates it).
  StatusOr<Json> again = resolve_experiment(*r);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(config_hash(*again), config_hash(*r));
}

TEST(ExperimentConfig, BeamPrmUsesThePrmHeadAndMctsRTheJudge) {
  Json c = base_config();
  c["search"]["algorithms"] = {"beam_prm", "mcts_r"};
  c["sampler"] = {{"temperature", 0.7}};
  StatusOr<Json> r = resolve_experiment(c);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const auto runs = algorithm_runs(*r);
  EXPECT_EQ(runs[0].algorithm["algorithm"], "beam_search");
  EXPECT_EQ(runs[0].evaluator["kind"], "prm");
  EXPECT_EQ(runs[0].algorithm["temperature"], 0.7);  // the sampler's default
  EXPECT_EQ(runs[1].algorithm["algorithm"], "mctsr");
  EXPECT_EQ(runs[1].evaluator["kind"], "verdict");
}

TEST(ExperimentConfig, UnknownKeysNameTheNearestValidOne) {
  Json c = base_config();
  c["serach"] = Json::object();
  c["engine"] = {{"concurency", 4}};
  const std::string m = errors_of(c);
  EXPECT_NE(m.find("serach: unknown key (did you mean 'search'?)"), std::string::npos) << m;
  EXPECT_NE(m.find("engine.concurency: unknown key (did you mean 'concurrency'?)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("2 config errors"), std::string::npos) << m;
}

TEST(ExperimentConfig, AlgorithmFieldErrorsNameTheEntry) {
  Json c = base_config();
  c["search"]["algorithms"][1]["n"] = -1;
  std::string m = errors_of(c);
  EXPECT_NE(m.find("search.algorithms[1].n: must be in [0,"), std::string::npos) << m;
  c = base_config();
  c["search"]["algorithms"][1]["nn"] = 3;
  m = errors_of(c);
  EXPECT_NE(m.find("search.algorithms[1]: unknown field 'nn'"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'n'?"), std::string::npos) << m;
  c = base_config();
  c["search"]["algorithms"][0] = "beam_prn";
  m = errors_of(c);
  EXPECT_NE(m.find("search.algorithms[0].algorithm: unknown algorithm 'beam_prn' (did you mean "
                   "'beam_prm'?)"),
            std::string::npos)
      << m;
  // The single form: fields next to "algorithm".
  c = base_config();
  c["search"] = {{"algorithm", "self_consistency"}, {"n", "eight"}};
  m = errors_of(c);
  EXPECT_NE(m.find("search.n: must be an integer"), std::string::npos) << m;
}

TEST(ExperimentConfig, WrongTypesMissingFieldsAndRanges) {
  Json c = base_config();
  c["experiment"].erase("name");
  c["engine"] = {{"batch", "big"}, {"concurrency", 0}};
  c["model"]["memory_budget_mb"] = -5;
  c["search"]["budget"] = {{"max_tokens", -10}};
  c["eval"] = {{"k", {0}}};
  const std::string m = errors_of(c);
  for (const char* want :
       {"experiment.name: missing (required)", "engine.batch: must be an integer, not string",
        "engine.concurrency: must be >= 1, not 0", "model.memory_budget_mb: must be > 0, not -5",
        "search.budget.max_tokens: must be >= 0, not -10", "eval.k[0]: must be an integer >= 1"}) {
    EXPECT_NE(m.find(want), std::string::npos) << want << "\n" << m;
  }
}

TEST(ExperimentConfig, UnreadablePathsAreErrors) {
  Json c = base_config();
  c["model"]["path"] = "/nonexistent/checkpoint";
  std::string m = errors_of(c);
  EXPECT_NE(m.find("model.path: '/nonexistent/checkpoint': no such checkpoint folder"),
            std::string::npos)
      << m;
  c = base_config();
  c["dataset"] = {{"id", "gsm8k"}, {"path", "/nonexistent/test.jsonl"}};
  m = errors_of(c);
  EXPECT_NE(m.find("dataset.path: '/nonexistent/test.jsonl': no such file"), std::string::npos)
      << m;
  c = base_config();
  c["memory"] = {{"database", "/nonexistent/dir/m.sqlite"}};
  m = errors_of(c);
  EXPECT_NE(m.find("memory.database"), std::string::npos) << m;
}

TEST(ExperimentConfig, DatasetOrEnvAndAgentKinds) {
  Json c = base_config();
  c.erase("dataset");
  std::string m = errors_of(c);
  EXPECT_NE(m.find("dataset: missing: give 'dataset'"), std::string::npos) << m;
  c = base_config();
  c.erase("dataset");
  c.erase("search");
  c["env"] = {{"id", "txtworld"}};
  c["agent"] = {{"kind", "no_such_loop"}};
  m = errors_of(c);
  EXPECT_NE(m.find("agent.kind: 'no_such_loop' is not one of"), std::string::npos) << m;
  EXPECT_NE(m.find("env.id: unknown environment 'txtworld'"), std::string::npos) << m;
}

TEST(ExperimentConfig, HashIsCanonical) {
  Json a = Json::parse(R"({"b": 1, "a": {"y": [1, 2], "x": "s"}})");
  Json b = Json::parse(R"({"a": {"x": "s", "y": [1, 2]}, "b": 1})");
  EXPECT_EQ(config_hash(a), config_hash(b));
  b["b"] = 2;
  EXPECT_NE(config_hash(a), config_hash(b));
  EXPECT_EQ(config_hash(a).rfind("fnv1a64:", 0), 0u);
  EXPECT_EQ(config_hash(a).size(), 8u + 16u);
}

TEST_F(TempDir, ExtendsMergesRecursivelyAndDetectsCycles) {
  Json base = base_config();
  base["engine"] = {{"batch", 64}, {"concurrency", 8}};
  write("base/base.json", base);
  write("mid.json", Json{{"extends", "base/base.json"}, {"engine", {{"concurrency", 2}}}});
  const std::string top =
      write("top.json", Json{{"extends", "mid.json"}, {"experiment", {{"name", "top"}}}});
  StatusOr<Json> j = load_experiment_json(top, {});
  ASSERT_TRUE(j.ok()) << j.status().to_string();
  EXPECT_EQ((*j)["engine"]["batch"], 64);       // from base
  EXPECT_EQ((*j)["engine"]["concurrency"], 2);  // mid wins
  EXPECT_EQ((*j)["experiment"]["name"], "top");
  EXPECT_EQ((*j)["experiment"]["seed"], 3);  // merged, not replaced
  EXPECT_FALSE(j->contains("extends"));

  write("a.json", Json{{"extends", "b.json"}});
  const std::string b = write("b.json", Json{{"extends", "a.json"}});
  StatusOr<Json> cyc = load_experiment_json(b, {});
  ASSERT_FALSE(cyc.ok());
  EXPECT_NE(cyc.status().message().find("extends: cycle"), std::string::npos)
      << cyc.status().message();
  StatusOr<Json> missing =
      load_experiment_json(write("m.json", Json{{"extends", "nope.json"}}), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.json"), std::string::npos);
}

TEST_F(TempDir, SetOverridesAreJsonTyped) {
  const std::string path = write("c.json", base_config());
  StatusOr<Json> j = load_experiment_json(
      path, {"engine.concurrency=4", "experiment.name=named", "search.algorithms[1].n=16",
             "sampler={\"temperature\": 0.5}", "output.trees=false"});
  ASSERT_TRUE(j.ok()) << j.status().to_string();
  EXPECT_EQ((*j)["engine"]["concurrency"], 4);
  EXPECT_EQ((*j)["experiment"]["name"], "named");
  EXPECT_EQ((*j)["search"]["algorithms"][1]["n"], 16);
  EXPECT_EQ((*j)["sampler"]["temperature"], 0.5);
  EXPECT_EQ((*j)["output"]["trees"], false);
  EXPECT_FALSE(load_experiment_json(path, {"no_equals_sign"}).ok());
  EXPECT_FALSE(load_experiment_json(path, {"search.algorithms[7].n=1"}).ok());
  EXPECT_FALSE(load_experiment_json(path, {"experiment.name.x=1"}).ok());
}

TEST(ExperimentConfig, SweepExpandsTheCartesianProduct) {
  Json c = base_config();
  c["sweep"] = {{"engine.concurrency", {1, 2}}, {"experiment.seed", {5, 6, 7}}};
  StatusOr<std::vector<SweepPoint>> points = expand_sweep(c);
  ASSERT_TRUE(points.ok()) << points.status().to_string();
  ASSERT_EQ(points->size(), 6u);
  EXPECT_EQ((*points)[0].label, "concurrency=1,seed=5");
  EXPECT_EQ((*points)[5].label, "concurrency=2,seed=7");
  EXPECT_EQ((*points)[5].config["engine"]["concurrency"], 2);
  EXPECT_EQ((*points)[5].config["experiment"]["seed"], 7);
  EXPECT_EQ((*points)[5].config["experiment"]["name"], "t[concurrency=2,seed=7]");
  EXPECT_FALSE((*points)[0].config.contains("sweep"));
  for (const SweepPoint& p : *points) EXPECT_TRUE(resolve_experiment(p.config).ok());
  c["sweep"] = {{"engine.concurrency", Json::array()}};
  EXPECT_FALSE(expand_sweep(c).ok());
}

}  // namespace
}  // namespace arbor::agents
