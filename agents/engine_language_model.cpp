#include "agents/engine_language_model.h"

#include "core/check.h"
#include "search/gather.h"
#include "search/seeds.h"
#include "search/status_macros.h"

namespace arbor::agents {

namespace {

search::ContextPtr wrap(runtime::Sequence s) {
  return std::make_shared<SequenceContext>(std::move(s));
}

search::Finish finish_of(runtime::FinishReason r) {
  switch (r) {
    case runtime::FinishReason::kStop:
      return search::Finish::kStop;
    case runtime::FinishReason::kEos:
      return search::Finish::kEos;
    case runtime::FinishReason::kLength:
      return search::Finish::kLength;
  }
  return search::Finish::kLength;
}

}  // namespace

EngineLanguageModel::EngineLanguageModel(runtime::Engine& engine)
    : engine_(engine), tokenizer_(*[&] {
        ARBOR_CHECK(engine.tokenizer() != nullptr) << "EngineLanguageModel needs a tokenizer";
        return engine.tokenizer();
      }()) {}

const runtime::Sequence& EngineLanguageModel::sequence_of(const search::ContextPtr& context) {
  const auto* c = dynamic_cast<const SequenceContext*>(context.get());
  ARBOR_CHECK(c != nullptr) << "a context that no EngineLanguageModel made";
  return c->sequence;
}

Task<StatusOr<search::ContextPtr>> EngineLanguageModel::start(std::string text) {
  std::vector<std::int32_t> tokens = tokenizer_.encode(text);
  if (tokens.empty()) co_return Status::invalid_argument("start: the text has no tokens");
  std::vector<std::int32_t> rest(tokens.begin() + 1, tokens.end());
  ARBOR_CO_ASSIGN_OR_RETURN(runtime::Sequence root, engine_.start({tokens.front()}));
  if (rest.empty()) co_return wrap(std::move(root));
  ARBOR_CO_ASSIGN_OR_RETURN(runtime::Sequence seq,
                            co_await engine_.extend(std::move(root), std::move(rest)));
  co_return wrap(std::move(seq));
}

Task<StatusOr<search::ContextPtr>> EngineLanguageModel::extend(search::ContextPtr context,
                                                               std::string text) {
  std::vector<std::int32_t> tokens = tokenizer_.encode(text);
  if (tokens.empty()) co_return context;
  ARBOR_CO_ASSIGN_OR_RETURN(runtime::Sequence seq,
                            co_await engine_.extend(sequence_of(context), std::move(tokens)));
  co_return wrap(std::move(seq));
}

Task<StatusOr<std::vector<search::Sample>>> EngineLanguageModel::sample(
    search::ContextPtr context, std::int32_t n, search::SampleParams params) {
  const runtime::Sequence& seq = sequence_of(context);
  std::vector<Task<StatusOr<runtime::Completion>>> requests;
  for (std::int32_t i = 0; i < n; ++i) {
    runtime::GenerateParams g;
    g.sampling = {params.temperature, params.top_k, params.top_p, params.min_p};
    g.max_tokens = params.max_tokens;
    g.stop = params.stop;
    g.seed = search::derive_seed(params.seed, static_cast<std::uint64_t>(i));
    requests.push_back(engine_.generate(engine_.fork(seq), std::move(g)));
  }
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<runtime::Completion> done,
                            co_await search::gather(std::move(requests)));
  std::vector<search::Sample> out;
  out.reserve(done.size());
  for (runtime::Completion& c : done) {
    search::Sample s;
    s.text = std::move(c.text);
    s.stop = std::move(c.stop);
    s.finish = finish_of(c.finish_reason);
    s.tokens = static_cast<std::int64_t>(c.ids.size());
    for (float lp : c.logprobs) s.logprob += lp;
    s.context = wrap(std::move(c.sequence));
    out.push_back(std::move(s));
  }
  co_return out;
}

Task<StatusOr<double>> EngineLanguageModel::logprob(search::ContextPtr context,
                                                    std::string continuation) {
  std::vector<std::int32_t> tokens = tokenizer_.encode(continuation);
  if (tokens.empty()) co_return 0.0;
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<float> lps,
                            co_await engine_.score(sequence_of(context), std::move(tokens)));
  double sum = 0;
  for (float lp : lps) sum += lp;
  co_return sum;
}

Task<StatusOr<std::vector<float>>> EngineLanguageModel::value(search::ContextPtr context,
                                                              std::string head) {
  co_return co_await engine_.value(sequence_of(context), std::move(head));
}

}  // namespace arbor::agents
