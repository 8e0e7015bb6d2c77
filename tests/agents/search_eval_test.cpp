// The arith answer rules, the paired bootstrap and the evaluation driver end to end on a
// random-weight model (every accuracy is about 0: the mechanics are what is checked).
#include "agents/search_eval.h"

#include <fstream>

#include <gtest/gtest.h>

#include "agents/arith_answers.h"
#include "agents/stats.h"
#include "core/file.h"
#include "search/algorithm.h"
#include "search/evaluator.h"

#include "tests/agents/agents_test_util.h"

namespace arbor::agents {
namespace {

TEST(ArithAnswersTest, ExtractKeysAndGrades) {
  EXPECT_EQ(extract_arith_answer("37 + 48 = 85\nAnswer: 85"), "85");
  EXPECT_EQ(extract_arith_answer("Answer: 3\n5 * 2 = 10\nAnswer: 10\n"), "10");  // the last
  EXPECT_EQ(extract_arith_answer("**Answer:** 1,234."), "1234");
  EXPECT_EQ(extract_arith_answer("Answer: +012"), "12");
  EXPECT_EQ(extract_arith_answer("Answer: twelve"), "twelve");
  EXPECT_FALSE(extract_arith_answer("37 + 48 = 85").has_value());
  EXPECT_FALSE(extract_arith_answer("Answer:   ").has_value());
  EXPECT_EQ(arith_vote_key(" 007 "), "7");
  EXPECT_EQ(arith_vote_key("-0"), "0");
  EXPECT_TRUE(arith_answer_correct("85", "85"));
  EXPECT_TRUE(arith_answer_correct("1,234", "1234"));
  EXPECT_FALSE(arith_answer_correct("84", "85"));
  EXPECT_FALSE(arith_answer_correct("eighty-five", "85"));
  EXPECT_FALSE(arith_answer_correct("85.0", "85"));  // exact integers only
}

TEST(StatsTest, PairedBootstrap) {
  const std::vector<double> a = {1, 1, 0, 1, 0, 1, 1, 0, 1, 1};
  const std::vector<double> b = {0, 1, 0, 0, 0, 1, 0, 0, 1, 0};
  const PairedDifference d = paired_bootstrap(a, b, 4000, 9);
  EXPECT_DOUBLE_EQ(d.mean, 0.4);
  EXPECT_LT(d.ci.lo, 0.4);
  EXPECT_GT(d.ci.hi, 0.4);
  EXPECT_GE(d.ci.lo, 0.0);  // every resample of these pairs has a difference >= 0
  EXPECT_LE(d.ci.hi, 0.8);
  // Reproducible; a constant difference has a point interval.
  const PairedDifference again = paired_bootstrap(a, b, 4000, 9);
  EXPECT_EQ(again.ci.lo, d.ci.lo);
  EXPECT_EQ(again.ci.hi, d.ci.hi);
  const PairedDifference same = paired_bootstrap(a, a, 100, 1);
  EXPECT_EQ(same.mean, 0);
  EXPECT_EQ(same.ci.lo, 0);
  EXPECT_EQ(same.ci.hi, 0);
  // The interval narrows with more problems.
  std::vector<double> a4, b4;
  for (int i = 0; i < 40; ++i) {
    a4.insert(a4.end(), a.begin(), a.end());
    b4.insert(b4.end(), b.begin(), b.end());
  }
  const PairedDifference wide = paired_bootstrap(a4, b4, 4000, 9);
  EXPECT_LT(wide.ci.hi - wide.ci.lo, (d.ci.hi - d.ci.lo) / 3);
}

// The shipped measurement config holds valid algorithms and evaluators.
TEST(SearchEvalTest, ShippedConfigIsValid) {
  auto config = read_json_file(ARBOR_SOURCE_DIR "/configs/search/search_eval.json");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  for (const auto& [name, fields] : (*config)["algorithms"].items()) {
    Json c = fields;
    c["algorithm"] = name;
    auto a = search::make_algorithm(c, name);
    EXPECT_TRUE(a.ok()) << a.status().to_string();
  }
  for (const auto& [name, spec] : (*config)["evaluators"].items()) {
    auto e = search::make_evaluator(spec, {}, name);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
  }
  EXPECT_TRUE((*config)["greedy"].is_object());
}

TEST(SearchEvalTest, ReadProblemsNamesTheLine) {
  const std::string path = ::testing::TempDir() + "/problems.jsonl";
  ASSERT_TRUE(write_file_atomic(path, R"({"id": "a", "question": "1 + 1?", "answer": "2", "x": 1})"
                                      "\n\n"
                                      R"({"id": "b", "question": "2 + 2?"})"
                                      "\n")
                  .ok());
  auto p = read_problems(path, 0);
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find(path + ":3"), std::string::npos) << p.status().message();
  EXPECT_NE(p.status().message().find("answer"), std::string::npos);
  auto one = read_problems(path, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].question, "1 + 1?");
}

TEST(SearchEvalTest, RunsGreedyAndAlgorithmsAtBudgets) {
  const auto dir = testing::make_model_dir();
  auto engine = testing::make_engine(dir);
  std::vector<EvalProblem> problems;
  for (int i = 0; i < 4; ++i) {
    EvalProblem p;
    p.id = "p";
    p.id += std::to_string(i);
    p.question = "What is ";
    p.question += std::to_string(i);
    p.question += " + 7?";
    p.answer = std::to_string(i + 7);
    problems.push_back(p);
  }
  SearchEvalOptions o;
  o.algorithms = {"self_consistency", "mctsr"};
  o.budgets = {"3x", "40"};
  o.concurrency = 3;
  o.bootstrap = 200;
  o.per_problem = true;
  o.trees_dir = (dir / "trees").string();
  o.config = Json::parse(R"({"algorithms": {"self_consistency": {"max_tokens": 8},
      "mctsr": {"max_tokens": 8, "critique_max_tokens": 4}}, "greedy": {"max_tokens": 12}})");
  std::vector<std::string> lines;
  o.progress = [&](const std::string& l) { lines.push_back(l); };
  auto report = run_search_eval(*engine, problems, o);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  const Json& r = *report;
  EXPECT_EQ(r["problems"], 4);
  ASSERT_EQ(r["runs"].size(), 1u + 2 * 2);
  EXPECT_EQ(lines.size(), 5u);
  const double greedy_tokens = r["greedy_mean_tokens"].get<double>();
  EXPECT_GT(greedy_tokens, 0);
  EXPECT_LE(greedy_tokens, 12);
  EXPECT_EQ(r["budgets"][0]["max_tokens"], std::llround(3 * greedy_tokens));
  EXPECT_EQ(r["budgets"][1]["max_tokens"], 40);
  for (const Json& run : r["runs"]) {
    EXPECT_TRUE(run["tokens_match_engine"].get<bool>()) << run["algorithm"];
    EXPECT_GT(run["engine"]["mean_batch"].get<double>(), 0.0);
    EXPECT_EQ(run["per_problem"].size(), 4u);
    EXPECT_GE(run["pass_at_k"].get<double>(), run["accuracy"].get<double>());
    if (run["algorithm"] != "greedy") {
      EXPECT_TRUE(run.contains("vs_greedy"));
      EXPECT_EQ(run["vs_greedy"]["ci95"].size(), 2u);
    }
    if (run["algorithm"] == "mctsr") {
      EXPECT_TRUE(run.contains("vs_self_consistency"));
      EXPECT_TRUE(run.contains("tokens_ratio_to_self_consistency"));
      EXPECT_EQ(run["evaluator"]["kind"], "verdict");
      EXPECT_EQ(run["config"]["max_tokens"], 8);
    }
  }
  // Concurrent problems share engine steps.
  EXPECT_GT(r["runs"][1]["engine"]["mean_batch"].get<double>(), 1.0);
  EXPECT_TRUE(file_exists((dir / "trees" / "mctsr@40" / "p2.json").string()));
  auto tree = read_json_file((dir / "trees" / "mctsr@40" / "p2.json").string());
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ((*tree)["gold"], "9");
  EXPECT_GT((*tree)["tree"]["nodes"].size(), 2u);

  o.algorithms = {"mcts"};
  EXPECT_EQ(run_search_eval(*engine, problems, o).status().code(), StatusCode::kInvalidArgument);
  o.algorithms = {"mctsr"};
  o.config = Json::parse(R"({"algorithms": {"mctsr": {"iters": 3}}})");
  EXPECT_EQ(run_search_eval(*engine, problems, o).status().message().substr(0, 41),
            "config.algorithms.mctsr: unknown field 'i");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace arbor::agents

namespace arbor::agents {
namespace {

// Self-refine and SETS runs report turn-by-turn accuracy over their chains.
TEST(SearchEvalTest, ReportsTurnsForSelfCorrection) {
  const auto dir = testing::make_model_dir();
  auto engine = testing::make_engine(dir);
  std::vector<EvalProblem> problems;
  for (int i = 0; i < 3; ++i) {
    EvalProblem p;
    p.id = "q" + std::to_string(i);
    p.question = "What is " + std::to_string(i) + " + 2?";
    p.answer = std::to_string(i + 2);
    problems.push_back(p);
  }
  SearchEvalOptions o;
  o.algorithms = {"self_refine", "sets"};
  o.budgets = {"60"};
  o.bootstrap = 50;
  o.config = Json::parse(R"({"algorithms": {
      "self_refine": {"max_tokens": 8, "critique_max_tokens": 4, "rounds": 3},
      "sets": {"m": 2, "max_tokens": 8, "critique_max_tokens": 4}},
      "greedy": {"max_tokens": 8}})");
  auto report = run_search_eval(*engine, problems, o);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  for (const Json& run : (*report)["runs"]) {
    if (run["algorithm"] == "greedy") {
      EXPECT_FALSE(run.contains("turns"));
      continue;
    }
    ASSERT_TRUE(run.contains("turns")) << run["algorithm"];
    const Json& t = run["turns"];
    EXPECT_EQ(t["chains"], run["algorithm"] == "sets" ? 6 : 3);
    ASSERT_GE(t["turns"].size(), 1u);
    // Accuracy moves by exactly the fixed minus the broken chains.
    const double chains = t["chains"].get<double>();
    EXPECT_NEAR(t["final_accuracy"].get<double>() - t["first_accuracy"].get<double>(),
                (t["fixed"].get<double>() - t["broken"].get<double>()) / chains, 1e-12);
    EXPECT_TRUE(run["tokens_match_engine"].get<bool>());
  }
}

}  // namespace
}  // namespace arbor::agents
