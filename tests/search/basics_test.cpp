// The pieces under the algorithms: the tree and its JSON, selection formulas, votes, prompts,
// configs, budgets and the evaluators, against hand-computed values.
#include <cmath>

#include <gtest/gtest.h>

#include "search/evaluators.h"
#include "search/mctsr.h"
#include "search/scoring.h"
#include "search/step_mcts.h"

#include "tests/search/search_test_util.h"

namespace arbor::search {
namespace {

using testing::after_solution;
using testing::candidate_in;
using testing::run_task;
using testing::ScriptedModel;

TEST(TreeTest, PathsSolutionsAndJson) {
  Tree t;
  t.add_root("Problem: Q\nSolution:\n", nullptr);
  Node a;
  a.kind = "step";
  a.text = "1 + 2 = 3\n";
  const NodeId ia = t.add_child(0, a);
  Node b;
  b.kind = "step";
  b.text = "Answer: 3";
  b.answer = "3";
  b.terminal = true;
  const NodeId ib = t.add_child(ia, b);
  Node w;
  w.kind = "answer";
  w.whole = true;
  w.text = "Answer: 4";
  const NodeId iw = t.add_child(ib, w);
  EXPECT_EQ(t.path(ib), (std::vector<NodeId>{0, ia, ib}));
  EXPECT_EQ(t.at(ib).depth, 2);
  EXPECT_EQ(t.solution(ib), "1 + 2 = 3\nAnswer: 3");
  EXPECT_EQ(t.solution(iw), "Answer: 4");  // a whole node stands alone
  const Json j = t.to_json();
  ASSERT_EQ(j["nodes"].size(), 4u);
  EXPECT_EQ(j["edges"], Json::parse("[[0,1],[1,2],[2,3]]"));
  EXPECT_EQ(j["nodes"][2]["answer"], "3");
  EXPECT_TRUE(j["nodes"][1]["answer"].is_null());
  EXPECT_EQ(j["nodes"][0]["children"], Json::parse("[1]"));
  EXPECT_EQ(j["nodes"][3]["whole"], true);
  EXPECT_EQ(j["nodes"][2]["terminal"], true);
}

TEST(ScoringTest, SelectionFormulas) {
  EXPECT_NEAR(uct(0.5, 10, 2, 2.0), 2.645966026, 1e-8);
  EXPECT_TRUE(std::isinf(uct(0.5, 10, 0, 2.0)));
  EXPECT_NEAR(puct(0.2, 0.5, 4, 1, 1.25, 19652), 0.825127197, 1e-8);
  EXPECT_DOUBLE_EQ(mctsr_uct(10, 0, 1, 1.4, 1e-5), 10);  // a root gets no bonus
  EXPECT_NEAR(mctsr_uct(10, 3, 1, 1.4, 1e-5), 11.648365790, 1e-8);
  EXPECT_DOUBLE_EQ(mctsr_q({40, -20}), -5);  // (min + mean) / 2
  EXPECT_DOUBLE_EQ(mctsr_q({10, 30}), 15);
  EXPECT_DOUBLE_EQ(aggregate({0.9, 0.5, 0.8}, Aggregation::kLast), 0.8);
  EXPECT_DOUBLE_EQ(aggregate({0.9, 0.5, 0.8}, Aggregation::kMin), 0.5);
  EXPECT_DOUBLE_EQ(aggregate({0.9, 0.5, 0.8}, Aggregation::kProduct), 0.9 * 0.5 * 0.8);
  EXPECT_DOUBLE_EQ(aggregate({0.9, 0.5, 0.8}, Aggregation::kMean), 2.2 / 3);
  EXPECT_FALSE(parse_aggregation("max").ok());
  // The self-reward map and the over-confidence penalty.
  EXPECT_DOUBLE_EQ(mctsr_reward(0.5, 0, 1), 0);
  EXPECT_DOUBLE_EQ(mctsr_reward(0.9, 0, 1), 80);
  EXPECT_DOUBLE_EQ(mctsr_reward(0.99, 0, 1), 50);   // 98 >= 95 -> 50
  EXPECT_DOUBLE_EQ(mctsr_reward(0.975, 0, 1), 50);  // exactly 95 -> 50
  EXPECT_DOUBLE_EQ(mctsr_reward(94, -100, 100), 94);
}

// Root N = 10; children A (N 6, Q 0.6, prior 0.5), B (N 3, Q 0.8, prior 0.3), C (N 1, Q 0.1,
// prior 0.2). Scores computed by hand (see each comment).
Tree hand_tree() {
  Tree t;
  t.add_root("root", nullptr);
  t.at(0).visits = 10;
  const double stats[3][3] = {{6, 3.6, 0.5}, {3, 2.4, 0.3}, {1, 0.1, 0.2}};
  for (const auto& s : stats) {
    Node n;
    n.visits = static_cast<std::int32_t>(s[0]);
    n.value_sum = s[1];
    n.prior = s[2];
    t.add_child(0, n);
  }
  return t;
}

std::unique_ptr<StepMcts> mcts(const std::string& config) {
  auto a = StepMcts::create(Json::parse(config), "test");
  EXPECT_TRUE(a.ok()) << a.status().to_string();
  return std::unique_ptr<StepMcts>(static_cast<StepMcts*>(a->release()));
}

TEST(ScoringTest, UctAndPuctPickTheHandComputedChild) {
  const Tree t = hand_tree();
  // UCT c = 2: A 1.839, B 2.552, C 3.135 -> C (the rarely visited child).
  EXPECT_EQ(mcts(R"({"rule": "uct", "c_uct": 2})")->pick_child(t, 0, {}), 3);
  // UCT c = 0.5: A 0.910, B 1.238, C 0.859 -> B.
  EXPECT_EQ(mcts(R"({"rule": "uct", "c_uct": 0.5})")->pick_child(t, 0, {}), 2);
  // PUCT 1.25 / 19652: A 0.882, B 1.097, C 0.495 -> B.
  EXPECT_EQ(mcts(R"({"rule": "puct"})")->pick_child(t, 0, {}), 2);
  // Two virtual visits worth 0 on the root and B: B's Q drops to 0.48 and the root has 12
  // visits: A 0.922, B 0.832, C 0.888 -> A.
  EXPECT_EQ(mcts(R"({"rule": "uct", "c_uct": 0.5})")->pick_child(t, 0, {2, 0, 2, 0}), 1);
  EXPECT_EQ(mcts(R"({"rule": "uct", "c_uct": 0.5})")->select_leaf(t, {2, 0, 2, 0}), 1);
}

// W (rewards 40, -20) with children X (60) and Y (10, 30); the dummy D (-50).
Tree mctsr_tree() {
  Tree t;
  t.add_root("root", nullptr);
  auto add = [&](NodeId parent, std::vector<double> rewards) {
    Node n;
    n.kind = "answer";
    n.whole = true;
    n.rewards = std::move(rewards);
    return t.add_child(parent, n);
  };
  const NodeId w = add(0, {40, -20});
  add(0, {-50});
  add(w, {60});
  add(w, {10, 30});
  return t;
}

std::unique_ptr<Mctsr> mctsr(const std::string& config) {
  auto a = Mctsr::create(Json::parse(config), "test");
  EXPECT_TRUE(a.ok()) << a.status().to_string();
  return std::unique_ptr<Mctsr>(static_cast<Mctsr*>(a->release()));
}

TEST(ScoringTest, MctsrQParentUpdateAndSelection) {
  Tree t = mctsr_tree();
  const auto m = mctsr("{}");
  m->update_values(t);
  // Q(W) = (-20 + 10) / 2 = -5; V(W) = (Q(W) + max(Q(X) = 60, Q(Y) = 15)) / 2 = 27.5.
  EXPECT_DOUBLE_EQ(t.at(1).info["q"].get<double>(), -5);
  EXPECT_DOUBLE_EQ(t.at(1).value, 27.5);
  EXPECT_DOUBLE_EQ(t.at(3).value, 60);
  EXPECT_DOUBLE_EQ(t.at(4).value, 15);
  EXPECT_EQ(t.at(1).visits, 2);
  // UCT: W is a root (no bonus) 27.5; D -50; X 60 + 1.4 sqrt(ln 3 / (1 + 1e-5)) = 61.467;
  // Y 15 + 1.4 sqrt(ln 3 / (2 + 1e-5)) = 16.038.
  EXPECT_DOUBLE_EQ(t.at(1).info["uct"].get<double>(), 27.5);
  EXPECT_NEAR(t.at(3).info["uct"].get<double>(), 61.467398567, 1e-8);
  EXPECT_NEAR(t.at(4).info["uct"].get<double>(), 16.037610071, 1e-8);
  EXPECT_EQ(m->select(t), 3);
  // max_children 2: W (two children) is mature only while one of them has a higher Q.
  t.at(3).rewards = {-30};
  t.at(4).rewards = {-40};
  const auto m2 = mctsr(R"({"max_children": 2})");
  m2->update_values(t);
  // W: Q -5, V = (-5 + -30) / 2 = -17.5, a root: UCT -17.5; X: -30 + 1.467 = -28.53; D -50.
  EXPECT_EQ(m2->select(t), 1);
  t.at(3).rewards = {70};
  m2->update_values(t);
  // Now X beats W and W has 2 children: W is mature; X (70 + 1.467) is selected.
  EXPECT_EQ(m2->select(t), 3);
  t.at(3).rewards = {-30};
  t.at(4).rewards = {-10};
  m2->update_values(t);
  // No child beats Q(W) = -5: W (V -7.5) beats Y (-10 + 1.04) and X.
  EXPECT_EQ(m2->select(t), 1);
}

TEST(VoteTest, MajorityWeightedAndTies) {
  EXPECT_FALSE(vote({}).has_value());
  auto v = vote({{"5"}, {"7"}, {"7"}});
  EXPECT_EQ(v->key, "7");
  EXPECT_EQ(v->count, 2);
  EXPECT_EQ(v->first, 1);
  // A 2-2 tie goes to the key whose first ballot came first.
  v = vote({{"5"}, {"7"}, {"7"}, {"5"}});
  EXPECT_EQ(v->key, "5");
  v = vote({{"7"}, {"5"}, {"5"}, {"7"}});
  EXPECT_EQ(v->key, "7");
  // Weighted: 7 has more weight; equal weight goes to more ballots.
  v = vote({{"5", 0.3}, {"7", 0.4}, {"7", 0.4}, {"5", 0.3}});
  EXPECT_EQ(v->key, "7");
  EXPECT_DOUBLE_EQ(v->total, 0.8);
  v = vote({{"5", 1.0}, {"7", 0.5}, {"7", 0.5}});
  EXPECT_EQ(v->key, "7");
}

TEST(PromptsTest, RenderChecksAndOverrides) {
  EXPECT_EQ(
      render("Problem: {question}\n{{x}} {candidate}", {{"question", "2+2"}, {"candidate", "4"}}),
      "Problem: 2+2\n{x} 4");
  EXPECT_TRUE(check_template("a {question} {{b}}", {"question"}, "t").ok());
  EXPECT_EQ(check_template("a {answer}", {"question"}, "p.solve").message(),
            "p.solve: unknown placeholder {answer} (this template may use {question})");
  EXPECT_FALSE(check_template("a {question", {"question"}, "t").ok());
  auto p = Prompts::from_json(Json::parse(R"({"solve": "Q: {question}\nA:"})"), "prompts");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->solve, "Q: {question}\nA:");
  EXPECT_EQ(p->verify, Prompts().verify);
  EXPECT_EQ(Prompts::from_json(Json::parse(R"({"solv": "x"})"), "prompts").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Prompts::from_json(Json::parse(R"({"critique": "{question} {a}"})"), "prompts")
                .status()
                .message(),
            "prompts.critique: unknown placeholder {a} (this template may use {question}, "
            "{candidate})");
  EXPECT_EQ(candidate_text("1 + 1 = 2\nAnswer: 2\n\n"), "1 + 1 = 2\nAnswer: 2");
}

TEST(ConfigTest, AlgorithmConfigsAreCheckedAndResolved) {
  auto a = make_algorithm(Json::parse(R"({"algorithm": "self_consistency", "n": 4})"), "cfg");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->config()["n"], 4);
  EXPECT_EQ((*a)->config()["temperature"], 0.8);
  EXPECT_EQ(make_algorithm(Json::parse(R"({"algorithm": "mcts"})"), "cfg").status().message(),
            "cfg.algorithm: unknown algorithm 'mcts' (known: cot, best_of_n, self_consistency, "
            "weighted_vote, beam_search, dvts, step_mcts, mctsr, tot_bfs, sets, self_refine)");
  EXPECT_EQ(make_algorithm(Json::parse(R"({"algorithm": "mctsr", "n": "x"})"), "cfg")
                .status()
                .message()
                .substr(0, 28),
            "cfg: unknown field 'n' (know");
  EXPECT_EQ(make_algorithm(Json::parse(R"({"algorithm": "beam_search", "m": "4"})"), "cfg")
                .status()
                .message(),
            "cfg.m: must be an integer");
  EXPECT_EQ(make_algorithm(Json::parse(R"({"algorithm": "step_mcts", "rule": "ucb"})"), "cfg")
                .status()
                .message(),
            "cfg.rule: must be one of puct, uct, not 'ucb'");
  for (const std::string& name : algorithm_names()) {
    auto made = make_algorithm(Json{{"algorithm", name}}, "cfg");
    EXPECT_TRUE(made.ok()) << name << ": " << made.status().to_string();
  }
  auto budget = Budget::from_json(Json::parse(R"({"max_tokens": 100, "max_secs": 1})"), "b");
  EXPECT_FALSE(budget.ok());
}

TEST(EvaluatorTest, VerdictSampledLabelPairwiseAndHead) {
  ScriptedModel lm;
  // P(correct) 0.8 for "Answer: 7", 0.2 otherwise.
  lm.score = [](const std::string& ctx, const std::string& cont) {
    const double p = candidate_in(ctx).find("Answer: 7") != std::string::npos ? 0.8 : 0.2;
    if (cont == " correct") return std::log(p);
    if (cont == " incorrect") return std::log(1 - p);
    // Pairwise: the solution with "Answer: 7" in position A is preferred 0.9.
    const std::size_t a = ctx.find("Solution A:\n");
    const std::size_t b = ctx.find("Solution B:\n");
    const bool seven_in_a = ctx.find("Answer: 7", a) < b;
    const double pa = seven_in_a ? 0.9 : 0.1;
    return std::log(cont == " A" ? pa : 1 - pa);
  };
  lm.write = [](const std::string&, std::uint64_t, int index) {
    return index == 0 ? std::string(" none\n") : std::string(" -30 points\n");
  };
  lm.head = [](const std::string& ctx) {
    return std::vector<float>{after_solution(ctx) == "Answer: 7\n" ? 0.75f : 0.25f};
  };
  SearchRun run(lm, {"p", "Q"}, testing::options());
  ASSERT_TRUE(run_task(run.start()).ok());
  std::vector<Candidate> cands = {{"Answer: 7", nullptr, false}, {"Answer: 3", nullptr, false}};

  auto v = run_task(VerdictJudge().score(run, cands, 0));
  ASSERT_TRUE(v.ok());
  EXPECT_NEAR((*v)[0], 0.8, 1e-12);
  EXPECT_NEAR((*v)[1], 0.2, 1e-12);

  // Two samples per candidate: " none" has no number and is drawn again; " -30" counts.
  SampledScoreJudge::Options so;
  so.samples = 2;
  auto s = run_task(SampledScoreJudge(so).score(run, cands, 5));
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ((*s)[0], -30);

  // 3 * (0.8 * 20 + 0.2 * 0.001) and 3 * (0.2 * 20 + 0.8 * 0.001).
  auto l = run_task(LabelJudge({}).score(run, cands, 0));
  ASSERT_TRUE(l.ok());
  EXPECT_NEAR((*l)[0], 48.0006, 1e-9);
  EXPECT_NEAR((*l)[1], 12.0024, 1e-9);

  // 7 beats 3 with 0.9 in both orders: Borda 0.9 and 0.1.
  auto pw = run_task(PairwiseJudge().score(run, cands, 0));
  ASSERT_TRUE(pw.ok());
  EXPECT_NEAR((*pw)[0], 0.9, 1e-12);
  EXPECT_NEAR((*pw)[1], 0.1, 1e-12);

  // The head reads the solve-format context with the delimiter after a complete solution.
  auto h = run_task(ValueHeadEvaluator("prm", 0, {0, 1}).score(run, cands, 0));
  ASSERT_TRUE(h.ok());
  EXPECT_FLOAT_EQ(static_cast<float>((*h)[0]), 0.75f);
  EXPECT_FLOAT_EQ(static_cast<float>((*h)[1]), 0.25f);
  auto bad = run_task(ValueHeadEvaluator("prm", 3, {0, 1}).score(run, cands, 0));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);

  // Every model request went through the run's meter: 4 verdict, 2 x (2 + 1 + 1) score
  // samples, 4 label, 4 pairwise, 2 + 2 head.
  const Usage u = run.lm().usage();
  EXPECT_EQ(u.logprob_calls, 4 + 4 + 4);
  EXPECT_EQ(u.generate_calls, 8);
  EXPECT_EQ(u.value_calls, 4);
  EXPECT_EQ(u.calls, lm.requests);
  EXPECT_EQ(u.tokens, lm.tokens);

  Verifiers verifiers = {{"len", [](std::string_view, std::string_view solution, bool) {
                            return StatusOr<double>(static_cast<double>(solution.size()));
                          }}};
  auto e = make_evaluator(Json::parse(R"({"kind": "verifier", "name": "len", "hi": 100})"),
                          verifiers, "ev");
  ASSERT_TRUE(e.ok());
  auto lens = run_task((*e)->score(run, cands, 0));
  EXPECT_EQ(*lens, (std::vector<double>{9, 9}));
  EXPECT_EQ(make_evaluator(Json::parse(R"({"kind": "verifier", "name": "x"})"), verifiers, "ev")
                .status()
                .message(),
            "ev.name: no verifier named 'x' (known: len)");

  // Likelihood: log p of the solution after the solve prompt, per step line. The scripted
  // model gives each character log p -0.1; two lines of 10 and 9 characters (the delimiter
  // after the first line counted with it): exp(-1.9 / 2); a partial one with its trailing
  // delimiter is one step: exp(-1.0).
  lm.score = [](const std::string& ctx, const std::string& cont) {
    EXPECT_TRUE(ctx.ends_with("Solution:\n"));  // read from the solve prompt itself
    return -0.1 * static_cast<double>(cont.size());
  };
  auto lk = make_evaluator(Json::parse(R"({"kind": "likelihood"})"), verifiers, "ev");
  ASSERT_TRUE(lk.ok());
  std::vector<Candidate> steps = {{"2 + 5 = 7\nAnswer: 7", nullptr, false},
                                  {"2 + 5 = 7\n", nullptr, true}};
  auto like = run_task((*lk)->score(run, steps, 0));
  ASSERT_TRUE(like.ok()) << like.status().to_string();
  EXPECT_NEAR((*like)[0], std::exp(-1.9 / 2), 1e-12);
  EXPECT_NEAR((*like)[1], std::exp(-1.0), 1e-12);
  EXPECT_EQ((*lk)->config(), Json::parse(R"({"kind": "likelihood"})"));
  EXPECT_EQ(last_number("score: 12, then -7.5 points"), -7.5);
  EXPECT_FALSE(last_number("none").has_value());
  EXPECT_NEAR(two_way_probability(std::log(0.3), std::log(0.1)), 0.75, 1e-12);
}

}  // namespace
}  // namespace arbor::search
