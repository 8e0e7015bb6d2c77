// The CLI contract of arbor search and arbor search-eval on a random-weight model.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/file.h"
#include "core/json.h"

#include "tests/apps/cli_runner.h"

namespace arbor {
namespace {

using testing::run_arbor;

class SearchCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/arbor_search_cli_XXXXXX";
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
    std::ofstream(*dir_ / "problems.jsonl")
        << R"({"id": "a", "question": "What is 2 + 3?", "answer": "5"})"
        << "\n"
        << R"({"id": "b", "question": "What is 4 * 6?", "answer": "24"})"
        << "\n";
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string model() { return (*dir_ / "model").string(); }
  static std::filesystem::path* dir_;
};
std::filesystem::path* SearchCliTest::dir_ = nullptr;

TEST_F(SearchCliTest, SearchPrintsTheResultAndTree) {
  auto r =
      run_arbor({"search", "--model", model(), "--question", "What is 2 + 3?", "--algorithm",
                 "self_consistency", "--config", R"({"n": 2, "max_tokens": 6})", "--seed", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["algorithm"], "self_consistency");
  EXPECT_EQ(j["tree"]["nodes"].size(), 3u);
  EXPECT_EQ(j["tree"]["nodes"][0]["text"], "Problem: What is 2 + 3?\nSolution:\n");
  EXPECT_EQ(j["usage"]["calls"], 2);
  EXPECT_LE(j["usage"]["tokens"].get<int>(), 12);
  // The same seed prints the same tree.
  auto again =
      run_arbor({"search", "--model", model(), "--question", "What is 2 + 3?", "--algorithm",
                 "self_consistency", "--config", R"({"n": 2, "max_tokens": 6})", "--seed", "4"});
  EXPECT_EQ(Json::parse(again.out)["tree"], j["tree"]);
}

TEST_F(SearchCliTest, SearchErrorsNameTheFlag) {
  auto r = run_arbor({"search", "--model", model(), "--question", "Q", "--algorithm", "mcts"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown algorithm 'mcts'"), std::string::npos) << r.err;
  r = run_arbor({"search", "--model", model(), "--question", "Q", "--algorithm", "mctsr",
                 "--config", R"({"iterations": -1})"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--config.iterations"), std::string::npos) << r.err;
  r = run_arbor({"search", "--model", model(), "--algorithm", "cot"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--question"), std::string::npos) << r.err;
}

TEST_F(SearchCliTest, SearchEvalWritesTheReport) {
  const std::string out = (*dir_ / "report.json").string();
  auto r = run_arbor({"search-eval", "--model", model(), "--problems",
                      (*dir_ / "problems.jsonl").string(), "--algorithms", "self_consistency",
                      "--budgets", "2x", "--bootstrap", "50", "--out", out, "--config",
                      R"({"greedy": {"max_tokens": 6},
                          "algorithms": {"self_consistency": {"max_tokens": 6}}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["problems"], 2);
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_EQ(j["runs"][0]["algorithm"], "greedy");
  EXPECT_EQ(j["runs"][1]["algorithm"], "self_consistency");
  EXPECT_TRUE(j["runs"][1]["tokens_match_engine"].get<bool>());
  EXPECT_EQ(*read_json_file(out), j);
  EXPECT_NE(r.err.find("self_consistency @2x"), std::string::npos);  // progress on stderr
}

TEST_F(SearchCliTest, SearchEvalInputErrors) {
  auto r = run_arbor({"search-eval", "--model", model()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--problems"), std::string::npos) << r.err;
  const std::string bad = (*dir_ / "bad.jsonl").string();
  std::ofstream(bad) << R"({"id": "a", "question": "Q", "answer": "1"})"
                     << "\n"
                     << "{oops\n";
  r = run_arbor({"search-eval", "--model", model(), "--problems", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(bad + ":2"), std::string::npos) << r.err;
  r = run_arbor({"search-eval", "--model", model(), "--problems",
                 (*dir_ / "problems.jsonl").string(), "--budgets", "0x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--budgets"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace arbor
