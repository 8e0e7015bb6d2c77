#include "search/budget.h"

#include <limits>

#include "search/status_macros.h"

namespace arbor::search {

StatusOr<Budget> Budget::from_json(const Json& j, std::string_view where) {
  if (!j.is_object()) {
    return Status::invalid_argument(std::string(where) + ": the budget must be an object");
  }
  for (const auto& [key, v] : j.items()) {
    if (key != "max_tokens" && key != "max_calls" && key != "max_seconds") {
      return Status::invalid_argument(std::string(where) + ": unknown budget field '" + key +
                                      "' (known: max_tokens, max_calls, max_seconds)");
    }
  }
  Budget b;
  ARBOR_ASSIGN_OR_RETURN(b.max_tokens, json_get_or<std::int64_t>(j, "max_tokens", where, 0));
  ARBOR_ASSIGN_OR_RETURN(b.max_calls, json_get_or<std::int64_t>(j, "max_calls", where, 0));
  ARBOR_ASSIGN_OR_RETURN(b.max_seconds, json_get_or<double>(j, "max_seconds", where, 0.0));
  if (b.max_tokens < 0 || b.max_calls < 0 || b.max_seconds < 0) {
    return Status::invalid_argument(std::string(where) + ": budget limits must be >= 0");
  }
  return b;
}

Json Budget::to_json() const {
  return {{"max_tokens", max_tokens}, {"max_calls", max_calls}, {"max_seconds", max_seconds}};
}

Json Usage::to_json() const {
  return {{"tokens", tokens},
          {"calls", calls},
          {"generate_calls", generate_calls},
          {"logprob_calls", logprob_calls},
          {"value_calls", value_calls},
          {"prefill_calls", prefill_calls},
          {"seconds", seconds}};
}

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kDone:
      return "done";
    case StopReason::kTokens:
      return "budget_tokens";
    case StopReason::kCalls:
      return "budget_calls";
    case StopReason::kTime:
      return "budget_time";
  }
  return "?";
}

MeteredModel::MeteredModel(LanguageModel& base, Budget budget)
    : base_(base), budget_(budget), started_(std::chrono::steady_clock::now()) {}

Usage MeteredModel::usage() const {
  Usage u = usage_;
  u.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return u;
}

std::optional<StopReason> MeteredModel::spent() const {
  if (budget_.max_tokens > 0 && usage_.tokens >= budget_.max_tokens) return StopReason::kTokens;
  if (budget_.max_calls > 0 && usage_.calls >= budget_.max_calls) return StopReason::kCalls;
  if (budget_.max_seconds > 0 && usage().seconds >= budget_.max_seconds) return StopReason::kTime;
  return std::nullopt;
}

std::int64_t MeteredModel::tokens_left() const {
  if (budget_.max_tokens <= 0) return std::numeric_limits<std::int64_t>::max();
  return std::max<std::int64_t>(0, budget_.max_tokens - usage_.tokens);
}

double MeteredModel::mean_tokens_per_sample(double fallback) const {
  if (usage_.generate_calls == 0) return fallback;
  return static_cast<double>(usage_.tokens) / static_cast<double>(usage_.generate_calls);
}

Task<StatusOr<ContextPtr>> MeteredModel::start(std::string text) {
  usage_.prefill_calls++;
  co_return co_await base_.start(std::move(text));
}

Task<StatusOr<ContextPtr>> MeteredModel::extend(ContextPtr context, std::string text) {
  usage_.prefill_calls++;
  co_return co_await base_.extend(std::move(context), std::move(text));
}

Task<StatusOr<std::vector<Sample>>> MeteredModel::sample(ContextPtr context, std::int32_t n,
                                                         SampleParams params) {
  // Counted when issued, so rounds that check the budget see requests in flight.
  usage_.calls += n;
  usage_.generate_calls += n;
  auto samples = co_await base_.sample(std::move(context), n, std::move(params));
  if (samples.ok()) {
    for (const Sample& s : *samples) usage_.tokens += s.tokens;
  }
  co_return samples;
}

Task<StatusOr<double>> MeteredModel::logprob(ContextPtr context, std::string continuation) {
  usage_.calls++;
  usage_.logprob_calls++;
  co_return co_await base_.logprob(std::move(context), std::move(continuation));
}

Task<StatusOr<std::vector<float>>> MeteredModel::value(ContextPtr context, std::string head) {
  usage_.calls++;
  usage_.value_calls++;
  co_return co_await base_.value(std::move(context), std::move(head));
}

}  // namespace arbor::search
