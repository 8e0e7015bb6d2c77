#include "search/step_mcts.h"

#include <algorithm>
#include <cmath>

#include "search/evaluator.h"
#include "search/gather.h"
#include "search/internal/common.h"
#include "search/scoring.h"
#include "search/status_macros.h"

namespace arbor::search {

using internal::ConfigReader;

StatusOr<std::unique_ptr<Algorithm>> StepMcts::create(const Json& config, std::string_view where) {
  ConfigReader r(config, std::string(where));
  r.ignore("algorithm");
  auto a = std::make_unique<StepMcts>();
  StepMctsConfig& c = a->c_;
  c.iterations = static_cast<std::int32_t>(r.get_int("iterations", c.iterations, 1, 1 << 20));
  c.parallel = static_cast<std::int32_t>(r.get_int("parallel", c.parallel, 1, 1024));
  c.width = static_cast<std::int32_t>(r.get_int("width", c.width, 1, 1024));
  c.max_depth = static_cast<std::int32_t>(r.get_int("max_depth", c.max_depth, 1, 1000));
  c.rule = r.get_choice("rule", c.rule, {"puct", "uct"});
  c.c_uct = r.get_double("c_uct", c.c_uct, 0);
  c.c_init = r.get_double("c_init", c.c_init, 0);
  c.c_base = r.get_double("c_base", c.c_base, 1e-9);
  c.virtual_loss = r.get_double("virtual_loss", c.virtual_loss, 0);
  c.virtual_value = r.get_double("virtual_value", c.virtual_value);
  c.value = r.get_choice("value", c.value, {"prm", "rollout"});
  c.step = internal::read_sampling(r, 0.8, 64);
  c.rollout.temperature = static_cast<float>(r.get_double("rollout_temperature", 0.0, 0, 100));
  c.rollout.max_tokens =
      static_cast<std::int32_t>(r.get_int("rollout_max_tokens", 192, 1, 1 << 20));
  c.answer_selection = r.get_choice("answer_selection", c.answer_selection,
                                    {"best", "majority", "weighted", "max_visits"});
  ARBOR_RETURN_IF_ERROR(r.finish());
  a->config_ = r.resolved();
  a->config_["algorithm"] = "step_mcts";
  return std::unique_ptr<Algorithm>(std::move(a));
}

NodeId StepMcts::pick_child(const Tree& tree, NodeId node,
                            const std::vector<double>& virtual_visits) const {
  auto vv = [&](NodeId id) {
    return static_cast<std::size_t>(id) < virtual_visits.size()
               ? virtual_visits[static_cast<std::size_t>(id)]
               : 0.0;
  };
  const Node& parent = tree.at(node);
  const double n_parent = parent.visits + vv(node);
  NodeId best = kNoNode;
  double best_score = 0;
  for (NodeId id : parent.children) {
    const Node& child = tree.at(id);
    const double n = child.visits + vv(id);
    const double w = child.value_sum + vv(id) * c_.virtual_value;
    const double q = n > 0 ? w / n : 0.0;
    const double score = c_.rule == "uct" ? uct(q, n_parent, n, c_.c_uct)
                                          : puct(q, child.prior, n_parent, n, c_.c_init, c_.c_base);
    if (best == kNoNode || score > best_score) {
      best = id;
      best_score = score;
    }
  }
  return best;
}

NodeId StepMcts::select_leaf(const Tree& tree, const std::vector<double>& virtual_visits) const {
  NodeId node = tree.root();
  while (!tree.at(node).children.empty() && !tree.at(node).terminal) {
    node = pick_child(tree, node, virtual_visits);
  }
  return node;
}

namespace {

Task<StatusOr<Sample>> rollout_one(SearchRun& run, ContextPtr context, SampleParams p) {
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> s, co_await run.lm().sample(context, 1, p));
  co_return std::move(s.at(0));
}

void backup(Tree& tree, NodeId from, double v) {
  for (NodeId a : tree.path(from)) {
    Node& n = tree.at(a);
    n.visits += 1;
    n.value_sum += v;
    n.value = n.value_sum / n.visits;
  }
}

}  // namespace

Task<Status> StepMcts::search(SearchRun& run) const {
  Tree& tree = run.tree();
  std::vector<double> vv;
  std::vector<NodeId> rollout_nodes;
  std::vector<double> rollout_values;
  for (std::int32_t round = 0; round < c_.iterations; ++round) {
    if (run.should_stop()) break;
    // Selection with virtual loss.
    std::vector<NodeId> leaves;
    vv.assign(tree.size(), 0.0);
    for (std::int32_t k = 0; k < c_.parallel; ++k) {
      const NodeId leaf = select_leaf(tree, vv);
      if (std::find(leaves.begin(), leaves.end(), leaf) != leaves.end()) break;
      leaves.push_back(leaf);
      for (NodeId a : tree.path(leaf)) vv[static_cast<std::size_t>(a)] += c_.virtual_loss;
    }
    // Expansion of every unfinished leaf, all at once.
    std::vector<NodeId> expanding;
    std::vector<Task<StatusOr<std::vector<Sample>>>> tasks;
    for (NodeId leaf : leaves) {
      if (tree.at(leaf).terminal) continue;
      SampleParams p = c_.step;
      if (tree.at(leaf).depth + 1 < c_.max_depth) p.stop = {run.prompts().step_delimiter};
      p.seed = run.seed(internal::kSeedSample, static_cast<std::uint64_t>(leaf));
      expanding.push_back(leaf);
      tasks.push_back(run.lm().sample(tree.at(leaf).context, c_.width, p));
    }
    ARBOR_CO_ASSIGN_OR_RETURN(std::vector<std::vector<Sample>> samples,
                              co_await gather(std::move(tasks)));
    std::vector<NodeId> fresh;
    for (std::size_t i = 0; i < expanding.size(); ++i) {
      std::vector<NodeId> ids = internal::add_samples(run, expanding[i], samples[i], "step", false);
      // Priors: exp(mean token logprob), normalised over the siblings.
      double z = 0;
      for (NodeId id : ids) {
        Node& n = tree.at(id);
        if (n.depth >= c_.max_depth) n.terminal = true;
        n.prior = std::exp(n.logprob / std::max<double>(1.0, static_cast<double>(n.tokens)));
        z += n.prior;
      }
      for (NodeId id : ids) tree.at(id).prior = z > 0 ? tree.at(id).prior / z : 1.0 / ids.size();
      fresh.insert(fresh.end(), ids.begin(), ids.end());
    }
    // Values of the new steps.
    std::vector<double> values;
    if (c_.value == "prm") {
      ARBOR_CO_ASSIGN_OR_RETURN(
          values,
          co_await internal::evaluate(run, fresh, true, run.seed(internal::kSeedEvaluate, round)));
    } else {
      std::vector<Task<StatusOr<Sample>>> rollouts;
      std::vector<std::size_t> rolled;
      for (std::size_t i = 0; i < fresh.size(); ++i) {
        if (tree.at(fresh[i]).terminal) continue;
        SampleParams p = c_.rollout;
        p.seed = run.seed(internal::kSeedRollout, static_cast<std::uint64_t>(fresh[i]));
        rolled.push_back(i);
        rollouts.push_back(rollout_one(run, tree.at(fresh[i]).context, p));
      }
      ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> done, co_await gather(std::move(rollouts)));
      std::vector<Candidate> candidates;
      for (NodeId id : fresh) candidates.push_back({tree.solution(id), nullptr, false});
      for (std::size_t j = 0; j < rolled.size(); ++j) {
        Node& n = tree.at(fresh[rolled[j]]);
        candidates[rolled[j]].solution += done[j].text;
        n.info["rollout"] = done[j].text;
        n.info["rollout_tokens"] = done[j].tokens;
        if (auto a = run.answers().extract_from(candidates[rolled[j]].solution)) {
          n.info["rollout_answer"] = *a;
        }
      }
      if (!fresh.empty()) {
        ARBOR_CO_ASSIGN_OR_RETURN(
            values, co_await run.evaluator()->score(run, std::move(candidates),
                                                    run.seed(internal::kSeedEvaluate, round)));
      }
    }
    // Backup: each new step is one visit of its own and of its ancestors.
    for (std::size_t i = 0; i < fresh.size(); ++i) {
      Node& n = tree.at(fresh[i]);
      n.rewards = {values[i]};
      backup(tree, fresh[i], values[i]);
      if (n.info.contains("rollout_answer")) {
        rollout_nodes.push_back(fresh[i]);
        rollout_values.push_back(values[i]);
      }
    }
    for (NodeId leaf : leaves) {
      const Node& n = tree.at(leaf);
      if (n.terminal && !n.rewards.empty()) backup(tree, leaf, n.rewards.front());
    }
    // Every path finished: nothing is left to expand.
    bool open = false;
    for (const Node& n : tree.nodes()) open = open || (!n.terminal && n.children.empty());
    if (!open) break;
  }
  // The answer.
  std::vector<NodeId> finished;
  std::vector<double> weights;
  for (const Node& n : tree.nodes()) {
    if (n.terminal && n.answer) {
      finished.push_back(n.id);
      weights.push_back(n.value);
    }
  }
  if (c_.answer_selection == "max_visits") {
    NodeId node = tree.root();
    while (!tree.at(node).children.empty() && !tree.at(node).terminal) {
      NodeId best = tree.at(node).children.front();
      for (NodeId id : tree.at(node).children) {
        if (tree.at(id).visits > tree.at(best).visits) best = id;
      }
      node = best;
    }
    if (tree.at(node).answer) {
      run.choose(node);
      co_return Status();
    }
    if (tree.at(node).info.contains("rollout_answer")) {
      run.choose(node, tree.at(node).info["rollout_answer"].get<std::string>());
      co_return Status();
    }
  }
  // Votes and "best" take the finished paths and the rollouts' answers together.
  std::vector<Ballot> ballots;
  std::vector<std::pair<NodeId, std::string>> who;
  std::vector<double> all_weights;
  for (std::size_t i = 0; i < finished.size(); ++i) {
    who.emplace_back(finished[i], *tree.at(finished[i]).answer);
    all_weights.push_back(weights[i]);
  }
  for (std::size_t i = 0; i < rollout_nodes.size(); ++i) {
    who.emplace_back(rollout_nodes[i],
                     tree.at(rollout_nodes[i]).info["rollout_answer"].get<std::string>());
    all_weights.push_back(rollout_values[i]);
  }
  if (who.empty()) co_return Status();
  std::size_t pick = 0;
  if (c_.answer_selection == "best") {
    for (std::size_t i = 1; i < who.size(); ++i) {
      if (all_weights[i] > all_weights[pick]) pick = i;
    }
  } else {
    const bool weighted = c_.answer_selection != "majority";
    for (std::size_t i = 0; i < who.size(); ++i) {
      ballots.push_back(
          {run.answers().key(who[i].second), weighted ? std::max(all_weights[i], 0.0) : 1.0});
    }
    pick = static_cast<std::size_t>(vote(ballots)->first);
  }
  run.choose(who[pick].first, who[pick].second);
  co_return Status();
}

}  // namespace arbor::search
