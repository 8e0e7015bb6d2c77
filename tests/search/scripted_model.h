// A deterministic LanguageModel for the search tests: contexts are plain text, one character is
// one token, and what the model writes, the log-probabilities and the reward-head values come
// from functions the test scripts. Every request suspends once (a post to the executor), so
// requests issued together are in flight together, and the model records how many were.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "search/language_model.h"
#include "search/seeds.h"

namespace arbor::search::testing {

struct TextContext : Context {
  explicit TextContext(std::string t) : text(std::move(t)) {}
  std::string text;
};

inline const std::string& text_of(const ContextPtr& c) {
  return static_cast<const TextContext&>(*c).text;
}

class ScriptedModel : public LanguageModel {
 public:
  // The whole continuation the model would write after `context` as sample `index` of a
  // request, with that sample's seed (derive_seed(params.seed, index)); "<eos>" ends the text.
  std::function<std::string(const std::string& context, std::uint64_t seed, int index)> write =
      [](const std::string&, std::uint64_t, int) { return std::string("<eos>"); };
  std::function<double(const std::string& context, const std::string& continuation)> score =
      [](const std::string&, const std::string&) { return -1.0; };
  std::function<std::vector<float>(const std::string& context)> head = [](const std::string&) {
    return std::vector<float>{0.5f};
  };

  // What the model saw.
  std::vector<std::string> sampled_contexts;
  std::int64_t tokens = 0;
  std::int64_t requests = 0;
  int in_flight = 0;
  int max_in_flight = 0;

  Task<StatusOr<ContextPtr>> start(std::string text) override {
    co_return ContextPtr(std::make_shared<TextContext>(std::move(text)));
  }
  Task<StatusOr<ContextPtr>> extend(ContextPtr context, std::string text) override {
    co_return ContextPtr(std::make_shared<TextContext>(text_of(context) + text));
  }
  Task<StatusOr<std::vector<Sample>>> sample(ContextPtr context, std::int32_t n,
                                             SampleParams params) override {
    // n requests, in flight together (as the engine adapter's n forks).
    co_await enter(n);
    std::vector<Sample> out;
    const std::string& ctx = text_of(context);
    for (std::int32_t i = 0; i < n; ++i) {
      sampled_contexts.push_back(ctx);
      const std::string full =
          write(ctx, derive_seed(params.seed, static_cast<std::uint64_t>(i)), static_cast<int>(i));
      out.push_back(cut(ctx, full, params));
      tokens += out.back().tokens;
      requests++;
    }
    leave(n);
    co_return out;
  }
  Task<StatusOr<double>> logprob(ContextPtr context, std::string continuation) override {
    co_await enter();
    requests++;
    const double v = score(text_of(context), continuation);
    leave();
    co_return v;
  }
  Task<StatusOr<std::vector<float>>> value(ContextPtr context, std::string) override {
    co_await enter();
    requests++;
    std::vector<float> v = head(text_of(context));
    leave();
    co_return v;
  }

 private:
  Task<void> enter(int n = 1) {
    in_flight += n;
    max_in_flight = std::max(max_in_flight, in_flight);
    co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                               boost::asio::use_awaitable);
  }
  void leave(int n = 1) { in_flight -= n; }

  // The engine's rules on text: the earliest stop string ends the text (the stop's tokens are
  // generated), "<eos>" ends it as one token, and max_tokens cuts it.
  static Sample cut(const std::string& ctx, const std::string& full, const SampleParams& p) {
    Sample s;
    const std::size_t eos = full.find("<eos>");
    std::size_t end = eos == std::string::npos ? full.size() : eos;
    std::size_t consumed = eos == std::string::npos ? full.size() : eos + 1;
    s.finish = eos == std::string::npos ? Finish::kLength : Finish::kEos;
    std::string appended = full.substr(0, end);
    for (const std::string& stop : p.stop) {
      const std::size_t at = full.find(stop);
      if (at == std::string::npos || at + stop.size() > end) continue;
      end = at;
      consumed = at + stop.size();
      s.finish = Finish::kStop;
      s.stop = stop;
      appended = full.substr(0, consumed);
    }
    if (consumed > static_cast<std::size_t>(p.max_tokens)) {
      consumed = static_cast<std::size_t>(p.max_tokens);
      end = consumed;
      appended = full.substr(0, consumed);
      s.finish = Finish::kLength;
      s.stop.clear();
    }
    s.text = full.substr(0, end);
    s.tokens = static_cast<std::int64_t>(consumed);
    s.logprob = -0.1 * static_cast<double>(consumed);
    s.context = std::make_shared<TextContext>(ctx + appended);
    return s;
  }
};

}  // namespace arbor::search::testing
