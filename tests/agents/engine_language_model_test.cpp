// EngineLanguageModel against direct engine requests, and every search algorithm on the
// engine with a random-weight model: token and request accounting equal the engine's own
// counts, budgets stop searches, and a seed reproduces the tree.
#include "agents/engine_language_model.h"

#include <cmath>

#include <gtest/gtest.h>

#include "agents/arith_answers.h"
#include "search/algorithm.h"
#include "search/evaluator.h"
#include "search/seeds.h"

#include "tests/agents/agents_test_util.h"

namespace arbor::agents {
namespace {

using testing::run_task;

class EngineLmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dir_ = new std::filesystem::path(testing::make_model_dir()); }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::filesystem::path* dir_;
};
std::filesystem::path* EngineLmTest::dir_ = nullptr;

TEST_F(EngineLmTest, SampleForksAndMatchesDirectGenerates) {
  auto engine = testing::make_engine(*dir_);
  EngineLanguageModel lm(*engine);
  auto ctx = run_task(lm.start("Problem: 12 + 30\nSolution:\n"));
  ASSERT_TRUE(ctx.ok()) << ctx.status().to_string();
  const runtime::Sequence& seq = EngineLanguageModel::sequence_of(*ctx);
  EXPECT_EQ(seq.tokens(), engine->tokenizer()->encode("Problem: 12 + 30\nSolution:\n"));
  auto child = run_task(lm.extend(*ctx, "7 + 5"));
  ASSERT_TRUE(child.ok());
  std::vector<std::int32_t> want = seq.tokens();
  for (std::int32_t id : engine->tokenizer()->encode("7 + 5")) want.push_back(id);
  EXPECT_EQ(EngineLanguageModel::sequence_of(*child).tokens(), want);

  search::SampleParams p;
  p.temperature = 0.9f;
  p.max_tokens = 10;
  p.seed = 42;
  const runtime::Metrics before = engine->metrics();
  auto samples = run_task(lm.sample(*ctx, 3, p));
  ASSERT_TRUE(samples.ok()) << samples.status().to_string();
  const runtime::Metrics after = engine->metrics();
  EXPECT_EQ(after.forks - before.forks, 3u);  // n forks
  EXPECT_EQ(after.requests - before.requests, 3u);
  EXPECT_EQ(after.bytes_copied, 0u);  // forking copied no state
  std::int64_t tokens = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    runtime::GenerateParams g;
    g.sampling = {0.9f, 0, 1.0f, 0.0f};
    g.max_tokens = 10;
    g.seed = search::derive_seed(42, i);
    auto direct = run_task(engine->generate(seq, g));
    ASSERT_TRUE(direct.ok());
    const search::Sample& s = (*samples)[i];
    EXPECT_EQ(s.text, direct->text) << i;
    EXPECT_EQ(s.tokens, static_cast<std::int64_t>(direct->ids.size()));
    double lp = 0;
    for (float x : direct->logprobs) lp += x;
    EXPECT_NEAR(s.logprob, lp, 1e-4 * std::max(1.0, std::fabs(lp)));
    EXPECT_EQ(EngineLanguageModel::sequence_of(s.context).tokens().size(),
              seq.tokens().size() + direct->ids.size());
    tokens += s.tokens;
  }
  EXPECT_EQ(static_cast<std::int64_t>(after.tokens_generated - before.tokens_generated), tokens);
  EXPECT_NE((*samples)[0].text, (*samples)[1].text);  // distinct seeds, distinct samples

  // logprob is the engine's score, summed; value is the reward head.
  auto lp = run_task(lm.logprob(*ctx, " correct"));
  auto direct = run_task(engine->score(seq, engine->tokenizer()->encode(" correct")));
  ASSERT_TRUE(lp.ok() && direct.ok());
  double sum = 0;
  for (float x : *direct) sum += x;
  EXPECT_NEAR(*lp, sum, 1e-4);
  auto v = run_task(lm.value(*ctx, "prm"));
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  ASSERT_EQ(v->size(), 1u);
  EXPECT_GT((*v)[0], 0.0f);
  EXPECT_LT((*v)[0], 1.0f);
  EXPECT_EQ(run_task(lm.value(*ctx, "orm")).status().code(), StatusCode::kNotFound);
}

struct AlgorithmCase {
  const char* name;
  const char* config;
  const char* evaluator;  // "" for none
  std::int64_t budget;    // max_tokens; 0 for none
  std::int64_t round;     // most tokens one round can generate (for the budget check)
};

// Small settings, so each runs in well under a second on the CPU (also under sanitizers).
// The step delimiter is "5": a random model rarely writes a newline, but often a 5, so step
// searches grow trees more than one step deep.
const AlgorithmCase kCases[] = {
    {"cot", R"({"algorithm": "cot", "max_tokens": 12})", "", 0, 12},
    {"self_consistency",
     R"({"algorithm": "self_consistency", "n": 0, "batch": 3, "max_tokens": 8})", "", 40, 24},
    {"best_of_n", R"({"algorithm": "best_of_n", "n": 3, "max_tokens": 8})", "verdict", 0, 24},
    {"weighted_vote", R"({"algorithm": "weighted_vote", "n": 3, "max_tokens": 8})", "pairwise", 0,
     24},
    {"beam_search", R"({"algorithm": "beam_search", "n": 4, "m": 2, "max_steps": 3,
      "max_tokens": 6, "final_max_tokens": 8})",
     "prm", 30, 32},
    {"dvts", R"({"algorithm": "dvts", "n": 4, "m": 2, "max_steps": 3, "max_tokens": 6,
      "final_max_tokens": 8})",
     "prm", 0, 32},
    {"step_mcts", R"({"algorithm": "step_mcts", "width": 2, "parallel": 2, "iterations": 4,
      "max_tokens": 6, "max_depth": 3})",
     "prm", 30, 24},
    {"step_mcts_rollout", R"({"algorithm": "step_mcts", "width": 2, "iterations": 2,
      "max_tokens": 6, "value": "rollout", "rollout_max_tokens": 8})",
     "verdict", 0, 28},
    {"mctsr", R"({"algorithm": "mctsr", "iterations": 3, "max_tokens": 8,
      "critique_max_tokens": 4})",
     "verdict", 30, 12},
    {"mctsr_sampled", R"({"algorithm": "mctsr", "iterations": 2, "max_tokens": 8,
      "critique_max_tokens": 4})",
     "sampled_score", 0, 12 + 3 * 16},
    {"tot_bfs", R"({"algorithm": "tot_bfs", "n_generate": 2, "breadth": 2, "max_steps": 2,
      "max_tokens": 6, "final_max_tokens": 8})",
     "", 0, 32},
    {"sets", R"({"algorithm": "sets", "m": 2, "rounds": 1, "max_tokens": 8,
      "critique_max_tokens": 4})",
     "", 0, 24},
};

search::SearchResult run_case(runtime::Engine& engine, const AlgorithmCase& c, std::uint64_t seed,
                              runtime::Metrics* before, runtime::Metrics* after) {
  auto algorithm = search::make_algorithm(Json::parse(c.config), c.name);
  EXPECT_TRUE(algorithm.ok()) << algorithm.status().to_string();
  std::unique_ptr<search::Evaluator> evaluator;
  if (*c.evaluator) {
    evaluator = *search::make_evaluator(Json{{"kind", c.evaluator}}, {}, "evaluator");
  }
  search::RunOptions o;
  o.prompts.step_delimiter = "5";
  o.answers = arith_answer_rules();
  o.budget.max_tokens = c.budget;
  o.seed = seed;
  o.evaluator = evaluator.get();
  EngineLanguageModel lm(engine);
  *before = engine.metrics();
  auto r = run_task(search::run_search(**algorithm, lm, {"p1", "What is 12 + 30?"}, o));
  *after = engine.metrics();
  EXPECT_TRUE(r.ok()) << c.name << ": " << r.status().to_string();
  return r.ok() ? std::move(*r) : search::SearchResult();
}

// Two trees are the same when their structure, texts, answers and token counts are equal and
// their scores agree to rounding (batch composition changes the last bits of a logit).
void expect_same_tree(const search::Tree& a, const search::Tree& b, const char* name) {
  ASSERT_EQ(a.size(), b.size()) << name;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const search::Node& x = a.nodes()[i];
    const search::Node& y = b.nodes()[i];
    EXPECT_EQ(x.parent, y.parent) << name << " node " << i;
    EXPECT_EQ(x.text, y.text) << name << " node " << i;
    EXPECT_EQ(x.answer, y.answer) << name << " node " << i;
    EXPECT_EQ(x.tokens, y.tokens) << name << " node " << i;
    EXPECT_EQ(x.visits, y.visits) << name << " node " << i;
    ASSERT_EQ(x.rewards.size(), y.rewards.size()) << name << " node " << i;
    for (std::size_t k = 0; k < x.rewards.size(); ++k) {
      EXPECT_NEAR(x.rewards[k], y.rewards[k], 1e-3 * std::max(1.0, std::fabs(x.rewards[k])))
          << name << " node " << i;
    }
    EXPECT_NEAR(x.value, y.value, 1e-3 * std::max(1.0, std::fabs(x.value))) << name;
  }
}

TEST_F(EngineLmTest, EveryAlgorithmAccountsTokensLikeTheEngineAndReproducesItsTree) {
  auto engine = testing::make_engine(*dir_);
  for (const AlgorithmCase& c : kCases) {
    runtime::Metrics before, after;
    const search::SearchResult a = run_case(*engine, c, 7, &before, &after);
    // Alone on the engine, the search's counts are the engine's.
    EXPECT_EQ(a.usage.tokens,
              static_cast<std::int64_t>(after.tokens_generated - before.tokens_generated))
        << c.name;
    EXPECT_EQ(a.usage.calls + a.usage.prefill_calls,
              static_cast<std::int64_t>(after.requests - before.requests))
        << c.name;
    EXPECT_GT(a.usage.tokens, 0) << c.name;
    EXPECT_GT(a.tree.size(), 1u) << c.name;
    EXPECT_EQ(after.bytes_copied, 0u) << c.name;
    std::int64_t node_tokens = 0;
    for (const search::Node& n : a.tree.nodes()) node_tokens += n.tokens;
    EXPECT_LE(node_tokens, a.usage.tokens) << c.name;  // judges' tokens are not in nodes
    if (c.budget > 0) {
      EXPECT_LE(a.usage.tokens, c.budget + c.round) << c.name;
    }
    // The same seed reproduces the tree; another seed changes it.
    const search::SearchResult b = run_case(*engine, c, 7, &before, &after);
    expect_same_tree(a.tree, b.tree, c.name);
    EXPECT_EQ(a.answer, b.answer) << c.name;
    EXPECT_EQ(a.usage.tokens, b.usage.tokens) << c.name;
    EXPECT_EQ(a.usage.calls, b.usage.calls) << c.name;
    if (std::string(c.name) != "cot") {  // greedy: no seed involved
      const search::SearchResult d = run_case(*engine, c, 8, &before, &after);
      bool differs = d.tree.size() != a.tree.size();
      for (std::size_t i = 0; !differs && i < a.tree.size(); ++i) {
        differs = a.tree.nodes()[i].text != d.tree.nodes()[i].text;
      }
      EXPECT_TRUE(differs) << c.name;
    }
  }
}

TEST_F(EngineLmTest, TokenBudgetsStopSearches) {
  auto engine = testing::make_engine(*dir_);
  // A budget of 20 tokens against rounds of 24: self-consistency stops after one round.
  const AlgorithmCase sc = {"sc", R"({"algorithm": "self_consistency", "n": 0, "batch": 3,
      "max_tokens": 8})",
                            "", 20, 24};
  runtime::Metrics before, after;
  const search::SearchResult r = run_case(*engine, sc, 3, &before, &after);
  EXPECT_EQ(r.stop, search::StopReason::kTokens);
  EXPECT_GE(r.usage.tokens, 10);
  EXPECT_LE(r.usage.tokens, 20 + 24);
  const AlgorithmCase mctsr = {"mctsr", R"({"algorithm": "mctsr", "iterations": 1000,
      "max_tokens": 8, "critique_max_tokens": 4})",
                               "verdict", 60, 12};
  const search::SearchResult m = run_case(*engine, mctsr, 3, &before, &after);
  EXPECT_EQ(m.stop, search::StopReason::kTokens);
  EXPECT_LE(m.usage.tokens, 60 + 12);
  EXPECT_GE(m.usage.tokens, 60 - 12);
}

}  // namespace
}  // namespace arbor::agents
