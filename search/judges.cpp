// The model-as-judge evaluators: verdict, sampled score, ToT label values, pairwise preference.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/strings.h"
#include "search/evaluators.h"
#include "search/gather.h"
#include "search/run.h"
#include "search/seeds.h"
#include "search/status_macros.h"

namespace arbor::search {
namespace {

Task<StatusOr<double>> verdict_one(SearchRun& run, std::string solution) {
  const Prompts& p = run.prompts();
  TemplateVars vars = {{"candidate", candidate_text(solution)}};
  ARBOR_CO_ASSIGN_OR_RETURN(ContextPtr ctx,
                            co_await run.prompt_context(p.verify, std::move(vars), "candidate"));
  std::vector<Task<StatusOr<double>>> tasks;
  tasks.push_back(run.lm().logprob(ctx, p.verdict_yes));
  tasks.push_back(run.lm().logprob(ctx, p.verdict_no));
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<double> lp, co_await gather(std::move(tasks)));
  co_return two_way_probability(lp[0], lp[1]);
}

Task<StatusOr<double>> sampled_score_one(SearchRun& run, SampledScoreJudge::Options o,
                                         std::string solution, std::uint64_t seed) {
  TemplateVars vars = {{"candidate", candidate_text(solution)}};
  ARBOR_CO_ASSIGN_OR_RETURN(ContextPtr ctx, co_await run.prompt_context(
                                                run.prompts().score, std::move(vars), "candidate"));
  std::vector<double> scores;
  std::int32_t wanted = o.samples;
  for (std::int32_t attempt = 0; attempt <= o.retries && wanted > 0; ++attempt) {
    SampleParams sp;
    sp.temperature = o.temperature;
    sp.max_tokens = o.max_tokens;
    sp.stop = {run.prompts().step_delimiter};
    sp.seed = derive_seed(seed, static_cast<std::uint64_t>(attempt));
    ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> replies,
                              co_await run.lm().sample(ctx, wanted, sp));
    for (const Sample& s : replies) {
      if (std::optional<double> v = last_number(s.text)) {
        scores.push_back(std::clamp(*v, -100.0, 100.0));
        --wanted;
      }
    }
  }
  if (scores.empty()) co_return o.fallback;
  double sum = 0;
  for (double s : scores) sum += s;
  co_return sum / static_cast<double>(scores.size());
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The first word of `reply`, without punctuation around it.
std::string first_word(std::string_view reply) {
  std::string_view t = trim(reply);
  std::size_t end = 0;
  while (end < t.size() && !std::isspace(static_cast<unsigned char>(t[end]))) ++end;
  std::string w = lower(t.substr(0, end));
  while (!w.empty() && std::ispunct(static_cast<unsigned char>(w.back()))) w.pop_back();
  return w;
}

Task<StatusOr<double>> label_one(SearchRun& run, LabelJudge::Options o, std::string solution,
                                 std::uint64_t seed) {
  const auto& labels = run.prompts().value_labels;
  TemplateVars vars = {{"candidate", candidate_text(solution)}};
  ARBOR_CO_ASSIGN_OR_RETURN(ContextPtr ctx, co_await run.prompt_context(
                                                run.prompts().value, std::move(vars), "candidate"));
  if (o.mode == "probability") {
    std::vector<Task<StatusOr<double>>> tasks;
    for (const auto& [word, value] : labels) tasks.push_back(run.lm().logprob(ctx, word));
    ARBOR_CO_ASSIGN_OR_RETURN(std::vector<double> lp, co_await gather(std::move(tasks)));
    const double top = *std::max_element(lp.begin(), lp.end());
    double z = 0, expected = 0;
    for (std::size_t i = 0; i < lp.size(); ++i) {
      const double w = std::exp(lp[i] - top);
      z += w;
      expected += w * labels[i].second;
    }
    co_return static_cast<double>(o.n_evaluate) * expected / z;
  }
  SampleParams sp;
  sp.temperature = o.temperature;
  sp.max_tokens = o.max_tokens;
  sp.stop = {run.prompts().step_delimiter};
  sp.seed = seed;
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> replies,
                            co_await run.lm().sample(ctx, o.n_evaluate, sp));
  double total = 0;
  for (const Sample& s : replies) {
    const std::string w = first_word(s.text);
    for (const auto& [word, value] : labels) {
      if (!w.empty() && lower(trim(word)) == w) {
        total += value;
        break;
      }
    }
  }
  co_return total;
}

}  // namespace

Task<StatusOr<std::vector<double>>> VerdictJudge::score(SearchRun& run,
                                                        std::vector<Candidate> candidates,
                                                        std::uint64_t) const {
  std::vector<Task<StatusOr<double>>> tasks;
  for (Candidate& c : candidates) tasks.push_back(verdict_one(run, std::move(c.solution)));
  co_return co_await gather(std::move(tasks));
}

Task<StatusOr<std::vector<double>>> SampledScoreJudge::score(SearchRun& run,
                                                             std::vector<Candidate> candidates,
                                                             std::uint64_t seed) const {
  std::vector<Task<StatusOr<double>>> tasks;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    tasks.push_back(
        sampled_score_one(run, options_, std::move(candidates[i].solution), derive_seed(seed, i)));
  }
  co_return co_await gather(std::move(tasks));
}

Json SampledScoreJudge::config() const {
  return {{"kind", "sampled_score"},
          {"samples", options_.samples},
          {"temperature", options_.temperature},
          {"max_tokens", options_.max_tokens},
          {"retries", options_.retries},
          {"fallback", options_.fallback}};
}

Task<StatusOr<std::vector<double>>> LabelJudge::score(SearchRun& run,
                                                      std::vector<Candidate> candidates,
                                                      std::uint64_t seed) const {
  std::vector<Task<StatusOr<double>>> tasks;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    tasks.push_back(
        label_one(run, options_, std::move(candidates[i].solution), derive_seed(seed, i)));
  }
  co_return co_await gather(std::move(tasks));
}

Json LabelJudge::config() const {
  return {{"kind", "label"},
          {"mode", options_.mode},
          {"n_evaluate", options_.n_evaluate},
          {"temperature", options_.temperature},
          {"max_tokens", options_.max_tokens}};
}

Task<StatusOr<double>> PairwiseJudge::prefer(SearchRun& run, std::string a, std::string b) {
  const Prompts& p = run.prompts();
  const std::string ca = candidate_text(a);
  const std::string cb = candidate_text(b);
  TemplateVars first = {{"a", ca}, {"b", cb}};
  TemplateVars second = {{"a", cb}, {"b", ca}};
  ARBOR_CO_ASSIGN_OR_RETURN(ContextPtr ab,
                            co_await run.prompt_context(p.pairwise, std::move(first), "a"));
  ARBOR_CO_ASSIGN_OR_RETURN(ContextPtr ba,
                            co_await run.prompt_context(p.pairwise, std::move(second), "a"));
  std::vector<Task<StatusOr<double>>> tasks;
  tasks.push_back(run.lm().logprob(ab, p.pairwise_a));
  tasks.push_back(run.lm().logprob(ab, p.pairwise_b));
  tasks.push_back(run.lm().logprob(ba, p.pairwise_a));
  tasks.push_back(run.lm().logprob(ba, p.pairwise_b));
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<double> lp, co_await gather(std::move(tasks)));
  // In the swapped order, "a" is solution B.
  co_return 0.5 * (two_way_probability(lp[0], lp[1]) + two_way_probability(lp[3], lp[2]));
}

Task<StatusOr<std::vector<double>>> PairwiseJudge::score(SearchRun& run,
                                                         std::vector<Candidate> candidates,
                                                         std::uint64_t) const {
  const std::size_t n = candidates.size();
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  std::vector<Task<StatusOr<double>>> tasks;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      pairs.emplace_back(i, j);
      tasks.push_back(prefer(run, candidates[i].solution, candidates[j].solution));
    }
  }
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<double> p, co_await gather(std::move(tasks)));
  std::vector<double> borda(n, 0.0);
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    borda[pairs[k].first] += p[k];
    borda[pairs[k].second] += 1.0 - p[k];
  }
  co_return borda;
}

}  // namespace arbor::search
