#include "search/self_refine.h"

#include <algorithm>

#include "core/strings.h"
#include "search/evaluators.h"
#include "search/internal/common.h"
#include "search/status_macros.h"

namespace arbor::search {

using internal::ConfigReader;

StatusOr<std::unique_ptr<Algorithm>> SelfRefine::create(const Json& config,
                                                        std::string_view where) {
  ConfigReader r(config, std::string(where));
  r.ignore("algorithm");
  auto a = std::make_unique<SelfRefine>();
  a->rounds_ = static_cast<std::int32_t>(r.get_int("rounds", 4, 0, 1000));
  a->stop_ = r.get_choice("stop", "critique", {"critique", "verdict", "evaluator"});
  a->threshold_ = r.get_double("threshold", 0.5, 0, 1);
  a->done_critique_ = r.get_string("done_critique", "All steps are correct.");
  r.require(!trim(a->done_critique_).empty(), "done_critique", "must not be empty");
  a->selection_ = r.get_choice("selection", "last", {"last", "best"});
  a->answer_ = internal::read_sampling(r, 0.0, 192);
  a->critique_max_tokens_ =
      static_cast<std::int32_t>(r.get_int("critique_max_tokens", 48, 1, 4096));
  ARBOR_RETURN_IF_ERROR(r.finish());
  a->config_ = r.resolved();
  a->config_["algorithm"] = "self_refine";
  return std::unique_ptr<Algorithm>(std::move(a));
}

Task<StatusOr<double>> SelfRefine::check(SearchRun& run, NodeId node) const {
  std::vector<Candidate> one(1);
  one[0].solution = run.tree().at(node).text;
  if (stop_ == "verdict") {
    const VerdictJudge judge;
    ARBOR_CO_ASSIGN_OR_RETURN(std::vector<double> p, co_await judge.score(run, std::move(one), 0));
    run.tree().at(node).rewards.push_back(p.at(0));
    co_return p.at(0);
  }
  const Evaluator* e = run.evaluator();
  if (e == nullptr) co_return Status::invalid_argument("self_refine: stop 'evaluator' needs one");
  ARBOR_CO_ASSIGN_OR_RETURN(
      std::vector<double> s,
      co_await e->score(run, std::move(one),
                        run.seed(internal::kSeedEvaluate, static_cast<std::uint64_t>(node))));
  run.tree().at(node).rewards.push_back(s.at(0));
  const ScoreRange range = e->range();
  co_return std::clamp((s.at(0) - range.lo) / (range.hi - range.lo), 0.0, 1.0);
}

Task<Status> SelfRefine::search(SearchRun& run) const {
  Tree& tree = run.tree();
  if (run.should_stop()) co_return Status();
  SampleParams first = answer_;
  first.seed = run.seed(internal::kSeedSample, 0);
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> s,
                            co_await run.lm().sample(tree.at(tree.root()).context, 1, first));
  NodeId current = internal::add_samples(run, tree.root(), s, "answer", true).at(0);
  std::vector<NodeId> chain = {current};
  for (std::int32_t round = 0;; ++round) {
    if (run.should_stop()) break;
    const auto node = static_cast<std::uint64_t>(current);
    if (stop_ == "critique") {
      if (round == rounds_) break;
      ARBOR_CO_ASSIGN_OR_RETURN(
          Sample feedback, co_await internal::critique(run, current, answer_, critique_max_tokens_,
                                                       run.seed(internal::kSeedCritique, node)));
      if (starts_with(trim(feedback.text), trim(done_critique_))) {
        Node& n = tree.at(current);
        n.info["final_critique"] = feedback.text;
        n.info["verified"] = true;
        break;
      }
      if (run.should_stop()) break;
      internal::Refined refined;
      ARBOR_CO_ASSIGN_OR_RETURN(
          refined.answer, co_await internal::refine_after(run, feedback, answer_,
                                                          run.seed(internal::kSeedRefine, node)));
      refined.critique = std::move(feedback);
      current = internal::add_refined(run, current, refined);
      chain.push_back(current);
      continue;
    }
    ARBOR_CO_ASSIGN_OR_RETURN(double score, co_await check(run, current));
    {
      Node& n = tree.at(current);
      n.value = score;
      n.info["check"] = score;
      n.info["verified"] = score >= threshold_;
    }
    if (score >= threshold_ || round == rounds_ || run.should_stop()) break;
    ARBOR_CO_ASSIGN_OR_RETURN(
        internal::Refined refined,
        co_await internal::critique_and_refine(run, current, answer_, critique_max_tokens_,
                                               run.seed(internal::kSeedCritique, node),
                                               run.seed(internal::kSeedRefine, node)));
    current = internal::add_refined(run, current, refined);
    chain.push_back(current);
  }
  // The answer: the last answered node, or the one with the best check (an answer left
  // unchecked when the rounds or the budget ended ranks below every checked one).
  NodeId chosen = kNoNode;
  double best = -2;
  for (NodeId id : chain) {
    const Node& n = tree.at(id);
    if (!n.answer) continue;
    const double score = n.info.contains("check") ? n.value : -1;
    if (selection_ == "last" || stop_ == "critique" || score > best) {
      chosen = id;
      best = score;
    }
  }
  run.choose(chosen);
  co_return Status();
}

}  // namespace arbor::search
