#include "search/internal/common.h"

#include <algorithm>

#include "search/status_macros.h"

namespace arbor::search::internal {

SampleParams read_sampling(ConfigReader& r, double temperature, std::int64_t max_tokens,
                           const char* max_tokens_key) {
  SampleParams p;
  p.temperature = static_cast<float>(r.get_double("temperature", temperature, 0, 100));
  p.top_k = static_cast<std::int32_t>(r.get_int("top_k", 0, 0, 1 << 24));
  p.top_p = static_cast<float>(r.get_double("top_p", 1.0, 0, 1));
  p.min_p = static_cast<float>(r.get_double("min_p", 0.0, 0, 1));
  r.require(p.top_p > 0, "top_p", "must be above 0");
  p.max_tokens = static_cast<std::int32_t>(r.get_int(max_tokens_key, max_tokens, 1, 1 << 20));
  return p;
}

std::vector<NodeId> add_samples(SearchRun& run, NodeId parent, const std::vector<Sample>& samples,
                                const std::string& kind, bool whole) {
  std::vector<NodeId> ids;
  for (const Sample& s : samples) {
    Node n;
    n.kind = kind;
    n.whole = whole;
    n.text = s.text + (s.finish == Finish::kStop ? s.stop : std::string());
    n.context = s.context;
    n.tokens = s.tokens;
    n.logprob = s.logprob;
    n.finish = s.finish;
    const NodeId id = run.tree().add_child(parent, std::move(n));
    Node& added = run.tree().at(id);
    added.answer = run.extract(id);
    added.terminal = whole || added.answer.has_value() || s.finish != Finish::kStop;
    ids.push_back(id);
  }
  return ids;
}

std::vector<Candidate> candidates_of(const SearchRun& run, const std::vector<NodeId>& nodes,
                                     bool step_contexts) {
  std::vector<Candidate> out;
  for (NodeId id : nodes) {
    const Node& n = run.tree().at(id);
    Candidate c;
    c.solution = run.tree().solution(id);
    c.partial = !n.terminal;
    // A step node that ended at the delimiter holds the solve-format context the value
    // head reads; one that ended at EOS or the token limit gets the delimiter appended.
    if (step_contexts && !n.whole && n.finish == Finish::kStop) c.solve_context = n.context;
    out.push_back(std::move(c));
  }
  return out;
}

Task<StatusOr<std::vector<double>>> evaluate(SearchRun& run, std::vector<NodeId> nodes,
                                             bool step_contexts, std::uint64_t seed) {
  if (nodes.empty()) co_return std::vector<double>();
  const Evaluator* e = run.evaluator();
  if (e == nullptr) co_return Status::invalid_argument("this algorithm needs an evaluator");
  co_return co_await e->score(run, candidates_of(run, nodes, step_contexts), seed);
}

Task<StatusOr<Sample>> critique(SearchRun& run, NodeId node, SampleParams params,
                                std::int32_t critique_max_tokens, std::uint64_t seed) {
  const Prompts& p = run.prompts();
  const std::string candidate = candidate_text(run.tree().at(node).text);
  TemplateVars vars = {{"candidate", candidate}};
  ARBOR_CO_ASSIGN_OR_RETURN(ContextPtr ctx,
                            co_await run.prompt_context(p.critique, std::move(vars), "candidate"));
  params.max_tokens = critique_max_tokens;
  params.stop = {p.step_delimiter};
  params.seed = seed;
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> s, co_await run.lm().sample(ctx, 1, params));
  co_return std::move(s.at(0));
}

Task<StatusOr<Sample>> refine_after(SearchRun& run, const Sample& critique, SampleParams answer,
                                    std::uint64_t seed) {
  const Prompts& p = run.prompts();
  // A critique cut by the token limit did not end its line.
  std::string refine = p.refine;
  if (critique.finish != Finish::kStop) refine = p.step_delimiter + refine;
  ARBOR_CO_ASSIGN_OR_RETURN(ContextPtr rctx, co_await run.lm().extend(critique.context, refine));
  answer.seed = seed;
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> a, co_await run.lm().sample(rctx, 1, answer));
  co_return std::move(a.at(0));
}

Task<StatusOr<Refined>> critique_and_refine(SearchRun& run, NodeId node, SampleParams answer,
                                            std::int32_t critique_max_tokens,
                                            std::uint64_t critique_seed,
                                            std::uint64_t refine_seed) {
  Refined out;
  ARBOR_CO_ASSIGN_OR_RETURN(
      out.critique, co_await critique(run, node, answer, critique_max_tokens, critique_seed));
  ARBOR_CO_ASSIGN_OR_RETURN(out.answer,
                            co_await refine_after(run, out.critique, answer, refine_seed));
  co_return out;
}

NodeId add_refined(SearchRun& run, NodeId parent, const Refined& refined) {
  const NodeId id = add_samples(run, parent, {refined.answer}, "answer", true).at(0);
  Node& n = run.tree().at(id);
  n.info["critique"] = refined.critique.text;
  n.info["critique_tokens"] = refined.critique.tokens;
  n.tokens += refined.critique.tokens;
  return id;
}

const std::vector<std::string>& selection_names() {
  static const std::vector<std::string> kNames = {"best", "majority", "weighted"};
  return kNames;
}

NodeId select_answer(const SearchRun& run, const std::vector<NodeId>& nodes,
                     const std::vector<double>& weights, const std::string& selection) {
  std::vector<NodeId> answered;
  std::vector<double> w;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (run.tree().at(nodes[i]).answer) {
      answered.push_back(nodes[i]);
      w.push_back(i < weights.size() ? weights[i] : 1.0);
    }
  }
  if (answered.empty()) return kNoNode;
  if (selection == "best") {
    std::size_t best = 0;
    for (std::size_t i = 1; i < answered.size(); ++i) {
      if (w[i] > w[best]) best = i;
    }
    return answered[best];
  }
  std::vector<Ballot> ballots;
  for (std::size_t i = 0; i < answered.size(); ++i) {
    // Weighted votes count scores below zero as zero.
    ballots.push_back({run.answers().key(*run.tree().at(answered[i]).answer),
                       selection == "weighted" ? std::max(w[i], 0.0) : 1.0});
  }
  const std::optional<VoteOutcome> won = vote(ballots);
  return answered[static_cast<std::size_t>(won->first)];
}

}  // namespace arbor::search::internal
