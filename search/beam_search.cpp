#include "search/beam_search.h"

#include <algorithm>

#include "search/gather.h"
#include "search/internal/common.h"
#include "search/status_macros.h"

namespace arbor::search {

using internal::ConfigReader;

StatusOr<std::unique_ptr<Algorithm>> BeamSearch::create(bool dvts, const Json& config,
                                                        std::string_view where) {
  ConfigReader r(config, std::string(where));
  r.ignore("algorithm");
  auto a = std::make_unique<BeamSearch>();
  a->dvts_ = dvts;
  StepSearchConfig& c = a->c_;
  c.n = static_cast<std::int32_t>(r.get_int("n", c.n, 1, 4096));
  c.m = static_cast<std::int32_t>(r.get_int("m", c.m, 1, 4096));
  c.max_steps = static_cast<std::int32_t>(r.get_int("max_steps", c.max_steps, 1, 1000));
  c.step = internal::read_sampling(r, 0.8, 64);
  c.final_max_tokens =
      static_cast<std::int32_t>(r.get_int("final_max_tokens", c.final_max_tokens, 1, 1 << 20));
  const std::string agg = r.get_choice("aggregation", "last", {"last", "min", "product", "mean"});
  c.selection = r.get_choice("selection", c.selection, internal::selection_names());
  ARBOR_RETURN_IF_ERROR(r.finish());
  c.aggregation = *parse_aggregation(agg);
  a->config_ = r.resolved();
  a->config_["algorithm"] = a->name();
  return std::unique_ptr<Algorithm>(std::move(a));
}

Task<Status> BeamSearch::search(SearchRun& run) const {
  if (dvts_) co_return co_await diverse(run);
  co_return co_await beam(run);
}

Task<StatusOr<std::vector<std::vector<NodeId>>>> BeamSearch::expand(
    SearchRun& run, std::vector<NodeId> parents, std::vector<std::int32_t> counts,
    std::vector<std::uint64_t> seeds, bool last, std::uint64_t round) const {
  std::vector<Task<StatusOr<std::vector<Sample>>>> tasks;
  for (std::size_t i = 0; i < parents.size(); ++i) {
    SampleParams p = c_.step;
    if (last) {
      p.max_tokens = c_.final_max_tokens;
    } else {
      p.stop = {run.prompts().step_delimiter};
    }
    p.seed = seeds[i];
    tasks.push_back(run.lm().sample(run.tree().at(parents[i]).context, counts[i], p));
  }
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<std::vector<Sample>> samples,
                            co_await gather(std::move(tasks)));
  std::vector<std::vector<NodeId>> groups;
  std::vector<NodeId> all;
  for (std::size_t i = 0; i < parents.size(); ++i) {
    groups.push_back(internal::add_samples(run, parents[i], samples[i], "step", false));
    for (NodeId id : groups.back()) {
      if (last) run.tree().at(id).terminal = true;
      all.push_back(id);
    }
  }
  ARBOR_CO_ASSIGN_OR_RETURN(
      std::vector<double> scores,
      co_await internal::evaluate(run, all, true, run.seed(internal::kSeedEvaluate, round)));
  for (std::size_t i = 0; i < all.size(); ++i) {
    Node& n = run.tree().at(all[i]);
    n.rewards = {scores[i]};
    std::vector<double> path_scores;
    for (NodeId id : run.tree().path(all[i])) {
      if (id != run.tree().root()) path_scores.push_back(run.tree().at(id).rewards.at(0));
    }
    n.value = aggregate(path_scores, c_.aggregation);
  }
  co_return groups;
}

Task<Status> BeamSearch::beam(SearchRun& run) const {
  const Tree& tree = run.tree();
  const std::size_t keep = static_cast<std::size_t>(std::max(1, (c_.n + c_.m - 1) / c_.m));
  std::vector<NodeId> active = {tree.root()};
  std::vector<NodeId> finished;
  for (std::int32_t it = 0; it < c_.max_steps && !active.empty(); ++it) {
    if (run.should_stop()) break;
    std::vector<std::int32_t> counts(active.size(), it == 0 ? c_.n : c_.m);
    std::vector<std::uint64_t> seeds;
    for (NodeId a : active) seeds.push_back(run.seed(internal::kSeedSample, a));
    ARBOR_CO_ASSIGN_OR_RETURN(
        std::vector<std::vector<NodeId>> groups,
        co_await expand(run, active, counts, seeds, it + 1 == c_.max_steps, it));
    std::vector<NodeId> open;
    for (const auto& g : groups) {
      for (NodeId id : g) (tree.at(id).terminal ? finished : open).push_back(id);
    }
    // The best unfinished paths survive (ties: the earlier node).
    std::stable_sort(open.begin(), open.end(),
                     [&](NodeId a, NodeId b) { return tree.at(a).value > tree.at(b).value; });
    if (open.size() > keep) open.resize(keep);
    active = open;
    if (finished.size() >= static_cast<std::size_t>(c_.n)) break;
  }
  std::vector<double> weights;
  for (NodeId id : finished) weights.push_back(tree.at(id).value);
  run.choose(internal::select_answer(run, finished, weights, c_.selection));
  co_return Status();
}

Task<Status> BeamSearch::diverse(SearchRun& run) const {
  const Tree& tree = run.tree();
  const std::int32_t subtrees = std::max(1, c_.n / c_.m);
  std::vector<NodeId> current(static_cast<std::size_t>(subtrees), tree.root());
  std::vector<bool> done(current.size(), false);
  std::vector<NodeId> finished;
  for (std::int32_t it = 0; it < c_.max_steps; ++it) {
    std::vector<std::size_t> live;
    for (std::size_t s = 0; s < current.size(); ++s) {
      if (!done[s]) live.push_back(s);
    }
    if (live.empty() || run.should_stop()) break;
    std::vector<NodeId> parents;
    std::vector<std::uint64_t> seeds;
    for (std::size_t s : live) {
      parents.push_back(current[s]);
      seeds.push_back(run.seed(internal::kSeedSample, static_cast<std::uint64_t>(current[s]), s));
    }
    ARBOR_CO_ASSIGN_OR_RETURN(
        std::vector<std::vector<NodeId>> groups,
        co_await expand(run, parents, std::vector<std::int32_t>(live.size(), c_.m), seeds,
                        it + 1 == c_.max_steps, it));
    for (std::size_t g = 0; g < live.size(); ++g) {
      const std::vector<NodeId>& children = groups[g];
      if (children.empty()) {
        done[live[g]] = true;
        continue;
      }
      NodeId best = children[0];
      for (NodeId id : children) {
        if (tree.at(id).value > tree.at(best).value) best = id;
      }
      if (tree.at(best).terminal) {
        done[live[g]] = true;
        for (NodeId id : children) {
          if (tree.at(id).terminal) finished.push_back(id);
        }
      } else {
        current[live[g]] = best;
      }
    }
  }
  std::vector<double> weights;
  for (NodeId id : finished) weights.push_back(tree.at(id).value);
  run.choose(internal::select_answer(run, finished, weights, c_.selection));
  co_return Status();
}

}  // namespace arbor::search
