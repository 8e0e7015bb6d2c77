#include "search/mctsr.h"

#include <algorithm>

#include "search/evaluator.h"
#include "search/gather.h"
#include "search/internal/common.h"
#include "search/scoring.h"
#include "search/status_macros.h"

namespace arbor::search {

using internal::ConfigReader;

double mctsr_reward(double score, double lo, double hi) {
  const double mapped = -100.0 + 200.0 * (score - lo) / (hi - lo);
  return mapped >= 95.0 ? 50.0 : mapped;
}

StatusOr<std::unique_ptr<Algorithm>> Mctsr::create(const Json& config, std::string_view where) {
  ConfigReader r(config, std::string(where));
  r.ignore("algorithm");
  auto a = std::make_unique<Mctsr>();
  MctsrConfig& c = a->c_;
  c.iterations = static_cast<std::int32_t>(r.get_int("iterations", c.iterations, 0, 1 << 20));
  c.max_children = static_cast<std::int32_t>(r.get_int("max_children", c.max_children, 1, 1024));
  c.c = r.get_double("c", c.c, 0);
  c.epsilon = r.get_double("epsilon", c.epsilon, 1e-12);
  c.dummy_root = r.get_bool("dummy_root", c.dummy_root);
  c.answer = internal::read_sampling(r, 0.95, 192);
  c.critique_max_tokens =
      static_cast<std::int32_t>(r.get_int("critique_max_tokens", c.critique_max_tokens, 1, 4096));
  c.selection = r.get_choice("selection", c.selection, {"max_q", "majority", "weighted"});
  ARBOR_RETURN_IF_ERROR(r.finish());
  a->config_ = r.resolved();
  a->config_["algorithm"] = "mctsr";
  return std::unique_ptr<Algorithm>(std::move(a));
}

namespace {

bool is_answer_node(const Tree& tree, NodeId id) {
  return id != tree.root() && !tree.at(id).rewards.empty();
}

double q_of(const Tree& tree, NodeId id) {
  return mctsr_q(tree.at(id).rewards);
}

}  // namespace

void Mctsr::update_values(Tree& tree) const {
  for (const Node& node : tree.nodes()) {
    if (!is_answer_node(tree, node.id)) continue;
    Node& n = tree.at(node.id);
    const double q = q_of(tree, n.id);
    double v = q;
    bool has_child = false;
    double best_child = 0;
    for (NodeId c : n.children) {
      if (!is_answer_node(tree, c)) continue;
      const double cq = q_of(tree, c);
      best_child = has_child ? std::max(best_child, cq) : cq;
      has_child = true;
    }
    if (has_child) v = (q + best_child) / 2.0;
    n.value = v;
    n.visits = static_cast<std::int32_t>(n.rewards.size());
    const bool is_root = n.parent == tree.root();
    const double n_parent = is_root ? 0.0 : static_cast<double>(tree.at(n.parent).rewards.size());
    n.info["q"] = q;
    n.info["uct"] = mctsr_uct(v, n_parent, static_cast<double>(n.rewards.size()), c_.c, c_.epsilon);
  }
}

NodeId Mctsr::select(const Tree& tree) const {
  NodeId best = kNoNode;
  double best_uct = 0;
  for (const Node& n : tree.nodes()) {
    if (!is_answer_node(tree, n.id)) continue;
    const double q = q_of(tree, n.id);
    std::int32_t children = 0;
    bool better_child = false;
    for (NodeId c : n.children) {
      if (!is_answer_node(tree, c)) continue;
      ++children;
      better_child = better_child || q_of(tree, c) > q;
    }
    if (children >= c_.max_children && better_child) continue;  // mature
    const double u = n.info.contains("uct") ? n.info["uct"].get<double>() : q;
    if (best == kNoNode || u > best_uct) {
      best = n.id;
      best_uct = u;
    }
  }
  return best;
}

Task<Status> Mctsr::reward(SearchRun& run, NodeId node, std::uint64_t seed) const {
  const Evaluator& e = *run.evaluator();
  Node& n = run.tree().at(node);
  if (e.deterministic() && n.info.contains("score")) {
    n.rewards.push_back(mctsr_reward(n.info["score"].get<double>(), e.range().lo, e.range().hi));
    co_return Status();
  }
  std::vector<Candidate> one(1);
  one[0].solution = n.text;
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<double> s, co_await e.score(run, std::move(one), seed));
  Node& after = run.tree().at(node);  // the tree may have grown meanwhile
  after.info["score"] = s.at(0);
  after.rewards.push_back(mctsr_reward(s.at(0), e.range().lo, e.range().hi));
  co_return Status();
}

Task<Status> Mctsr::refine(SearchRun& run, NodeId node, internal::Refined* out) const {
  const std::uint64_t k = run.tree().at(node).children.size();
  ARBOR_CO_ASSIGN_OR_RETURN(
      *out, co_await internal::critique_and_refine(
                run, node, c_.answer, c_.critique_max_tokens,
                run.seed(internal::kSeedCritique, static_cast<std::uint64_t>(node), k),
                run.seed(internal::kSeedRefine, static_cast<std::uint64_t>(node), k)));
  co_return Status();
}

Task<Status> Mctsr::search(SearchRun& run) const {
  Tree& tree = run.tree();
  const NodeId root = tree.root();
  const Prompts& p = run.prompts();
  if (run.should_stop()) co_return Status();
  // The weak answer and the dummy root.
  SampleParams first = c_.answer;
  first.seed = run.seed(internal::kSeedSample, 0);
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> weak,
                            co_await run.lm().sample(tree.at(root).context, 1, first));
  const NodeId weak_id = internal::add_samples(run, root, weak, "answer", true).at(0);
  std::vector<Task<Status>> rewards;
  rewards.push_back(reward(run, weak_id, run.seed(internal::kSeedEvaluate, weak_id)));
  if (c_.dummy_root) {
    Node dummy;
    dummy.kind = "dummy";
    dummy.whole = true;
    dummy.terminal = true;
    dummy.text = p.dummy_answers.at(run.seed(internal::kSeedDummy) % p.dummy_answers.size());
    const NodeId dummy_id = tree.add_child(root, std::move(dummy));
    rewards.push_back(reward(run, dummy_id, run.seed(internal::kSeedEvaluate, dummy_id)));
  }
  ARBOR_CO_RETURN_IF_ERROR(co_await gather_status(std::move(rewards)));
  update_values(tree);

  for (std::int32_t it = 0; it < c_.iterations; ++it) {
    if (run.should_stop()) break;
    const NodeId selected = select(tree);
    if (selected == kNoNode) break;
    // A new reward sample of the selected node and its refinement are independent.
    internal::Refined refined;
    std::vector<Task<Status>> both;
    both.push_back(reward(run, selected,
                          run.seed(internal::kSeedEvaluate, static_cast<std::uint64_t>(selected),
                                   tree.at(selected).rewards.size())));
    both.push_back(refine(run, selected, &refined));
    ARBOR_CO_RETURN_IF_ERROR(co_await gather_status(std::move(both)));
    const NodeId child = internal::add_refined(run, selected, refined);
    ARBOR_CO_RETURN_IF_ERROR(co_await reward(run, child, run.seed(internal::kSeedEvaluate, child)));
    update_values(tree);
  }

  // The answer.
  std::vector<NodeId> answered;
  std::vector<double> weights;
  for (const Node& n : tree.nodes()) {
    if (n.kind == "answer" && n.answer && !n.rewards.empty()) {
      answered.push_back(n.id);
      weights.push_back(q_of(tree, n.id) + 100.0);
    }
  }
  if (c_.selection == "max_q") {
    NodeId best = kNoNode;
    for (NodeId id : answered) {
      if (best == kNoNode || q_of(tree, id) > q_of(tree, best)) best = id;
    }
    run.choose(best);
  } else {
    run.choose(internal::select_answer(run, answered, weights, c_.selection));
  }
  co_return Status();
}

}  // namespace arbor::search
