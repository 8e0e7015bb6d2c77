#include "search/run.h"

#include "search/seeds.h"
#include "search/status_macros.h"

namespace arbor::search {

Json SearchResult::to_json(bool with_tree) const {
  Json cands = Json::array();
  for (const AnswerRecord& c : candidates) {
    cands.push_back({{"node", c.node}, {"answer", c.answer}, {"key", c.key}, {"source", c.source}});
  }
  Json j = {{"problem_id", problem_id}, {"algorithm", algorithm},
            {"config", config},         {"answer", answer ? Json(*answer) : Json(nullptr)},
            {"chosen", chosen},         {"candidates", std::move(cands)},
            {"usage", usage.to_json()}, {"stop", stop_reason_name(stop)}};
  if (with_tree) j["tree"] = tree.to_json();
  return j;
}

ResultScore score_result(const SearchResult& result, const CorrectFn& is_correct) {
  ResultScore s;
  s.correct = result.answer.has_value() && is_correct(*result.answer);
  s.k = static_cast<std::int32_t>(result.candidates.size());
  for (const AnswerRecord& c : result.candidates) {
    if (is_correct(c.answer)) {
      s.pass_at_k = true;
      break;
    }
  }
  return s;
}

SearchRun::SearchRun(LanguageModel& lm, Problem problem, RunOptions options)
    : lm_(lm, options.budget), problem_(std::move(problem)), options_(std::move(options)) {}

Task<Status> SearchRun::start() {
  const std::string prompt = render(options_.prompts.solve, {{"question", problem_.question}});
  ARBOR_CO_ASSIGN_OR_RETURN(ContextPtr context, co_await lm_.start(prompt));
  tree_.add_root(prompt, std::move(context));
  co_return Status();
}

std::uint64_t SearchRun::seed(std::uint64_t purpose, std::uint64_t a, std::uint64_t b) const {
  return derive_seed(derive_seed(options_.seed, purpose, a), b);
}

bool SearchRun::should_stop(double next_round_tokens) {
  if (stop_) return true;
  const std::int64_t tokens = lm_.usage().tokens;
  if (next_round_tokens < 0)
    next_round_tokens = static_cast<double>(tokens - tokens_at_last_check_);
  tokens_at_last_check_ = tokens;
  stop_ = lm_.spent();
  if (!stop_ && lm_.budget().max_tokens > 0 &&
      static_cast<double>(lm_.tokens_left()) < next_round_tokens / 2) {
    stop_ = StopReason::kTokens;
  }
  return stop_.has_value();
}

std::optional<std::string> SearchRun::extract(NodeId id) const {
  return options_.answers.extract_from(tree_.solution(id));
}

Task<StatusOr<ContextPtr>> SearchRun::prompt_context(std::string tmpl, TemplateVars vars,
                                                     std::string split) {
  vars["question"] = problem_.question;
  const std::string marker = "{" + split + "}";
  const std::size_t at = split.empty() ? std::string::npos : tmpl.find(marker);
  if (at == std::string::npos) co_return co_await lm_.start(render(tmpl, vars));
  const std::string prefix = render(tmpl.substr(0, at), vars);
  const std::string rest = render(tmpl.substr(at), vars);
  if (prefix.empty()) co_return co_await lm_.start(rest);
  ContextPtr base;
  if (auto it = prefixes_.find(prefix); it != prefixes_.end()) {
    base = it->second;
  } else {
    ARBOR_CO_ASSIGN_OR_RETURN(base, co_await lm_.start(prefix));
    prefixes_.emplace(prefix, base);
  }
  if (rest.empty()) co_return base;
  co_return co_await lm_.extend(base, rest);
}

Task<StatusOr<ContextPtr>> SearchRun::solve_context(std::string solution, bool partial) {
  const std::string& delim = options_.prompts.step_delimiter;
  if (!partial && !solution.empty() &&
      (solution.size() < delim.size() ||
       solution.compare(solution.size() - delim.size(), delim.size(), delim) != 0)) {
    solution += delim;
  }
  const ContextPtr& root = tree_.at(tree_.root()).context;
  if (solution.empty()) co_return root;
  co_return co_await lm_.extend(root, std::move(solution));
}

SearchResult SearchRun::finish(std::string algorithm, Json config) {
  SearchResult r;
  r.problem_id = problem_.id;
  r.algorithm = std::move(algorithm);
  r.config = std::move(config);
  r.chosen = chosen_;
  for (const Node& n : tree_.nodes()) {
    if (n.answer) r.candidates.push_back({n.id, *n.answer, answers().key(*n.answer), "node"});
    if (n.info.contains("rollout_answer") && n.info["rollout_answer"].is_string()) {
      const std::string a = n.info["rollout_answer"].get<std::string>();
      r.candidates.push_back({n.id, a, answers().key(a), "rollout"});
    }
  }
  if (chosen_ != kNoNode) r.answer = chosen_answer_ ? chosen_answer_ : tree_.at(chosen_).answer;
  r.usage = lm_.usage();
  r.stop = stop_.value_or(StopReason::kDone);
  tree_.release_contexts();
  prefixes_.clear();
  r.tree = std::move(tree_);
  return r;
}

}  // namespace arbor::search
