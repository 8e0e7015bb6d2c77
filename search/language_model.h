// LanguageModel: the text-level model a search runs on. Contexts are immutable, cheap to fork
// handles to "the model's state after this text": expanding a node from its context never
// re-reads the prompt. agents/ adapts the runtime engine to this interface (a Context is then a
// runtime::Sequence); tests use a scripted model.
//
// Every method is a coroutine (arbor::Task). A search issues the independent requests of a
// round together (when_all) so that the implementation can batch them.
//
// Thread safety: implementations may be called from any executor; a search uses one model
// from one strand (see algorithm.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/task.h"

namespace arbor::search {

// The model's state after some text. Implementations subclass it; search code only hands a
// context back to the model that made it.
class Context {
 public:
  virtual ~Context() = default;
};
using ContextPtr = std::shared_ptr<const Context>;

enum class Finish { kLength, kStop, kEos };
const char* finish_name(Finish finish);  // "length", "stop", "eos"

struct SampleParams {
  float temperature = 0.0f;  // 0: greedy
  std::int32_t top_k = 0;    // 0: off
  float top_p = 1.0f;        // 1: off
  float min_p = 0.0f;        // 0: off
  std::int32_t max_tokens = 256;
  std::vector<std::string> stop;  // generation ends at the first of these strings
  std::uint64_t seed = 0;         // sample i of a request uses derive_seed(seed, i)
};

struct Sample {
  std::string text;  // the generated text, ending before the stop string; no EOS text
  std::string stop;  // the stop string that ended it (finish == kStop)
  Finish finish = Finish::kLength;
  std::int64_t tokens = 0;  // tokens generated, the stop string's and EOS included
  double logprob = 0;       // sum of log p of the generated tokens
  // The context after every generated token: `text` followed by the stop string (with a
  // token-level model, the whole token that completed the stop string).
  ContextPtr context;
};

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;

  // A context holding `text`. REQUIRES: text is not empty.
  virtual Task<StatusOr<ContextPtr>> start(std::string text) = 0;
  // A child of `context` followed by `text`; `context` stays valid. REQUIRES: context != null.
  virtual Task<StatusOr<ContextPtr>> extend(ContextPtr context, std::string text) = 0;
  // n independent continuations of `context`, in order (sample i seeded with
  // derive_seed(params.seed, i)). n == 0 returns none.
  virtual Task<StatusOr<std::vector<Sample>>> sample(ContextPtr context, std::int32_t n,
                                                     SampleParams params) = 0;
  // log p(continuation | context), summed over its tokens.
  virtual Task<StatusOr<double>> logprob(ContextPtr context, std::string continuation) = 0;
  // The outputs of the reward head `head` at the end of `context` (process reward models).
  // The default returns Unimplemented.
  virtual Task<StatusOr<std::vector<float>>> value(ContextPtr context, std::string head);

  // The greedy continuation: sample(context, 1, params) at temperature 0.
  Task<StatusOr<Sample>> complete(ContextPtr context, SampleParams params);
};

}  // namespace arbor::search
