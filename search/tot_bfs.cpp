#include "search/tot_bfs.h"

#include <algorithm>

#include "search/gather.h"
#include "search/internal/common.h"
#include "search/status_macros.h"

namespace arbor::search {

using internal::ConfigReader;

StatusOr<std::unique_ptr<Algorithm>> TotBfs::create(const Json& config, std::string_view where) {
  ConfigReader r(config, std::string(where));
  r.ignore("algorithm");
  auto a = std::make_unique<TotBfs>();
  a->n_generate_ = static_cast<std::int32_t>(r.get_int("n_generate", 3, 1, 1024));
  a->breadth_ = static_cast<std::int32_t>(r.get_int("breadth", 5, 1, 1024));
  a->max_steps_ = static_cast<std::int32_t>(r.get_int("max_steps", 8, 1, 1000));
  a->step_ = internal::read_sampling(r, 0.7, 64);
  a->final_max_tokens_ = static_cast<std::int32_t>(r.get_int("final_max_tokens", 192, 1, 1 << 20));
  a->use_run_evaluator_ = r.get_choice("value", "label", {"label", "evaluator"}) == "evaluator";
  LabelJudge::Options o;
  o.mode = r.get_choice("value_mode", o.mode, {"probability", "sample"});
  o.n_evaluate = static_cast<std::int32_t>(r.get_int("n_evaluate", o.n_evaluate, 1, 64));
  o.temperature = static_cast<float>(r.get_double("value_temperature", o.temperature, 0, 100));
  ARBOR_RETURN_IF_ERROR(r.finish());
  a->judge_ = std::make_unique<LabelJudge>(o);
  a->config_ = r.resolved();
  a->config_["algorithm"] = "tot_bfs";
  return std::unique_ptr<Algorithm>(std::move(a));
}

Task<Status> TotBfs::search(SearchRun& run) const {
  Tree& tree = run.tree();
  const Evaluator& judge = use_run_evaluator_ ? *run.evaluator() : *judge_;
  std::vector<NodeId> frontier = {tree.root()};
  std::vector<NodeId> finished;
  for (std::int32_t step = 0; step < max_steps_ && !frontier.empty(); ++step) {
    if (run.should_stop()) break;
    const bool last = step + 1 == max_steps_;
    std::vector<Task<StatusOr<std::vector<Sample>>>> tasks;
    for (NodeId s : frontier) {
      SampleParams p = step_;
      if (last) {
        p.max_tokens = final_max_tokens_;
      } else {
        p.stop = {run.prompts().step_delimiter};
      }
      p.seed = run.seed(internal::kSeedSample, static_cast<std::uint64_t>(s));
      tasks.push_back(run.lm().sample(tree.at(s).context, n_generate_, p));
    }
    ARBOR_CO_ASSIGN_OR_RETURN(std::vector<std::vector<Sample>> samples,
                              co_await gather(std::move(tasks)));
    std::vector<NodeId> fresh;
    for (std::size_t i = 0; i < frontier.size(); ++i) {
      for (NodeId id : internal::add_samples(run, frontier[i], samples[i], "step", false)) {
        if (last) tree.at(id).terminal = true;
        fresh.push_back(id);
      }
    }
    // Value each distinct state once; repeats of a state get 0.
    std::vector<NodeId> unique;
    std::vector<std::string> seen;
    for (NodeId id : fresh) {
      const std::string sol = tree.solution(id);
      if (std::find(seen.begin(), seen.end(), sol) != seen.end()) {
        tree.at(id).info["duplicate"] = true;
        continue;
      }
      seen.push_back(sol);
      unique.push_back(id);
    }
    std::vector<double> values;
    if (!unique.empty()) {
      ARBOR_CO_ASSIGN_OR_RETURN(
          values, co_await judge.score(run, internal::candidates_of(run, unique, true),
                                       run.seed(internal::kSeedEvaluate, step)));
    }
    for (std::size_t i = 0; i < unique.size(); ++i) {
      tree.at(unique[i]).rewards = {values[i]};
      tree.at(unique[i]).value = values[i];
    }
    std::vector<NodeId> open;
    for (NodeId id : fresh) (tree.at(id).terminal ? finished : open).push_back(id);
    std::stable_sort(open.begin(), open.end(),
                     [&](NodeId a, NodeId b) { return tree.at(a).value > tree.at(b).value; });
    if (open.size() > static_cast<std::size_t>(breadth_)) open.resize(breadth_);
    frontier = open;
  }
  std::vector<double> weights;
  for (NodeId id : finished) weights.push_back(tree.at(id).value);
  run.choose(internal::select_answer(run, finished, weights, "best"));
  co_return Status();
}

}  // namespace arbor::search
