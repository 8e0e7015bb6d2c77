// The CLI contract of arbor agent on a random-weight model: episodes as JSON lines and a
// summary, reflections in the memory database, and config errors (exit 2) naming the field.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/file.h"
#include "core/json.h"
#include "core/strings.h"

#include "tests/apps/cli_runner.h"

namespace arbor {
namespace {

using testing::run_arbor;

class AgentCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/arbor_agent_cli_XXXXXX";
    dir_ = new std::filesystem::path(::mkdtemp(tmpl));
    Json config = *read_json_file(ARBOR_SOURCE_DIR "/tests/data/parity/mamba2_b/config.json");
    config["vocab_size"] = 608;
    config["eos_token_id"] = 0;
    std::ofstream(*dir_ / "config.json") << config.dump();
    const auto r = run_arbor({"random-model", "--config", (*dir_ / "config.json").string(), "--out",
                              (*dir_ / "model").string(), "--seed", "3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::filesystem::copy(ARBOR_SOURCE_DIR "/tests/data/tokenizers/arith_bytelevel.json",
                          *dir_ / "model" / "tokenizer.json");
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string write_config(const std::string& name, const Json& j) {
    const std::string path = (*dir_ / name).string();
    std::ofstream(path) << j.dump();
    return path;
  }
  static std::string model() { return (*dir_ / "model").string(); }
  static std::filesystem::path* dir_;
};
std::filesystem::path* AgentCliTest::dir_ = nullptr;

TEST_F(AgentCliTest, ReflexionRunPrintsEpisodesAndSummary) {
  const Json config = {{"model", {{"path", model()}}},
                       {"env", {{"id", "textworld:easy"}, {"tasks", 2}, {"seed", 3}}},
                       {"agent",
                        {{"kind", "reflexion"},
                         {"attempts", 2},
                         {"max_steps", 3},
                         {"thought_max_tokens", 4},
                         {"reflection_max_tokens", 6}}},
                       {"memory", {{"database", (*dir_ / "runs" / "memory.db").string()}}}};
  const auto r = run_arbor({"agent", "--config", write_config("reflexion.json", config)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = split(std::string(trim(r.out)), '\n');
  ASSERT_GE(lines.size(), 3u);
  const Json summary = Json::parse(lines.back());
  EXPECT_EQ(summary["tasks"], 2);
  EXPECT_EQ(summary["kind"], "reflexion");
  EXPECT_EQ(summary["episodes"].get<std::size_t>(), lines.size() - 1);
  std::int64_t reflections = 0;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    const Json e = Json::parse(lines[i]);
    EXPECT_LE(e["n_steps"].get<int>(), 3);
    EXPECT_GT(e["steps"][0]["admissible"].get<int>(), 0);
    if (!e["won"].get<bool>()) {
      EXPECT_FALSE(e["reflection"].get<std::string>().empty());
      ++reflections;
    }
    // A second attempt starts with the first one's reflection.
    if (e["attempt"] == 1) {
      EXPECT_FALSE(e["reflections_used"].empty());
    }
  }
  EXPECT_EQ(summary["reflections_written"], reflections);
  EXPECT_TRUE(std::filesystem::exists(*dir_ / "runs" / "memory.db"));
  const auto stats =
      run_arbor({"memory", "stats", "--db", (*dir_ / "runs" / "memory.db").string()});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
}

TEST_F(AgentCliTest, ConfigErrorsExitTwoAndNameTheField) {
  Json config = {{"model", {{"path", model()}}},
                 {"env", {{"id", "textworld:easy"}}},
                 {"agent", {{"kind", "react"}, {"max_step", 3}}}};
  auto r = run_arbor({"agent", "--config", write_config("typo.json", config)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("agent.max_step"), std::string::npos) << r.err;

  config["agent"] = {{"kind", "reflexion"}};
  r = run_arbor({"agent", "--config", write_config("nodb.json", config)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("memory.database"), std::string::npos) << r.err;

  config["agent"] = {{"kind", "react"}};
  config["env"]["id"] = "zmachine:/nonexistent/game.z5";
  r = run_arbor({"agent", "--config", write_config("nogame.json", config)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/game.z5"), std::string::npos) << r.err;

  config["env"]["id"] = "textworld:easy";
  config["model"]["path"] = "/nonexistent/model";
  r = run_arbor({"agent", "--config", write_config("nomodel.json", config)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/model"), std::string::npos) << r.err;
}

// `arbor run` on the shipped Reflexion config: one committed line per task, the agent summary,
// and a resume that finds every task finished.
TEST_F(AgentCliTest, ArborRunCommitsTasksAndResumes) {
  const std::string out = (*dir_ / "run").string();
  auto r = run_arbor({"run", ARBOR_SOURCE_DIR "/configs/textworld_reflexion.json", "--out", out,
                      "--set", "model.path=" ARBOR_SOURCE_DIR "/assets/arith-mamba2", "--set",
                      "env.tasks=2", "--set", "agent.max_steps=3", "--set",
                      "agent.thought_max_tokens=4", "--set", "agent.reflection_max_tokens=6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<Json> lines;
  {
    std::ifstream in(out + "/results.jsonl");
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(Json::parse(line));
    }
  }
  ASSERT_EQ(lines.size(), 2u);
  for (const Json& l : lines) {
    EXPECT_EQ(l["algorithm"], "reflexion");
    EXPECT_EQ(l["env"], "textworld:easy");
    const bool won = l["correct"].get<bool>();
    EXPECT_EQ(l["episodes"].size(), won ? l["won_at_attempt"].get<std::size_t>() : 3u);
    EXPECT_LE(l["episodes"][0]["n_steps"].get<int>(), 3);
  }
  const Json summary = *read_json_file(out + "/summary.json");
  EXPECT_EQ(summary["complete"], true);
  EXPECT_EQ(summary["agent"]["tasks"], 2);
  EXPECT_EQ(summary["agent"]["success_by_attempt"].size(), 3u);
  EXPECT_EQ(summary["algorithms"]["reflexion"]["problems"], 2);
  // Resuming finds both tasks committed: nothing is redone.
  r = run_arbor({"run", "--resume", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t n = 0;
  std::ifstream in(out + "/results.jsonl");
  for (std::string line; std::getline(in, line);) n += line.empty() ? 0 : 1;
  EXPECT_EQ(n, 2u);
}

// `arbor run` with self-refine (the arith step checker in the loop) and SETS: each result line
// holds its chains' correctness by turn, and the summary their turn statistics.
TEST_F(AgentCliTest, ArborRunReportsTurnsOfSelfCorrection) {
  const Json config = {{"experiment", {{"name", "loops"}, {"seed", 3}}},
                       {"model", {{"path", ARBOR_SOURCE_DIR "/assets/arith-mamba2"}}},
                       {"engine", {{"concurrency", 3}}},
                       {"dataset", {{"id", "arith"}, {"range", {0, 3}}, {"arith", {{"seed", 3}}}}},
                       {"sampler", {{"max_tokens", 64}}},
                       {"search",
                        {{"budget", {{"max_tokens", 200}}},
                         {"algorithms",
                          {{{"algorithm", "self_refine"},
                            {"stop", "evaluator"},
                            {"evaluator", {{"kind", "verifier"}, {"name", "arith_steps"}}}},
                           {{"algorithm", "sets"}, {"m", 2}}}}}}};
  const std::string out = (*dir_ / "loops").string();
  auto r = run_arbor({"run", write_config("loops.json", config), "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(out + "/results.jsonl");
  int lines = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const Json j = Json::parse(line);
    ASSERT_TRUE(j.contains("chains")) << line;
    EXPECT_EQ(j["chains"].size(), j["algorithm"] == "sets" ? 2u : 1u);
    ++lines;
  }
  EXPECT_EQ(lines, 6);
  const Json summary = *read_json_file(out + "/summary.json");
  const Json& sr = summary["algorithms"]["self_refine"]["turns"];
  EXPECT_EQ(sr["chains"], 3);
  EXPECT_EQ(summary["algorithms"]["sets"]["turns"]["chains"], 6);
  EXPECT_NEAR(sr["final_accuracy"].get<double>() - sr["first_accuracy"].get<double>(),
              (sr["fixed"].get<double>() - sr["broken"].get<double>()) / 3.0, 1e-12);
}

}  // namespace
}  // namespace arbor
