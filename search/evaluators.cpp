// Value-head and verifier evaluators, the evaluator factory and shared helpers.
#include "search/evaluators.h"

#include <cctype>
#include <cmath>

#include "search/gather.h"
#include "search/internal/config_reader.h"
#include "search/run.h"
#include "search/status_macros.h"

namespace arbor::search {
namespace {

Task<StatusOr<double>> head_one(SearchRun& run, std::string head, std::int32_t output,
                                Candidate c) {
  ContextPtr ctx = c.solve_context;
  if (!ctx) {
    ARBOR_CO_ASSIGN_OR_RETURN(ctx, co_await run.solve_context(std::move(c.solution), c.partial));
  }
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<float> v, co_await run.lm().value(ctx, head));
  if (output < 0 || static_cast<std::size_t>(output) >= v.size()) {
    co_return Status::invalid_argument("reward head '" + head + "' has " +
                                       std::to_string(v.size()) + " outputs; output " +
                                       std::to_string(output) + " was asked for");
  }
  co_return static_cast<double>(v[static_cast<std::size_t>(output)]);
}

Task<StatusOr<double>> likelihood_one(SearchRun& run, std::string solution) {
  const std::string& delim = run.prompts().step_delimiter;
  std::size_t steps = 1;
  for (std::size_t at = solution.find(delim); !delim.empty() && at != std::string::npos;
       at = solution.find(delim, at + delim.size())) {
    if (at + delim.size() < solution.size()) ++steps;  // a trailing delimiter ends, not splits
  }
  if (solution.empty()) co_return 1.0;
  ARBOR_CO_ASSIGN_OR_RETURN(ContextPtr root, co_await run.solve_context(std::string(), true));
  ARBOR_CO_ASSIGN_OR_RETURN(double lp, co_await run.lm().logprob(root, std::move(solution)));
  co_return std::exp(lp / static_cast<double>(steps));
}

}  // namespace

double two_way_probability(double logp_yes, double logp_no) {
  return 1.0 / (1.0 + std::exp(logp_no - logp_yes));
}

std::optional<double> last_number(std::string_view text) {
  std::optional<double> last;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t start = i;
    if (start > 0 && text[start - 1] == '-') --start;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i + 1 < text.size() && text[i] == '.' &&
        std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      ++i;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    }
    last = std::strtod(std::string(text.substr(start, i - start)).c_str(), nullptr);
  }
  return last;
}

Task<StatusOr<std::vector<double>>> ValueHeadEvaluator::score(SearchRun& run,
                                                              std::vector<Candidate> candidates,
                                                              std::uint64_t) const {
  std::vector<Task<StatusOr<double>>> tasks;
  for (Candidate& c : candidates) tasks.push_back(head_one(run, head_, output_, std::move(c)));
  co_return co_await gather(std::move(tasks));
}

Task<StatusOr<std::vector<double>>> SelfRewardJudge::score(SearchRun& run,
                                                           std::vector<Candidate> candidates,
                                                           std::uint64_t seed) const {
  const VerdictJudge judge;
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<double> p,
                            co_await judge.score(run, std::move(candidates), seed));
  for (double& x : p) x = 200.0 * x - 100.0;
  co_return p;
}

Task<StatusOr<std::vector<double>>> LikelihoodEvaluator::score(SearchRun& run,
                                                               std::vector<Candidate> candidates,
                                                               std::uint64_t) const {
  std::vector<Task<StatusOr<double>>> tasks;
  for (Candidate& c : candidates) tasks.push_back(likelihood_one(run, std::move(c.solution)));
  co_return co_await gather(std::move(tasks));
}

Json ValueHeadEvaluator::config() const {
  return {
      {"kind", "prm"}, {"head", head_}, {"output", output_}, {"lo", range_.lo}, {"hi", range_.hi}};
}

Task<StatusOr<std::vector<double>>> VerifierEvaluator::score(SearchRun& run,
                                                             std::vector<Candidate> candidates,
                                                             std::uint64_t) const {
  std::vector<double> out;
  for (const Candidate& c : candidates) {
    StatusOr<double> v = verifier_(run.problem().question, c.solution, c.partial);
    if (!v.ok()) co_return v.status().with_context("verifier '" + name_ + "'");
    out.push_back(*v);
  }
  co_return out;
}

Json VerifierEvaluator::config() const {
  return {{"kind", "verifier"}, {"name", name_}, {"lo", range_.lo}, {"hi", range_.hi}};
}

StatusOr<std::unique_ptr<Evaluator>> make_evaluator(const Json& config, const Verifiers& verifiers,
                                                    std::string_view where) {
  internal::ConfigReader r(config, std::string(where));
  const std::string kind = r.get_choice(
      "kind", "verdict",
      {"verdict", "self_reward", "sampled_score", "prm", "label", "pairwise", "verifier",
       "likelihood"});
  std::unique_ptr<Evaluator> e;
  if (kind == "verdict") {
    e = std::make_unique<VerdictJudge>();
  } else if (kind == "self_reward") {
    e = std::make_unique<SelfRewardJudge>();
  } else if (kind == "sampled_score") {
    SampledScoreJudge::Options o;
    o.samples = static_cast<std::int32_t>(r.get_int("samples", o.samples, 1, 64));
    o.temperature = static_cast<float>(r.get_double("temperature", o.temperature, 0, 10));
    o.max_tokens = static_cast<std::int32_t>(r.get_int("max_tokens", o.max_tokens, 1, 4096));
    o.retries = static_cast<std::int32_t>(r.get_int("retries", o.retries, 0, 16));
    o.fallback = r.get_double("fallback", o.fallback, -100, 100);
    e = std::make_unique<SampledScoreJudge>(o);
  } else if (kind == "prm") {
    const std::string head = r.get_string("head", "prm");
    const auto output = static_cast<std::int32_t>(r.get_int("output", 0, 0, 1 << 20));
    const double lo = r.get_double("lo", 0);
    const double hi = r.get_double("hi", 1);
    r.require(hi > lo, "hi", "must be above lo");
    e = std::make_unique<ValueHeadEvaluator>(head, output, ScoreRange{lo, hi});
  } else if (kind == "label") {
    LabelJudge::Options o;
    o.mode = r.get_choice("mode", o.mode, {"probability", "sample"});
    o.n_evaluate = static_cast<std::int32_t>(r.get_int("n_evaluate", o.n_evaluate, 1, 64));
    o.temperature = static_cast<float>(r.get_double("temperature", o.temperature, 0, 10));
    o.max_tokens = static_cast<std::int32_t>(r.get_int("max_tokens", o.max_tokens, 1, 4096));
    e = std::make_unique<LabelJudge>(o);
  } else if (kind == "pairwise") {
    e = std::make_unique<PairwiseJudge>();
  } else if (kind == "likelihood") {
    e = std::make_unique<LikelihoodEvaluator>();
  } else if (kind == "verifier") {
    const std::string name = r.get_string("name", "");
    const double lo = r.get_double("lo", 0);
    const double hi = r.get_double("hi", 1);
    auto it = verifiers.find(name);
    std::string known;
    for (const auto& [n, v] : verifiers) known += (known.empty() ? "" : ", ") + n;
    r.require(it != verifiers.end(), "name",
              "no verifier named '" + name + "' (known: " + (known.empty() ? "none" : known) + ")");
    r.require(hi > lo, "hi", "must be above lo");
    ARBOR_RETURN_IF_ERROR(r.finish());
    e = std::make_unique<VerifierEvaluator>(name, it->second, ScoreRange{lo, hi});
  }
  ARBOR_RETURN_IF_ERROR(r.finish());
  return e;
}

}  // namespace arbor::search
