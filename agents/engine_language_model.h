// EngineLanguageModel: search::LanguageModel on the runtime engine. A context is a
// runtime::Sequence, so a search node keeps its state in the engine and expanding it never
// re-reads the prompt.
//
//   start(text)             engine.start + engine.extend: the text's state is computed once
//                           (one extend request, none for a one-token text), so every prompt
//                           that extends it shares it
//   extend(ctx, text)       engine.extend (one request; none when `text` has no tokens)
//   sample(ctx, n, params)  n forks of the context (O(1), no state copied) and n generate
//                           requests issued together, so the engine batches them; sample i is
//                           seeded with derive_seed(params.seed, i)
//   logprob(ctx, text)      engine.score, summed
//   value(ctx, head)        engine.value: a reward head beside the checkpoint
// A Sample's `tokens` is its Completion's ids.size(): the tokens the engine generated.
//
// Thread safety: stateless apart from the engine, which is thread-safe; results resume on the
// awaiting coroutine's executor. The engine must outlive this and every context it made.
#pragma once

#include <memory>

#include "runtime/engine.h"
#include "search/language_model.h"

namespace arbor::agents {

// The Context of an EngineLanguageModel.
class SequenceContext : public search::Context {
 public:
  explicit SequenceContext(runtime::Sequence s) : sequence(std::move(s)) {}
  runtime::Sequence sequence;
};

class EngineLanguageModel : public search::LanguageModel {
 public:
  // REQUIRES: the engine's model has a tokenizer.
  explicit EngineLanguageModel(runtime::Engine& engine);

  Task<StatusOr<search::ContextPtr>> start(std::string text) override;
  Task<StatusOr<search::ContextPtr>> extend(search::ContextPtr context, std::string text) override;
  Task<StatusOr<std::vector<search::Sample>>> sample(search::ContextPtr context, std::int32_t n,
                                                     search::SampleParams params) override;
  Task<StatusOr<double>> logprob(search::ContextPtr context, std::string continuation) override;
  Task<StatusOr<std::vector<float>>> value(search::ContextPtr context, std::string head) override;

  // The sequence of a context this model made. REQUIRES: context came from an
  // EngineLanguageModel.
  static const runtime::Sequence& sequence_of(const search::ContextPtr& context);

 private:
  runtime::Engine& engine_;
  const models::Tokenizer& tokenizer_;
};

}  // namespace arbor::agents
