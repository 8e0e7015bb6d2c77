// Budget and Usage of one search, and MeteredModel, the LanguageModel decorator that counts
// everything a search (its evaluators included) asks of its model.
//
// How a budget is respected: an algorithm checks SearchRun::should_stop() before each round
// and starts no round once a limit is reached, or once fewer tokens are left than half the
// next round's expected cost; requests already in flight are never cut, so a seed reproduces
// the same tree whatever the timing. Usage can therefore differ from a token limit by up to
// one round (and exceed a call limit by up to one round); results report the usage and which
// limit stopped the search. Algorithms that can size their rounds (sampling, best-of-N) aim
// them at the tokens left.
//
// Thread safety: a MeteredModel belongs to one search and is used from its strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/json.h"
#include "search/language_model.h"

namespace arbor::search {

struct Budget {
  std::int64_t max_tokens = 0;  // tokens generated; 0: no limit
  std::int64_t max_calls = 0;   // model requests (see Usage::calls); 0: no limit
  double max_seconds = 0;       // wall time of the search; 0: no limit

  bool unlimited() const { return max_tokens <= 0 && max_calls <= 0 && max_seconds <= 0; }
  // {"max_tokens", "max_calls", "max_seconds"}, each optional.
  static StatusOr<Budget> from_json(const Json& j, std::string_view where);
  Json to_json() const;
};

struct Usage {
  std::int64_t tokens = 0;          // tokens generated (equal to the engine's own count)
  std::int64_t calls = 0;           // generate + logprob + value requests
  std::int64_t generate_calls = 0;  // one per sample (sample(n) is n requests)
  std::int64_t logprob_calls = 0;
  std::int64_t value_calls = 0;
  std::int64_t prefill_calls = 0;  // start/extend requests (not counted in `calls`)
  double seconds = 0;              // wall time since the search started

  Json to_json() const;
};

enum class StopReason { kDone, kTokens, kCalls, kTime };
const char* stop_reason_name(StopReason reason);  // "done", "budget_tokens", ...

class MeteredModel : public LanguageModel {
 public:
  // `base` must outlive this. The wall clock starts now.
  MeteredModel(LanguageModel& base, Budget budget);

  const Budget& budget() const { return budget_; }
  // The usage so far (seconds measured now).
  Usage usage() const;
  // The first limit reached, if any.
  std::optional<StopReason> spent() const;
  // Tokens left under the token limit (INT64_MAX without one; 0 when spent).
  std::int64_t tokens_left() const;
  // Mean tokens of one generate request so far, or `fallback` before the first.
  double mean_tokens_per_sample(double fallback) const;

  Task<StatusOr<ContextPtr>> start(std::string text) override;
  Task<StatusOr<ContextPtr>> extend(ContextPtr context, std::string text) override;
  Task<StatusOr<std::vector<Sample>>> sample(ContextPtr context, std::int32_t n,
                                             SampleParams params) override;
  Task<StatusOr<double>> logprob(ContextPtr context, std::string continuation) override;
  Task<StatusOr<std::vector<float>>> value(ContextPtr context, std::string head) override;

 private:
  LanguageModel& base_;
  Budget budget_;
  Usage usage_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace arbor::search
