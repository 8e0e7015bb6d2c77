// Every algorithm's mechanics on a scripted model, against hand-computed trees: votes and ties,
// beam pruning, UCT with virtual loss, MCTSr's rewards, values and choice, ToT's duplicate
// rule, SETS' verify-and-correct loop, budget stops, concurrency, JSON export and seeds.
#include <cmath>

#include <gtest/gtest.h>

#include "search/evaluators.h"

#include "tests/search/search_test_util.h"

namespace arbor::search {
namespace {

using testing::after_solution;
using testing::candidate_in;
using testing::options;
using testing::ScriptedModel;
using testing::search;

int depth_of(const std::string& ctx) {
  const std::string s = after_solution(ctx);
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

std::string answer(int n) {
  std::string s = "Answer: ";
  s += std::to_string(n);
  s += "<eos>";
  return s;
}

// A step line: a letter and a number ("a2\n").
std::string step(char letter, std::uint64_t n) {
  std::string s(1, letter);
  s += std::to_string(n);
  s += '\n';
  return s;
}

void expect_rewards(const Node& n, const std::vector<double>& want) {
  ASSERT_EQ(n.rewards.size(), want.size()) << "node " << n.id;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(n.rewards[i], want[i], 1e-9) << "node " << n.id << " reward " << i;
  }
}

// The export without the wall time, which no seed reproduces.
std::string timeless(const SearchResult& r) {
  Json j = r.to_json(true);
  j["usage"].erase("seconds");
  return j.dump();
}

// Scores solutions with a table (a programmatic verifier; no model requests).
VerifierEvaluator table_verifier(std::map<std::string, double> table) {
  return VerifierEvaluator("table",
                           [table](std::string_view, std::string_view s, bool) -> StatusOr<double> {
                             auto it = table.find(std::string(s));
                             return it == table.end() ? 0.0 : it->second;
                           },
                           {0, 1});
}

TEST(AlgorithmsTest, ChainOfThoughtGreedy) {
  ScriptedModel lm;
  lm.write = [](const std::string&, std::uint64_t, int) {
    return std::string("1 + 1 = 2\nAnswer: 2<eos>");
  };
  const SearchResult r = search(lm, Json::parse(R"({"algorithm": "cot"})"), options());
  EXPECT_EQ(r.answer, "2");
  EXPECT_EQ(r.chosen, 1);
  ASSERT_EQ(r.tree.size(), 2u);
  EXPECT_EQ(r.tree.at(1).text, "1 + 1 = 2\nAnswer: 2");
  EXPECT_TRUE(r.tree.at(1).whole);
  EXPECT_EQ(r.usage.tokens, 20);  // 19 characters and the EOS token
  EXPECT_EQ(r.usage.calls, 1);
  EXPECT_EQ(r.stop, StopReason::kDone);
  EXPECT_EQ(lm.sampled_contexts, std::vector<std::string>{"Problem: Q\nSolution:\n"});
}

TEST(AlgorithmsTest, SamplingVotesBestOfNAndTies) {
  ScriptedModel lm;
  const int answers[] = {5, 5, 7, 7};
  lm.write = [&](const std::string&, std::uint64_t, int i) { return answer(answers[i]); };
  const VerifierEvaluator v = table_verifier({{"Answer: 5", 0.3}, {"Answer: 7", 0.4}});
  // [5, 5, 7]: the majority is 5; the best single sample is 7; weighted 5: 0.6 > 7: 0.4.
  SearchResult sc =
      search(lm, Json::parse(R"({"algorithm": "self_consistency", "n": 3})"), options());
  EXPECT_EQ(sc.answer, "5");
  EXPECT_EQ(sc.chosen, 1);
  EXPECT_EQ(sc.candidates.size(), 3u);
  EXPECT_EQ(lm.max_in_flight, 3);  // the three samples were requested together
  SearchResult bon =
      search(lm, Json::parse(R"({"algorithm": "best_of_n", "n": 3})"), options(1, &v));
  EXPECT_EQ(bon.answer, "7");
  EXPECT_EQ(bon.chosen, 3);
  EXPECT_DOUBLE_EQ(bon.tree.at(3).value, 0.4);
  SearchResult wv =
      search(lm, Json::parse(R"({"algorithm": "weighted_vote", "n": 3})"), options(1, &v));
  EXPECT_EQ(wv.answer, "5");
  // A 2-2 tie: the answer whose first vote came first.
  const int tie[] = {7, 5, 5, 7};
  lm.write = [&](const std::string&, std::uint64_t, int i) { return answer(tie[i]); };
  sc = search(lm, Json::parse(R"({"algorithm": "self_consistency", "n": 4})"), options());
  EXPECT_EQ(sc.answer, "7");
  EXPECT_EQ(sc.chosen, 1);
  // pass@k and the chosen answer's correctness are scored separately, after the search.
  const ResultScore s = score_result(sc, [](std::string_view a) { return a == "5"; });
  EXPECT_FALSE(s.correct);
  EXPECT_TRUE(s.pass_at_k);
  EXPECT_EQ(s.k, 4);
  // An algorithm that needs an evaluator refuses to run without one.
  auto a = make_algorithm(Json::parse(R"({"algorithm": "best_of_n"})"), "cfg");
  auto refused = testing::run_task(run_search(**a, lm, {"p", "Q"}, options()));
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
}

TEST(AlgorithmsTest, BudgetsStopBetweenRounds) {
  ScriptedModel lm;
  lm.write = [](const std::string&, std::uint64_t, int) { return answer(12); };  // 11 tokens
  // Tokens: round 0 has no estimate yet, so 1 sample (11); round 1 aims at the 39 left with 4
  // samples (44): 55 in all, one round past the limit at most.
  RunOptions o = options();
  o.budget.max_tokens = 50;
  SearchResult r = search(lm, Json::parse(R"({"algorithm": "self_consistency", "n": 0})"), o);
  EXPECT_EQ(r.usage.tokens, 55);
  EXPECT_EQ(r.candidates.size(), 5u);
  EXPECT_EQ(r.stop, StopReason::kTokens);
  EXPECT_EQ(r.answer, "12");
  // Calls: the verifier makes none, so 3 samples spend a 3-call budget.
  const VerifierEvaluator v = table_verifier({});
  o = options(1, &v);
  o.budget.max_calls = 3;
  r = search(lm, Json::parse(R"({"algorithm": "best_of_n", "n": 0})"), o);
  EXPECT_EQ(r.usage.calls, 3);
  EXPECT_EQ(r.stop, StopReason::kCalls);
  // Time: a spent clock stops the search before its first round.
  o = options();
  o.budget.max_seconds = 1e-9;
  r = search(lm, Json::parse(R"({"algorithm": "self_consistency", "n": 4})"), o);
  EXPECT_EQ(r.usage.calls, 0);
  EXPECT_FALSE(r.answer.has_value());
  EXPECT_EQ(r.stop, StopReason::kTime);
  // Without a budget, n = 0 is refused.
  auto a = make_algorithm(Json::parse(R"({"algorithm": "self_consistency", "n": 0})"), "cfg");
  EXPECT_FALSE(testing::run_task(run_search(**a, lm, {"p", "Q"}, options())).ok());
}

TEST(AlgorithmsTest, BeamSearchPrunesToTheBestPaths) {
  ScriptedModel lm;
  lm.write = [](const std::string& ctx, std::uint64_t, int i) -> std::string {
    const std::string s = after_solution(ctx);
    switch (depth_of(ctx)) {
      case 0:
        return step('a', static_cast<std::uint64_t>(i));
      case 1:
        return s == "a3\n" && i == 1 ? answer(5) : step('b', static_cast<std::uint64_t>(i));
      default:
        return s == "a3\nb0\n" ? answer(5 + i) : answer(6);
    }
  };
  const std::map<std::string, float> prm = {{"a0\n", 0.2f},
                                            {"a1\n", 0.9f},
                                            {"a2\n", 0.5f},
                                            {"a3\n", 0.7f},
                                            {"a1\nb0\n", 0.3f},
                                            {"a1\nb1\n", 0.6f},
                                            {"a3\nb0\n", 0.8f},
                                            {"a3\nAnswer: 5\n", 0.4f},
                                            {"a3\nb0\nAnswer: 5\n", 0.9f},
                                            {"a3\nb0\nAnswer: 6\n", 0.5f},
                                            {"a1\nb1\nAnswer: 6\n", 0.3f}};
  lm.head = [&](const std::string& ctx) {
    auto it = prm.find(after_solution(ctx));
    EXPECT_NE(it, prm.end()) << after_solution(ctx);
    return std::vector<float>{it == prm.end() ? 0.0f : it->second};
  };
  const ValueHeadEvaluator head("prm", 0, {0, 1});
  const Json config =
      Json::parse(R"({"algorithm": "beam_search", "n": 4, "m": 2, "max_steps": 3})");
  SearchResult r = search(lm, config, options(1, &head));
  const Tree& t = r.tree;
  // Iteration 0: a0..a3 (ids 1-4); a1 and a3 survive. Iteration 1: a1 -> b0 (5), b1 (6); a3 ->
  // b0 (7), "Answer: 5" (8, finished); b0 under a3 (0.8) and b1 under a1 (0.6) survive.
  // Iteration 2 (to the end): 7 -> 9, 10; 6 -> 11, 12.
  ASSERT_EQ(t.size(), 13u);
  for (NodeId pruned : {1, 3, 5}) EXPECT_TRUE(t.at(pruned).children.empty()) << pruned;
  for (NodeId kept : {2, 4, 6, 7}) EXPECT_EQ(t.at(kept).children.size(), 2u) << kept;
  EXPECT_EQ(t.at(0).children.size(), 4u);
  EXPECT_EQ(t.at(8).answer, "5");
  EXPECT_TRUE(t.at(8).terminal);
  // Weighted (last): 5 = 0.4 + 0.9 = 1.3 beats 6 = 0.5 + 0.3 + 0.3 = 1.1.
  EXPECT_EQ(r.answer, "5");
  EXPECT_GE(lm.max_in_flight, 4);  // iteration 1 scored its four new steps together
  // Majority: 6 (three paths) beats 5 (two).
  Json c = config;
  c["selection"] = "majority";
  EXPECT_EQ(search(lm, c, options(1, &head)).answer, "6");
  c["selection"] = "best";
  EXPECT_EQ(search(lm, c, options(1, &head)).chosen, 9);
  // min aggregation: node 9's path scores 0.7, 0.8, 0.9.
  c["aggregation"] = "min";
  r = search(lm, c, options(1, &head));
  EXPECT_NEAR(r.tree.at(9).value, 0.7, 1e-6);
  EXPECT_NEAR(r.tree.at(8).value, 0.4, 1e-6);
}

TEST(AlgorithmsTest, DvtsKeepsTheBestChildOfEachSubtree) {
  ScriptedModel lm;
  lm.write = [](const std::string& ctx, std::uint64_t, int i) -> std::string {
    if (depth_of(ctx) == 0) return step('a', static_cast<std::uint64_t>(i));
    return i == 0 ? answer(4) : "b1\n";
  };
  lm.head = [](const std::string& ctx) {
    const std::string s = after_solution(ctx);
    if (s == "a1\n") return std::vector<float>{0.9f};
    if (s == "a1\nAnswer: 4\n") return std::vector<float>{0.8f};
    return std::vector<float>{0.2f};
  };
  const ValueHeadEvaluator head("prm", 0, {0, 1});
  const SearchResult r =
      search(lm, Json::parse(R"({"algorithm": "dvts", "n": 4, "m": 2})"), options(1, &head));
  const Tree& t = r.tree;
  // Two subtrees each expand the root twice (1, 2 and 3, 4) and keep a1 (2 and 4); each then
  // ends with its finished best child (5 and 7).
  EXPECT_EQ(t.at(0).children.size(), 4u);
  EXPECT_TRUE(t.at(1).children.empty());
  EXPECT_EQ(t.at(2).children.size(), 2u);
  EXPECT_EQ(t.at(4).children.size(), 2u);
  ASSERT_EQ(t.size(), 9u);
  EXPECT_EQ(r.answer, "4");
  EXPECT_EQ(r.candidates.size(), 2u);
}

TEST(AlgorithmsTest, StepMctsVirtualLossExpandsDifferentLeaves) {
  ScriptedModel lm;
  lm.write = [](const std::string& ctx, std::uint64_t, int i) {
    return step(depth_of(ctx) == 0 ? 'c' : 'd', static_cast<std::uint64_t>(i));
  };
  lm.head = [](const std::string& ctx) {
    const std::string s = after_solution(ctx);
    return std::vector<float>{s == "c0\n" ? 0.3f : s == "c1\n" ? 0.6f : 0.5f};
  };
  const ValueHeadEvaluator head("prm", 0, {0, 1});
  // c_uct 0: the child with the higher Q. Round 1 expands the root (c0 0.3, c1 0.6). Round 2
  // picks c1; its virtual visit (worth 0) halves its Q to 0.3, a tie the earlier c0 wins.
  Json config = Json::parse(R"({"algorithm": "step_mcts", "rule": "uct", "c_uct": 0,
      "width": 2, "parallel": 2, "iterations": 2})");
  SearchResult r = search(lm, config, options(1, &head));
  EXPECT_EQ(r.tree.at(1).children.size(), 2u);
  EXPECT_EQ(r.tree.at(2).children.size(), 2u);
  EXPECT_EQ(lm.max_in_flight, 4);  // both leaves were expanded in one batch
  // Backup: the root saw every new step once; Q = W / N.
  EXPECT_EQ(r.tree.at(0).visits, 6);
  EXPECT_NEAR(r.tree.at(0).value_sum, 0.3 + 0.6 + 4 * 0.5, 1e-6);
  EXPECT_EQ(r.tree.at(2).visits, 3);
  EXPECT_NEAR(r.tree.at(2).value, (0.6 + 1.0) / 3, 1e-6);
  // Without virtual loss the second descent finds c1 again, so only c1 is expanded.
  config["virtual_loss"] = 0;
  r = search(lm, config, options(1, &head));
  EXPECT_TRUE(r.tree.at(1).children.empty());
  EXPECT_EQ(r.tree.at(2).children.size(), 2u);
}

TEST(AlgorithmsTest, StepMctsRolloutValues) {
  ScriptedModel lm;
  lm.write = [](const std::string& ctx, std::uint64_t, int i) -> std::string {
    const std::string s = after_solution(ctx);
    if (s.empty()) return step('c', static_cast<std::uint64_t>(i));
    return answer(s == "c0\n" ? 3 : 4);
  };
  const VerifierEvaluator v = table_verifier({{"c1\nAnswer: 4", 1.0}});
  const SearchResult r = search(lm, Json::parse(R"({"algorithm": "step_mcts", "value": "rollout",
      "width": 2, "iterations": 1})"),
                                options(1, &v));
  EXPECT_EQ(r.tree.at(1).info["rollout_answer"], "3");
  EXPECT_EQ(r.tree.at(2).info["rollout_answer"], "4");
  EXPECT_DOUBLE_EQ(r.tree.at(2).value, 1.0);
  EXPECT_EQ(r.answer, "4");
  EXPECT_EQ(r.chosen, 2);
  ASSERT_EQ(r.candidates.size(), 2u);
  EXPECT_EQ(r.candidates[0].source, "rollout");
  EXPECT_EQ(r.usage.generate_calls, 2 + 2);  // one expansion of 2, two rollouts
}

// Verdict probabilities by the candidate's answer (see MctsrRewardsValuesAndChoice).
double verdict_p(const std::string& candidate) {
  if (candidate.find("Answer: 7") != std::string::npos) return 0.9;
  if (candidate.find("Answer: 9") != std::string::npos) return 0.99;
  if (candidate.find("Answer") == std::string::npos) return 0.25;
  return 0.5;
}

void script_refine(ScriptedModel& lm) {
  lm.write = [](const std::string& ctx, std::uint64_t, int) -> std::string {
    if (ctx.ends_with("Solution:\n")) return "1 + 1 = 2\nAnswer: 2<eos>";
    if (ctx.ends_with("Critique:")) return " Step 1 is wrong.\nRefined:\n";
    const std::string c = candidate_in(ctx);
    if (c.find("Answer: 2") != std::string::npos) return answer(7);
    if (c.find("Answer: 7") != std::string::npos) return answer(9);
    return answer(4);
  };
  lm.score = [](const std::string& ctx, const std::string& cont) {
    const double p = verdict_p(candidate_in(ctx));
    return std::log(cont == " correct" ? p : 1 - p);
  };
}

TEST(AlgorithmsTest, MctsrRewardsValuesAndChoice) {
  ScriptedModel lm;
  script_refine(lm);
  const VerdictJudge judge;
  const SearchResult r =
      search(lm, Json::parse(R"({"algorithm": "mctsr", "iterations": 3})"), options(1, &judge));
  const Tree& t = r.tree;
  // Roots: W "Answer: 2" (p 0.5: reward 0) and the dummy (p 0.25: -50).
  // It 1 selects W (a root with V 0 > -50), refines it to A1 "Answer: 7" (p 0.9: 80).
  // It 2: V(W) = (0 + 80) / 2 = 40; A1 80 + 1.4 sqrt(ln 3 / 1) = 81.47 -> A1, refined to
  //       B1 "Answer: 9" (p 0.99: 98, over-confident: 50).
  // It 3: V(A1) = (80 + 50) / 2 = 65 + 1.4 sqrt(ln 3 / 2) = 66.04 > B1 51.47 > W 40 -> A1
  //       again, refined to B2 "Answer: 9" (50).
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t.at(1).answer, "2");
  EXPECT_EQ(t.at(2).kind, "dummy");
  expect_rewards(t.at(1), {0, 0});
  expect_rewards(t.at(2), {-50});
  EXPECT_EQ(t.at(3).parent, 1);
  expect_rewards(t.at(3), {80, 80, 80});
  EXPECT_EQ(t.at(4).parent, 3);
  EXPECT_EQ(t.at(5).parent, 3);
  expect_rewards(t.at(4), {50});
  EXPECT_EQ(t.at(3).info["critique"], " Step 1 is wrong.");
  EXPECT_NEAR(t.at(3).value, 65, 1e-9);
  EXPECT_NEAR(t.at(1).value, 40, 1e-9);
  EXPECT_EQ(t.at(3).visits, 3);
  // The highest Q is A1 (80), not the over-confident 9s (50).
  EXPECT_EQ(r.answer, "7");
  EXPECT_EQ(r.chosen, 3);
  // Requests: the weak answer, 2 verdict logprobs for each of W and the dummy, then per
  // iteration critique + rewrite + 2 for the child (the selected node's repeat reward is
  // the deterministic judge's cached score).
  EXPECT_EQ(r.usage.calls, 1 + 4 + 3 * 4);
  EXPECT_EQ(r.usage.calls, lm.requests);
  // Rewrites continue the critique's context.
  bool saw_refine = false;
  for (const std::string& c : lm.sampled_contexts) {
    saw_refine = saw_refine || c == "Problem: Q\nCandidate:\nAnswer: 7\nCritique: Step 1 is "
                                    "wrong.\nRefined:\n";
  }
  EXPECT_TRUE(saw_refine);
  // A call budget of 10 stops after the round that crosses it: 5 + 4 + 4.
  RunOptions o = options(1, &judge);
  o.budget.max_calls = 10;
  const SearchResult b = search(lm, Json::parse(R"({"algorithm": "mctsr", "iterations": 100})"), o);
  EXPECT_EQ(b.usage.calls, 13);
  EXPECT_EQ(b.stop, StopReason::kCalls);
  EXPECT_EQ(b.tree.size(), 5u);
}

TEST(AlgorithmsTest, TreeOfThoughtsValuesDuplicatesAndBreadth) {
  ScriptedModel lm;
  lm.write = [](const std::string& ctx, std::uint64_t, int i) -> std::string {
    if (depth_of(ctx) == 0) return i == 2 ? "y\n" : "x\n";
    return answer(i == 1 ? 9 : 8);
  };
  lm.score = [](const std::string& ctx, const std::string& cont) {
    const std::string c = candidate_in(ctx);
    const double p = c == "x" ? 0.25 : c == "y" ? 0.75 : c == "y\nAnswer: 8" ? 0.5 : 0.9;
    return std::log(cont == " correct" ? p : 1 - p);
  };
  const SearchResult r = search(
      lm, Json::parse(R"({"algorithm": "tot_bfs", "n_generate": 3, "breadth": 1, "max_steps": 2})"),
      options());
  const Tree& t = r.tree;
  ASSERT_EQ(t.size(), 7u);
  // Values: 3 x (p x 20 + (1 - p) x 0.001); the repeated "x" gets 0 without a request.
  EXPECT_NEAR(t.at(1).value, 15.00225, 1e-9);
  EXPECT_EQ(t.at(2).value, 0);
  EXPECT_EQ(t.at(2).info["duplicate"], true);
  EXPECT_NEAR(t.at(3).value, 45.00075, 1e-9);
  // Breadth 1 keeps only "y".
  EXPECT_TRUE(t.at(1).children.empty());
  EXPECT_EQ(t.at(3).children.size(), 3u);
  EXPECT_NEAR(t.at(5).value, 54.0003, 1e-9);
  EXPECT_EQ(r.answer, "9");
  EXPECT_EQ(r.usage.logprob_calls, 4 + 4);  // two distinct states per step, two labels each
}

TEST(AlgorithmsTest, SetsVerifiesCorrectsAndVotes) {
  ScriptedModel lm;
  script_refine(lm);
  lm.write = [](const std::string& ctx, std::uint64_t, int i) -> std::string {
    if (ctx.ends_with("Solution:\n")) return answer(i == 0 ? 4 : 5);
    if (ctx.ends_with("Critique:")) return " Step 1 is wrong.\n";
    return answer(4);
  };
  lm.score = [](const std::string& ctx, const std::string& cont) {
    const double p = candidate_in(ctx) == "Answer: 4" ? 0.9 : 0.1;
    return std::log(cont == " correct" ? p : 1 - p);
  };
  const SearchResult r =
      search(lm, Json::parse(R"({"algorithm": "sets", "m": 2, "rounds": 2})"), options());
  const Tree& t = r.tree;
  ASSERT_EQ(t.size(), 4u);
  EXPECT_TRUE(t.at(1).children.empty());  // verified at once
  EXPECT_EQ(t.at(1).info["verified"], true);
  EXPECT_EQ(t.at(2).info["verified"], false);
  ASSERT_EQ(t.at(2).children.size(), 1u);  // corrected once, then verified
  EXPECT_EQ(t.at(3).answer, "4");
  EXPECT_EQ(t.at(3).info["verified"], true);
  EXPECT_EQ(r.answer, "4");
  EXPECT_EQ(r.chosen, 1);
  // 2 samples, 2 x 2 verdicts, critique + rewrite, 2 verdicts.
  EXPECT_EQ(r.usage.calls, 2 + 4 + 2 + 2);
}

// Seed-dependent text: a seed reproduces the whole tree, another seed changes it.
TEST(AlgorithmsTest, SeedsReproduceTreesAndJsonExport) {
  ScriptedModel lm;
  lm.write = [](const std::string& ctx, std::uint64_t seed, int) {
    return depth_of(ctx) < 2 ? step('s', seed % 7) : answer(int(seed % 5));
  };
  lm.head = [](const std::string& ctx) {
    return std::vector<float>{static_cast<float>(after_solution(ctx).size() % 10) / 10.0f};
  };
  const ValueHeadEvaluator head("prm", 0, {0, 1});
  const Json config =
      Json::parse(R"({"algorithm": "step_mcts", "width": 3, "parallel": 2, "iterations": 5})");
  const SearchResult a = search(lm, config, options(11, &head));
  const SearchResult b = search(lm, config, options(11, &head));
  const SearchResult c = search(lm, config, options(12, &head));
  const Json ja = a.to_json(true);
  EXPECT_EQ(timeless(a), timeless(b));
  EXPECT_NE(timeless(a), timeless(c));
  // The export: every node, one edge per non-root node, the chosen node and answer.
  EXPECT_EQ(ja["tree"]["nodes"].size(), a.tree.size());
  EXPECT_EQ(ja["tree"]["edges"].size(), a.tree.size() - 1);
  EXPECT_EQ(ja["chosen"], a.chosen);
  ASSERT_TRUE(a.answer.has_value());
  EXPECT_EQ(ja["answer"], *a.answer);
  EXPECT_EQ(ja["tree"]["nodes"][a.chosen]["answer"], *a.answer);
  EXPECT_EQ(ja["usage"]["tokens"], a.usage.tokens);
  EXPECT_EQ(ja["stop"], "done");
  EXPECT_EQ(ja["config"]["width"], 3);
  for (const Json& n : ja["tree"]["nodes"]) {
    for (const char* key : {"id", "parent", "children", "text", "rewards", "visits", "value",
                            "prior", "terminal", "answer", "tokens", "finish", "info"}) {
      EXPECT_TRUE(n.contains(key)) << key;
    }
  }
}

}  // namespace
}  // namespace arbor::search
