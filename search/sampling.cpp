#include "search/sampling.h"

#include <algorithm>
#include <cmath>

#include "search/evaluator.h"
#include "search/internal/common.h"
#include "search/status_macros.h"

namespace arbor::search {

using internal::ConfigReader;

StatusOr<std::unique_ptr<Algorithm>> ChainOfThought::create(const Json& config,
                                                            std::string_view where) {
  ConfigReader r(config, std::string(where));
  r.ignore("algorithm");
  auto a = std::make_unique<ChainOfThought>();
  a->params_ = internal::read_sampling(r, 0.0, 192);
  ARBOR_RETURN_IF_ERROR(r.finish());
  a->config_ = r.resolved();
  a->config_["algorithm"] = "cot";
  return std::unique_ptr<Algorithm>(std::move(a));
}

Task<Status> ChainOfThought::search(SearchRun& run) const {
  if (run.should_stop()) co_return Status();
  SampleParams p = params_;
  p.seed = run.seed(internal::kSeedSample, 0);
  const ContextPtr root = run.tree().at(run.tree().root()).context;
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> s, co_await run.lm().sample(root, 1, p));
  const std::vector<NodeId> ids = internal::add_samples(run, run.tree().root(), s, "answer", true);
  run.choose(run.tree().at(ids[0]).answer ? ids[0] : kNoNode);
  co_return Status();
}

StatusOr<std::unique_ptr<Algorithm>> Sampling::create(Mode mode, const Json& config,
                                                      std::string_view where) {
  ConfigReader r(config, std::string(where));
  r.ignore("algorithm");
  auto a = std::make_unique<Sampling>();
  a->mode_ = mode;
  a->n_ = static_cast<std::int32_t>(r.get_int("n", 8, 0, 1 << 20));
  a->batch_ = static_cast<std::int32_t>(r.get_int("batch", 0, 0, 1 << 20));
  if (a->batch_ == 0) a->batch_ = a->n_ > 0 ? a->n_ : 8;
  a->params_ = internal::read_sampling(r, 0.8, 192);
  ARBOR_RETURN_IF_ERROR(r.finish());
  a->config_ = r.resolved();
  a->config_["batch"] = a->batch_;
  a->config_["algorithm"] = a->name();
  return std::unique_ptr<Algorithm>(std::move(a));
}

std::string Sampling::name() const {
  switch (mode_) {
    case Mode::kBestOfN:
      return "best_of_n";
    case Mode::kSelfConsistency:
      return "self_consistency";
    case Mode::kWeightedVote:
      return "weighted_vote";
  }
  return "?";
}

Task<Status> Sampling::search(SearchRun& run) const {
  const Budget& budget = run.lm().budget();
  if (n_ == 0 && budget.max_tokens <= 0 && budget.max_calls <= 0) {
    co_return Status::invalid_argument(name() +
                                       ": n = 0 (sample until the budget is spent) needs a "
                                       "token or call budget");
  }
  const ContextPtr root = run.tree().at(run.tree().root()).context;
  std::vector<NodeId> nodes;
  std::vector<double> weights;
  for (std::uint64_t round = 0; n_ == 0 || nodes.size() < static_cast<std::size_t>(n_); ++round) {
    // The smallest next round is one sample (unknown before the first).
    const double per_sample = run.lm().mean_tokens_per_sample(params_.max_tokens);
    if (run.should_stop(run.lm().usage().generate_calls > 0 ? per_sample : 0)) break;
    std::int64_t k = batch_;
    if (n_ > 0) k = std::min<std::int64_t>(k, n_ - static_cast<std::int64_t>(nodes.size()));
    if (budget.max_tokens > 0) {
      const auto fit =
          std::llround(static_cast<double>(run.lm().tokens_left()) / std::max(per_sample, 1.0));
      k = std::clamp<std::int64_t>(fit, 1, k);
    }
    if (budget.max_calls > 0) {
      k = std::clamp<std::int64_t>(budget.max_calls - run.lm().usage().calls, 1, k);
    }
    SampleParams p = params_;
    p.seed = run.seed(internal::kSeedSample, round);
    ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> s,
                              co_await run.lm().sample(root, static_cast<std::int32_t>(k), p));
    const std::vector<NodeId> ids =
        internal::add_samples(run, run.tree().root(), s, "answer", true);
    if (mode_ != Mode::kSelfConsistency) {
      ARBOR_CO_ASSIGN_OR_RETURN(
          std::vector<double> scores,
          co_await internal::evaluate(run, ids, false, run.seed(internal::kSeedEvaluate, round)));
      const double lo = run.evaluator()->range().lo;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        Node& n = run.tree().at(ids[i]);
        n.rewards.push_back(scores[i]);
        n.value = scores[i];
        weights.push_back(mode_ == Mode::kWeightedVote ? scores[i] - lo : scores[i]);
      }
    } else {
      weights.insert(weights.end(), ids.size(), 1.0);
    }
    nodes.insert(nodes.end(), ids.begin(), ids.end());
  }
  const char* selection = mode_ == Mode::kBestOfN           ? "best"
                          : mode_ == Mode::kSelfConsistency ? "majority"
                                                            : "weighted";
  run.choose(internal::select_answer(run, nodes, weights, selection));
  co_return Status();
}

}  // namespace arbor::search
