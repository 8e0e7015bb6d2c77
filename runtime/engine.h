// Engine: one model, one scheduler thread, and every sequence of every search in the process.
//
// Requests from any thread or executor (generate, score, hidden, value, extend) are queued;
// the scheduler thread builds one packed batch per step from every ready request (decode tokens
// and chunks of pending prefills, up to a sequence and a token budget), runs the model, samples,
// and posts each finished request's result back to the executor its caller awaits on.
//
// Forking is O(1) on the host and copies no state (see sequence.h). States live in a fixed
// pool of slots sized from a memory budget; when it is full, idle states spill to host memory
// and come back on demand, and states dropped entirely are recomputed from the nearest
// ancestor that has one. No request fails because the pool is full: it waits or recomputes.
//
// Thread safety: every public method may be called from any thread. Results are delivered
// through Boost.Asio completion tokens (use_awaitable in coroutines), on the handler's
// associated executor; per-operation cancellation (asio cancellation slots) is honoured.
#pragma once

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "kernels/sampling.h"
#include "models/model.h"
#include "runtime/sequence.h"
#include "runtime/value_head.h"

namespace arbor::runtime {

struct EngineOptions {
  // Bytes of device memory for state slots (slots = budget / bytes per slot, at least 2 and at
  // most 1024), or an explicit slot count when n_slots > 0.
  std::size_t state_budget_bytes = std::size_t{256} << 20;
  std::int32_t n_slots = 0;
  // Host memory for spilled states; beyond it, evicted states are dropped and recomputed.
  std::size_t host_spill_bytes = std::size_t{1} << 30;
  std::int32_t max_batch_seqs = 256;    // sequences per step
  std::int32_t max_batch_tokens = 1024;  // tokens per step (a soft limit: a long score goes whole)
  std::int32_t prefill_chunk = 256;     // tokens of one prefill per step
  // Hybrid models: device memory for the KV pages of the attention layers (pages of the model's
  // kv_page_size tokens, shared between sequences by reference count; see kernels/kv_pages.h).
  std::size_t kv_budget_bytes = std::size_t{512} << 20;
};

using Clock = std::chrono::steady_clock;

struct GenerateParams {
  kernels::SamplingParams sampling;  // temperature 0: greedy
  std::int32_t max_tokens = 256;
  std::vector<std::string> stop;     // stop strings, matched on the decoded text
  bool stop_at_eos = true;
  std::uint64_t seed = 0;            // the sampling stream of this request
  std::optional<Clock::time_point> deadline;
};

enum class FinishReason { kLength, kStop, kEos };
const char* finish_reason_name(FinishReason r);  // "length", "stop", "eos"

struct Completion {
  std::string text;                // the generated text, ending before the stop string
  std::vector<std::int32_t> ids;   // every generated token (stop-string tokens included)
  std::vector<float> logprobs;     // log p(token) under the raw model distribution
  FinishReason finish_reason = FinishReason::kLength;
  std::string stop;                // the stop string that matched, when finish_reason is kStop
  Sequence sequence;               // the input sequence followed by `ids`
};

struct Metrics {
  double uptime_s = 0;
  std::uint64_t steps = 0;
  std::uint64_t tokens_generated = 0;
  std::uint64_t tokens_prefilled = 0;
  double tokens_per_s = 0;         // generated tokens per second of uptime with work
  double mean_batch = 0;           // mean sequences per step
  std::map<std::int32_t, std::uint64_t> batch_histogram;  // sequences per step -> steps
  double mean_queue_wait_ms = 0;   // from submission to the first step that serves a request
  std::uint64_t requests = 0;
  std::uint64_t forks = 0;
  std::uint64_t bytes_copied = 0;  // the backend's slot-to-slot copy counter
  std::uint64_t spills = 0;
  std::uint64_t restores = 0;
  std::uint64_t drops = 0;
  std::uint64_t recomputes = 0;    // states rebuilt by prefilling from an ancestor
  std::int32_t slots = 0;
  std::int32_t free_slots = 0;
  // Hybrid models (0 otherwise): KV pages, those referenced now, and copy-on-write copies.
  std::int32_t kv_pages = 0;
  std::int32_t kv_pages_used = 0;
  std::uint64_t kv_cow_copies = 0;
  std::uint64_t kv_cow_bytes = 0;
  Json to_json() const;
};

namespace internal {
class Scheduler;
}

class Engine {
 public:
  // Takes the model; loads the reward heads (*.head.json) of its folder.
  static StatusOr<std::unique_ptr<Engine>> create(std::unique_ptr<models::Model> model,
                                                  const EngineOptions& options = {});
  ~Engine();  // stops the scheduler; pending requests end with Cancelled
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const models::Model& model() const { return *model_; }
  const models::Tokenizer* tokenizer() const { return model_->tokenizer(); }
  const std::map<std::string, ValueHead>& value_heads() const { return heads_; }

  // ---- sequences (host only, O(1), no state copied) -------------------------------------------
  // A root sequence of `tokens` (REQUIRES: non-empty, ids inside the vocabulary - else an
  // invalid handle and an error through the first request that uses it).
  StatusOr<Sequence> start(std::vector<std::int32_t> tokens);
  StatusOr<Sequence> start_text(std::string_view text);  // REQUIRES: a tokenizer
  Sequence fork(const Sequence& seq);
  // A child holding `seq` followed by `tokens`; its state is computed lazily.
  StatusOr<Sequence> append(const Sequence& seq, std::vector<std::int32_t> tokens);

  // ---- requests ---------------------------------------------------------------------------------
  // Appends tokens and computes the new sequence's state (chunked prefill).
  template <typename Token>
  auto async_extend(Sequence seq, std::vector<std::int32_t> tokens, Token&& token);
  // Generates from the end of `seq`.
  template <typename Token>
  auto async_generate(Sequence seq, GenerateParams params, Token&& token);
  // Sum of log p(continuation | seq), and the per-token values.
  template <typename Token>
  auto async_score(Sequence seq, std::vector<std::int32_t> continuation, Token&& token);
  // The final hidden state after the final norm at the end of `seq` ({n_embd}).
  template <typename Token>
  auto async_hidden(Sequence seq, Token&& token);
  // The scores of reward head `head` at the end of `seq`.
  template <typename Token>
  auto async_value(Sequence seq, std::string head, Token&& token);

  // Coroutine forms of the above.
  boost::asio::awaitable<StatusOr<Sequence>> extend(Sequence seq, std::vector<std::int32_t> tokens);
  boost::asio::awaitable<StatusOr<Completion>> generate(Sequence seq, GenerateParams params);
  boost::asio::awaitable<StatusOr<std::vector<float>>> score(Sequence seq,
                                                              std::vector<std::int32_t> cont);
  boost::asio::awaitable<StatusOr<std::vector<float>>> hidden(Sequence seq);
  boost::asio::awaitable<StatusOr<std::vector<float>>> value(Sequence seq, std::string head);

  Metrics metrics() const;

  // ---- callback forms (the templates above wrap these) ------------------------------------------
  // `done` is called exactly once, on the scheduler thread; `cancelled` may be set from any
  // thread to end the request early with Cancelled.
  using SeqDone = std::function<void(StatusOr<Sequence>)>;
  using CompletionDone = std::function<void(StatusOr<Completion>)>;
  using FloatsDone = std::function<void(StatusOr<std::vector<float>>)>;
  using CancelFlag = std::shared_ptr<std::atomic<bool>>;
  void submit_extend(Sequence seq, std::vector<std::int32_t> tokens, CancelFlag cancel,
                     SeqDone done);
  void submit_generate(Sequence seq, GenerateParams params, CancelFlag cancel,
                       CompletionDone done);
  // Per-token log p of `continuation` (sum them for the sequence score).
  void submit_score(Sequence seq, std::vector<std::int32_t> continuation, CancelFlag cancel,
                    FloatsDone done);
  void submit_hidden(Sequence seq, std::optional<std::string> head, CancelFlag cancel,
                     FloatsDone done);

 private:
  Engine() = default;
  // Wraps a completion handler so the result runs on its executor, and wires its
  // cancellation slot to a flag the scheduler polls.
  template <typename Result, typename Handler>
  static std::pair<std::function<void(Result)>, CancelFlag> bind(Handler handler);

  std::unique_ptr<models::Model> model_;
  std::map<std::string, ValueHead> heads_;
  std::unique_ptr<internal::Scheduler> scheduler_;
};

// ---- template implementations ------------------------------------------------------------------

template <typename Result, typename Handler>
std::pair<std::function<void(Result)>, Engine::CancelFlag> Engine::bind(Handler handler) {
  auto flag = std::make_shared<std::atomic<bool>>(false);
  auto slot = boost::asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected()) {
    slot.assign([flag](boost::asio::cancellation_type) { flag->store(true); });
  }
  // Outstanding work is tracked on the handler's executor from submission until the result
  // has been posted (the executor cannot run out of work, and be destroyed, while the
  // scheduler thread is still inside post()).
  auto ex = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                boost::asio::execution::outstanding_work.tracked);
  // std::function needs a copyable callable; the handler may be move-only.
  auto shared = std::make_shared<Handler>(std::move(handler));
  auto done = [shared, ex](Result result) {
    boost::asio::post(ex, [shared, result = std::move(result)]() mutable {
      auto bound = boost::asio::get_associated_cancellation_slot(*shared);
      if (bound.is_connected()) bound.clear();
      (*shared)(std::move(result));
    });
  };
  return {std::move(done), std::move(flag)};
}

template <typename Token>
auto Engine::async_extend(Sequence seq, std::vector<std::int32_t> tokens, Token&& token) {
  return boost::asio::async_initiate<Token, void(StatusOr<Sequence>)>(
      [this](auto handler, Sequence s, std::vector<std::int32_t> t) {
        auto [done, flag] = bind<StatusOr<Sequence>>(std::move(handler));
        submit_extend(std::move(s), std::move(t), std::move(flag), std::move(done));
      },
      token, std::move(seq), std::move(tokens));
}

template <typename Token>
auto Engine::async_generate(Sequence seq, GenerateParams params, Token&& token) {
  return boost::asio::async_initiate<Token, void(StatusOr<Completion>)>(
      [this](auto handler, Sequence s, GenerateParams p) {
        auto [done, flag] = bind<StatusOr<Completion>>(std::move(handler));
        submit_generate(std::move(s), std::move(p), std::move(flag), std::move(done));
      },
      token, std::move(seq), std::move(params));
}

template <typename Token>
auto Engine::async_score(Sequence seq, std::vector<std::int32_t> continuation, Token&& token) {
  return boost::asio::async_initiate<Token, void(StatusOr<std::vector<float>>)>(
      [this](auto handler, Sequence s, std::vector<std::int32_t> c) {
        auto [done, flag] = bind<StatusOr<std::vector<float>>>(std::move(handler));
        submit_score(std::move(s), std::move(c), std::move(flag), std::move(done));
      },
      token, std::move(seq), std::move(continuation));
}

template <typename Token>
auto Engine::async_hidden(Sequence seq, Token&& token) {
  return boost::asio::async_initiate<Token, void(StatusOr<std::vector<float>>)>(
      [this](auto handler, Sequence s) {
        auto [done, flag] = bind<StatusOr<std::vector<float>>>(std::move(handler));
        submit_hidden(std::move(s), std::nullopt, std::move(flag), std::move(done));
      },
      token, std::move(seq));
}

template <typename Token>
auto Engine::async_value(Sequence seq, std::string head, Token&& token) {
  return boost::asio::async_initiate<Token, void(StatusOr<std::vector<float>>)>(
      [this](auto handler, Sequence s, std::string h) {
        auto [done, flag] = bind<StatusOr<std::vector<float>>>(std::move(handler));
        submit_hidden(std::move(s), std::move(h), std::move(flag), std::move(done));
      },
      token, std::move(seq), std::move(head));
}

inline boost::asio::awaitable<StatusOr<Sequence>> Engine::extend(
    Sequence seq, std::vector<std::int32_t> tokens) {
  co_return co_await async_extend(std::move(seq), std::move(tokens), boost::asio::use_awaitable);
}

inline boost::asio::awaitable<StatusOr<Completion>> Engine::generate(Sequence seq,
                                                                     GenerateParams params) {
  co_return co_await async_generate(std::move(seq), std::move(params), boost::asio::use_awaitable);
}

inline boost::asio::awaitable<StatusOr<std::vector<float>>> Engine::score(
    Sequence seq, std::vector<std::int32_t> cont) {
  co_return co_await async_score(std::move(seq), std::move(cont), boost::asio::use_awaitable);
}

inline boost::asio::awaitable<StatusOr<std::vector<float>>> Engine::hidden(Sequence seq) {
  co_return co_await async_hidden(std::move(seq), boost::asio::use_awaitable);
}

inline boost::asio::awaitable<StatusOr<std::vector<float>>> Engine::value(Sequence seq,
                                                                          std::string head) {
  co_return co_await async_value(std::move(seq), std::move(head), boost::asio::use_awaitable);
}

}  // namespace arbor::runtime
