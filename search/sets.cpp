#include "search/sets.h"

#include <cctype>

#include "core/strings.h"
#include "search/evaluators.h"
#include "search/gather.h"
#include "search/internal/common.h"
#include "search/status_macros.h"

namespace arbor::search {

using internal::ConfigReader;

StatusOr<std::unique_ptr<Algorithm>> Sets::create(const Json& config, std::string_view where) {
  ConfigReader r(config, std::string(where));
  r.ignore("algorithm");
  auto a = std::make_unique<Sets>();
  a->m_ = static_cast<std::int32_t>(r.get_int("m", 4, 1, 4096));
  a->rounds_ = static_cast<std::int32_t>(r.get_int("rounds", 3, 0, 1000));
  a->answer_ = internal::read_sampling(r, 0.8, 192);
  a->critique_max_tokens_ =
      static_cast<std::int32_t>(r.get_int("critique_max_tokens", 48, 1, 4096));
  a->sampled_verdict_ =
      r.get_choice("verify", "probability", {"probability", "sample"}) == "sample";
  a->threshold_ = r.get_double("threshold", 0.5, 0, 1);
  a->verify_temperature_ = static_cast<float>(r.get_double("verify_temperature", 0.7, 0, 100));
  a->selection_ = r.get_choice("selection", "majority", {"majority", "weighted"});
  ARBOR_RETURN_IF_ERROR(r.finish());
  a->config_ = r.resolved();
  a->config_["algorithm"] = "sets";
  return std::unique_ptr<Algorithm>(std::move(a));
}

Task<StatusOr<double>> Sets::verify(SearchRun& run, NodeId node) const {
  const std::string text = run.tree().at(node).text;
  if (!sampled_verdict_) {
    const VerdictJudge judge;
    std::vector<Candidate> one(1);
    one[0].solution = text;
    ARBOR_CO_ASSIGN_OR_RETURN(std::vector<double> p, co_await judge.score(run, std::move(one), 0));
    co_return p.at(0);
  }
  const Prompts& pr = run.prompts();
  TemplateVars vars = {{"candidate", candidate_text(text)}};
  ARBOR_CO_ASSIGN_OR_RETURN(ContextPtr ctx,
                            co_await run.prompt_context(pr.verify, std::move(vars), "candidate"));
  SampleParams sp;
  sp.temperature = verify_temperature_;
  sp.max_tokens = 4;
  sp.stop = {pr.step_delimiter};
  sp.seed = run.seed(internal::kSeedVerify, static_cast<std::uint64_t>(node));
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> s, co_await run.lm().sample(ctx, 1, sp));
  const std::string_view reply = trim(s.at(0).text);
  const std::string_view yes = trim(pr.verdict_yes);
  const bool correct =
      starts_with(reply, yes) &&
      (reply.size() == yes.size() || !std::isalnum(static_cast<unsigned char>(reply[yes.size()])));
  run.tree().at(node).info["verdict_text"] = std::string(reply);
  co_return correct ? 1.0 : 0.0;
}

Task<Status> Sets::search(SearchRun& run) const {
  Tree& tree = run.tree();
  if (run.should_stop()) co_return Status();
  SampleParams first = answer_;
  first.seed = run.seed(internal::kSeedSample, 0);
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> s,
                            co_await run.lm().sample(tree.at(tree.root()).context, m_, first));
  std::vector<NodeId> current = internal::add_samples(run, tree.root(), s, "answer", true);
  std::vector<std::size_t> active;
  for (std::size_t i = 0; i < current.size(); ++i) active.push_back(i);
  for (std::int32_t round = 0; round <= rounds_ && !active.empty(); ++round) {
    if (run.should_stop()) break;
    std::vector<Task<StatusOr<double>>> checks;
    for (std::size_t c : active) checks.push_back(verify(run, current[c]));
    ARBOR_CO_ASSIGN_OR_RETURN(std::vector<double> p, co_await gather(std::move(checks)));
    std::vector<std::size_t> wrong;
    for (std::size_t i = 0; i < active.size(); ++i) {
      Node& n = tree.at(current[active[i]]);
      n.rewards.push_back(p[i]);
      n.value = p[i];
      n.info["verified"] = p[i] >= threshold_;
      if (p[i] < threshold_) wrong.push_back(active[i]);
    }
    if (round == rounds_ || wrong.empty() || run.should_stop()) break;
    std::vector<Task<StatusOr<internal::Refined>>> fixes;
    for (std::size_t c : wrong) {
      const auto node = static_cast<std::uint64_t>(current[c]);
      fixes.push_back(internal::critique_and_refine(run, current[c], answer_, critique_max_tokens_,
                                                    run.seed(internal::kSeedCritique, node),
                                                    run.seed(internal::kSeedRefine, node)));
    }
    ARBOR_CO_ASSIGN_OR_RETURN(std::vector<internal::Refined> fixed,
                              co_await gather(std::move(fixes)));
    for (std::size_t i = 0; i < wrong.size(); ++i) {
      current[wrong[i]] = internal::add_refined(run, current[wrong[i]], fixed[i]);
    }
    active = wrong;
  }
  // A chain whose last answer was not verified (the budget ran out) votes with weight 0.5.
  std::vector<double> weights;
  for (NodeId id : current) {
    const Node& n = tree.at(id);
    weights.push_back(n.rewards.empty() ? 0.5 : n.rewards.back());
  }
  run.choose(internal::select_answer(run, current, weights,
                                     selection_ == "weighted" ? "weighted" : "majority"));
  co_return Status();
}

}  // namespace arbor::search
