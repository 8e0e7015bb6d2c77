// The self-improvement loops on a scripted model: self-refine with each of its checks
// (its own critique, its own verdict, a reward model or a programmatic verifier in the loop),
// the self-reward evaluator, the environment verifiers, and the turn-by-turn statistics of
// self-correction.
#include <cmath>

#include <gtest/gtest.h>

#include "agents/arith_answers.h"
#include "agents/turn_stats.h"
#include "agents/verifiers.h"
#include "core/strings.h"
#include "search/algorithm.h"
#include "search/evaluator.h"

#include "tests/search/search_test_util.h"

namespace arbor::agents {
namespace {

using search::testing::candidate_in;
using search::testing::options;
using search::testing::ScriptedModel;
using search::testing::search;

bool ends(const std::string& s, const std::string& suffix) {
  return ends_with(s, suffix);
}

// A model that first answers wrongly ("1 + 1 = 3"), critiques a wrong answer by naming its
// step, and rewrites it right; the verify prompt judges by the candidate's answer.
ScriptedModel fixing_model(int* critiques) {
  ScriptedModel m;
  m.write = [critiques](const std::string& ctx, std::uint64_t, int) -> std::string {
    if (ends(ctx, "Solution:\n")) return "1 + 1 = 3\nAnswer: 3<eos>";
    if (ends(ctx, "Critique:")) {
      ++*critiques;
      return candidate_in(ctx).find("Answer: 3") != std::string::npos
                 ? " Step 1 is wrong.\nRefined:\n"
                 : " All steps are correct.\n";
    }
    if (ends(ctx, "Refined:\n")) return "1 + 1 = 2\nAnswer: 2<eos>";
    return "<eos>";
  };
  // The verify prompt: P(correct) 0.9 for the right answer, 0.2 for the wrong one.
  m.score = [](const std::string& ctx, const std::string& cont) {
    if (!ends(ctx, "Verdict:")) return -1.0;
    const bool right = candidate_in(ctx).find("Answer: 2") != std::string::npos;
    const double p = right ? 0.9 : 0.2;
    return std::log(cont == " correct" ? p : 1 - p);
  };
  return m;
}

std::vector<std::string> chain_answers(const search::SearchResult& r) {
  std::vector<std::string> out;
  for (const auto& chain : answer_chains(r.tree)) {
    for (const auto& a : chain) out.push_back(a.value_or("-"));
  }
  return out;
}

TEST(SelfRefineTest, StopsWhenItsOwnCritiqueSaysCorrect) {
  int critiques = 0;
  ScriptedModel m = fixing_model(&critiques);
  const auto r = search(m, {{"algorithm", "self_refine"}}, options(), "What is 1 + 1?");
  ASSERT_TRUE(r.answer.has_value());
  EXPECT_EQ(*r.answer, "2");
  EXPECT_EQ(chain_answers(r), (std::vector<std::string>{"3", "2"}));
  EXPECT_EQ(critiques, 2);  // the wrong answer's, then the stopping one
  const search::Node& second = r.tree.at(2);
  EXPECT_EQ(second.parent, 1);
  EXPECT_EQ(second.info["critique"], " Step 1 is wrong.");
  EXPECT_EQ(second.info["final_critique"], " All steps are correct.");
  EXPECT_EQ(r.stop, search::StopReason::kDone);
}

TEST(SelfRefineTest, EndsAfterItsRounds) {
  ScriptedModel m;
  int critiques = 0;
  m.write = [&](const std::string& ctx, std::uint64_t, int) -> std::string {
    if (ends(ctx, "Critique:")) {
      ++critiques;
      return " Step 1 is wrong.\n";
    }
    return "1 + 1 = 3\nAnswer: 3<eos>";
  };
  const auto r = search(m, {{"algorithm", "self_refine"}, {"rounds", 2}}, options());
  EXPECT_EQ(chain_answers(r), (std::vector<std::string>{"3", "3", "3"}));
  EXPECT_EQ(critiques, 2);
  EXPECT_EQ(*r.answer, "3");
}

TEST(SelfRefineTest, SelfVerifyStopsOnAVerifiedAnswer) {
  int critiques = 0;
  ScriptedModel m = fixing_model(&critiques);
  const auto r =
      search(m, {{"algorithm", "self_refine"}, {"stop", "verdict"}, {"rounds", 5}}, options());
  EXPECT_EQ(chain_answers(r), (std::vector<std::string>{"3", "2"}));
  EXPECT_EQ(critiques, 1);  // no critique once the rewrite was verified
  EXPECT_FALSE(r.tree.at(1).info["verified"].get<bool>());
  EXPECT_NEAR(r.tree.at(1).info["check"].get<double>(), 0.2, 1e-9);
  EXPECT_TRUE(r.tree.at(2).info["verified"].get<bool>());
  EXPECT_NEAR(r.tree.at(2).value, 0.9, 1e-9);
  EXPECT_EQ(*r.answer, "2");
}

TEST(SelfRefineTest, BestSelectionKeepsTheBetterCheckedAnswer) {
  // The rewrite is worse than the first answer: "last" takes it, "best" does not.
  ScriptedModel m;
  m.write = [](const std::string& ctx, std::uint64_t, int) -> std::string {
    if (ends(ctx, "Solution:\n")) return "2 + 2 = 4\nAnswer: 4<eos>";
    if (ends(ctx, "Critique:")) return " Step 1 is wrong.\n";
    return "2 + 2 = 5\nAnswer: 5<eos>";
  };
  m.score = [](const std::string& ctx, const std::string& cont) {
    const double p = candidate_in(ctx).find("Answer: 4") != std::string::npos ? 0.4 : 0.1;
    return std::log(cont == " correct" ? p : 1 - p);
  };
  Json config = {{"algorithm", "self_refine"}, {"stop", "verdict"}, {"rounds", 1}};
  EXPECT_EQ(*search(m, config, options()).answer, "5");
  config["selection"] = "best";
  EXPECT_EQ(*search(m, config, options()).answer, "4");
}

TEST(SelfRefineTest, VerifierInTheLoop) {
  // The arith step checker judges the steps from the question's numbers: "1 + 1 = 3" fails.
  int critiques = 0;
  ScriptedModel m = fixing_model(&critiques);
  m.score = [](const std::string&, const std::string&) -> double {
    ADD_FAILURE() << "a programmatic verifier needs no model judgement";
    return 0;
  };
  const search::Verifiers verifiers = env_verifiers();
  auto e = search::make_evaluator({{"kind", "verifier"}, {"name", "arith_steps"}}, verifiers, "e");
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  const Json config = {{"algorithm", "self_refine"}, {"stop", "evaluator"}};
  const auto r = search(m, config, options(1, e->get()), "What is 1 + 1?");
  EXPECT_EQ(chain_answers(r), (std::vector<std::string>{"3", "2"}));
  EXPECT_EQ(r.tree.at(1).rewards, (std::vector<double>{0}));
  EXPECT_EQ(r.tree.at(2).rewards, (std::vector<double>{1}));
  EXPECT_EQ(*r.answer, "2");
  // Without an evaluator the run is refused.
  auto algorithm = search::make_algorithm(config, "t");
  ASSERT_TRUE(algorithm.ok());
  EXPECT_TRUE((*algorithm)->needs_evaluator());
  auto refused = search::testing::run_task(
      search::run_search(**algorithm, m, {"p", "What is 1 + 1?"}, options()));
  EXPECT_FALSE(refused.ok());
}

TEST(SelfRefineTest, RewardHeadInTheLoop) {
  // The PRM head scores solve-format contexts: a high value once the right step is there.
  int critiques = 0;
  ScriptedModel m = fixing_model(&critiques);
  m.head = [](const std::string& ctx) {
    return std::vector<float>{ctx.find("1 + 1 = 2") != std::string::npos ? 0.95f : 0.1f};
  };
  auto e = search::make_evaluator({{"kind", "prm"}}, {}, "e");
  ASSERT_TRUE(e.ok());
  const auto r =
      search(m, {{"algorithm", "self_refine"}, {"stop", "evaluator"}, {"threshold", 0.8}},
             options(1, e->get()));
  EXPECT_EQ(chain_answers(r), (std::vector<std::string>{"3", "2"}));
  EXPECT_NEAR(r.tree.at(2).rewards.at(0), 0.95, 1e-6);
}

TEST(SelfRefineTest, SelfRewardIsTheVerdictMappedTo200pMinus100) {
  int critiques = 0;
  ScriptedModel m = fixing_model(&critiques);
  auto e = search::make_evaluator({{"kind", "self_reward"}}, {}, "e");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->range().lo, -100);
  EXPECT_EQ((*e)->range().hi, 100);
  // threshold 0.5 on [-100, 100] is a self-reward of 0: 0.2 -> -60 fails, 0.9 -> 80 passes.
  const auto r =
      search(m, {{"algorithm", "self_refine"}, {"stop", "evaluator"}}, options(1, e->get()));
  EXPECT_NEAR(r.tree.at(1).rewards.at(0), -60, 1e-9);
  EXPECT_NEAR(r.tree.at(2).rewards.at(0), 80, 1e-9);
  EXPECT_EQ(*r.answer, "2");
}

TEST(SelfRefineTest, ConfigErrorsNameTheField) {
  auto bad = search::make_algorithm({{"algorithm", "self_refine"}, {"stop", "oracle"}}, "cfg");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cfg.stop"), std::string::npos) << bad.status().message();
  auto typo = search::make_algorithm({{"algorithm", "self_refine"}, {"round", 2}}, "cfg");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("round"), std::string::npos);
}

TEST(SelfRefineTest, BudgetEndsTheChain) {
  ScriptedModel m;
  m.write = [](const std::string& ctx, std::uint64_t, int) -> std::string {
    if (ends(ctx, "Critique:")) return " Step 1 is wrong.\n";
    return "1 + 1 = 3\nAnswer: 3<eos>";
  };
  search::RunOptions o = options();
  o.budget.max_tokens = 60;
  const auto r = search(m, {{"algorithm", "self_refine"}, {"rounds", 100}}, o);
  EXPECT_EQ(r.stop, search::StopReason::kTokens);
  EXPECT_LT(chain_answers(r).size(), 10u);
  EXPECT_LE(r.usage.tokens, 60 + 40);  // at most about a round past the limit
}

TEST(VerifiersTest, ArithStepsAndGame24) {
  const search::Verifiers v = env_verifiers();
  const auto& arith = v.at("arith_steps");
  EXPECT_EQ(
      *arith("Tom has 37 apples and buys 48 more. How many?", "37 + 48 = 85\nAnswer: 85", false),
      1.0);
  // A wrong sum, an operand from nowhere, an answer that does not follow.
  EXPECT_EQ(*arith("Tom has 37 apples and buys 48 more.", "37 + 48 = 84\nAnswer: 84", false), 0.0);
  EXPECT_EQ(*arith("Tom has 37 apples and buys 48 more.", "37 + 40 = 77\nAnswer: 77", false), 0.0);
  EXPECT_EQ(*arith("Tom has 37 apples and buys 48 more.", "37 + 48 = 85\nAnswer: 86", false), 0.0);
  EXPECT_EQ(*arith("Tom has 37 apples and buys 48 more.", "37 + 48 = 85\n", true), 1.0);
  const auto& g24 = v.at("game24");
  EXPECT_EQ(*g24("4 4 6 8", "(6 - 4) * (4 + 8) = 24", false), 1.0);
  EXPECT_EQ(*g24("Use 4 4 6 8 to make 24.", "Answer: (6 - 4) * (4 + 8)", false), 1.0);
  EXPECT_EQ(*g24("4 4 6 8", "4 * 6 = 24", false), 0.0);  // not every number used
  EXPECT_FALSE(g24("4 6 8", "4 * 6 = 24", false).ok());
  // Through the evaluator factory: an unknown verifier is an error listing the known ones.
  auto e = search::make_evaluator({{"kind", "verifier"}, {"name", "chess"}}, v, "ev");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("arith_steps"), std::string::npos);
}

// A constructed case with known transitions (carried forward past each chain's end):
//   A: F T T (T)   B: T F (F F)   C: T (T T T)   D: F F F T
TEST(TurnStatsTest, ConstructedCase) {
  TurnStats s;
  s.add_chain({false, true, true});
  s.add_chain({true, false});
  s.add_chain({true});
  s.add_chain({false, false, false, true});
  EXPECT_EQ(s.chains(), 4);
  EXPECT_EQ(s.turns(), 4);
  EXPECT_DOUBLE_EQ(s.accuracy(0), 0.5);
  EXPECT_DOUBLE_EQ(s.accuracy(1), 0.5);
  EXPECT_DOUBLE_EQ(s.accuracy(2), 0.5);
  EXPECT_DOUBLE_EQ(s.accuracy(3), 0.75);
  EXPECT_EQ(s.correct_to_incorrect(1), 1);  // B
  EXPECT_EQ(s.incorrect_to_correct(1), 1);  // A
  EXPECT_EQ(s.correct_to_incorrect(2), 0);
  EXPECT_EQ(s.incorrect_to_correct(2), 0);
  EXPECT_EQ(s.incorrect_to_correct(3), 1);  // D
  EXPECT_EQ(s.revised(1), 3);
  EXPECT_EQ(s.revised(2), 2);
  EXPECT_EQ(s.revised(3), 1);
  const Json j = s.to_json();
  EXPECT_EQ(j["broken"], 1);
  EXPECT_EQ(j["fixed"], 2);
  EXPECT_DOUBLE_EQ(j["first_accuracy"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["final_accuracy"].get<double>(), 0.75);
  EXPECT_EQ(j["turns"].size(), 4u);
  EXPECT_EQ(j["turns"][3]["incorrect_to_correct"], 1);
}

TEST(TurnStatsTest, ScoresSetsChainsWithTheGoldOnlyAfterTheSearch) {
  // SETS with two chains: sample 0 answers 2 (right) and is verified; sample 1 answers 3,
  // is judged wrong and rewritten to 2. Scored against gold 2: turn 0 1/2, turn 1 2/2.
  ScriptedModel m;
  m.write = [](const std::string& ctx, std::uint64_t, int index) -> std::string {
    if (ends(ctx, "Solution:\n")) {
      return index == 0 ? "1 + 1 = 2\nAnswer: 2<eos>" : "1 + 1 = 3\nAnswer: 3<eos>";
    }
    if (ends(ctx, "Critique:")) return " Step 1 is wrong.\n";
    return "1 + 1 = 2\nAnswer: 2<eos>";
  };
  m.score = [](const std::string& ctx, const std::string& cont) {
    const double p = candidate_in(ctx).find("Answer: 2") != std::string::npos ? 0.9 : 0.2;
    return std::log(cont == " correct" ? p : 1 - p);
  };
  const auto r = search(m, {{"algorithm", "sets"}, {"m", 2}, {"rounds", 2}}, options());
  TurnStats s;
  s.add(r, [](std::string_view a) { return arith_answer_correct(a, "2"); });
  EXPECT_EQ(s.chains(), 2);
  EXPECT_EQ(s.turns(), 2);
  EXPECT_DOUBLE_EQ(s.accuracy(0), 0.5);
  EXPECT_DOUBLE_EQ(s.accuracy(1), 1.0);
  EXPECT_EQ(s.incorrect_to_correct(1), 1);
  EXPECT_EQ(s.correct_to_incorrect(1), 0);
  // The same result scored against another gold answer: the search did not depend on it.
  TurnStats other;
  other.add(r, [](std::string_view a) { return arith_answer_correct(a, "3"); });
  EXPECT_EQ(other.correct_to_incorrect(1), 1);
}

}  // namespace
}  // namespace arbor::agents
