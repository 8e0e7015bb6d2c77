// arbor bench runtime: the engine under concurrent load, next to the same number of sequences
// decoded as one fixed batch in a loop (the ceiling continuous batching aims for).
//
// For each concurrency C, C coroutines each repeat --rounds times: fork a shared prompt, then
// generate --tokens tokens (greedy, end-of-sequence ignored). tokens_per_s counts generated
// tokens over the wall time of the whole run; mean_batch is the engine's mean sequences per step.
// fork_us is the host time of one fork (the median of 20 batches of 10,000 forks), and
// fork_bytes_copied the backend's slot-copy counter across everything the bench ran.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>

#include "apps/bench_common.h"
#include "apps/commands.h"
#include "core/json.h"
#include "core/strings.h"
#include "runtime/engine.h"

namespace arbor::apps {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

double median_fork_us(runtime::Engine& engine, const runtime::Sequence& root) {
  std::vector<double> per_fork;
  std::vector<runtime::Sequence> children;
  children.reserve(10000);
  for (int batch = 0; batch < 20; ++batch) {
    children.clear();
    const auto t0 = Clock::now();
    for (int i = 0; i < 10000; ++i) children.push_back(engine.fork(root));
    per_fork.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / 1e4);
  }
  std::sort(per_fork.begin(), per_fork.end());
  return per_fork[per_fork.size() / 2];
}

struct RunResult {
  double tokens_per_s = 0;
  double mean_batch = 0;
  std::uint64_t bytes_copied = 0;
};

StatusOr<RunResult> run_concurrent(const std::string& dir, kernels::DeviceKind device,
                                   std::int32_t concurrency, std::int32_t tokens,
                                   std::int32_t rounds, const std::vector<std::int32_t>& prompt) {
  ARBOR_ASSIGN_OR_RETURN(auto model, models::Model::open(dir, {device}));
  runtime::EngineOptions options;
  options.n_slots = std::max(2 * concurrency + 4, 16);
  options.max_batch_seqs = std::max(concurrency, 1);
  ARBOR_ASSIGN_OR_RETURN(auto engine, runtime::Engine::create(std::move(model), options));
  ARBOR_ASSIGN_OR_RETURN(runtime::Sequence root, engine->start(prompt));
  asio::thread_pool pool(1);
  {  // Compute the shared prompt's state before timing.
    std::promise<Status> ready;
    engine->async_extend(root, {prompt.front()}, [&](StatusOr<runtime::Sequence> s) {
      if (s.ok()) root = *s;
      ready.set_value(s.status());
    });
    ARBOR_RETURN_IF_ERROR(ready.get_future().get());
  }
  runtime::GenerateParams params;
  params.max_tokens = tokens;
  params.stop_at_eos = false;
  std::atomic<int> remaining{concurrency};
  std::atomic<std::uint64_t> generated{0};
  std::atomic<bool> failed{false};
  std::promise<void> done;
  const auto t0 = Clock::now();
  for (std::int32_t c = 0; c < concurrency; ++c) {
    asio::co_spawn(pool, [&]() -> asio::awaitable<void> {
      for (std::int32_t r = 0; r < rounds; ++r) {
        auto completion = co_await engine->generate(engine->fork(root), params);
        if (!completion.ok()) {
          failed = true;
          break;
        }
        generated += completion->ids.size();
      }
      if (--remaining == 0) done.set_value();
    }, asio::detached);
  }
  done.get_future().get();
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  pool.join();
  if (failed) return Status::internal("bench runtime: a generate request failed");
  const runtime::Metrics m = engine->metrics();
  return RunResult{static_cast<double>(generated) / seconds, m.mean_batch, m.bytes_copied};
}

}  // namespace

Status run_bench_runtime(const Flags& flags) {
  ARBOR_ASSIGN_OR_RETURN(std::string dir, flags.require("--model"));
  const std::string backend_name = flags.get("--backend").value_or("cpu");
  ARBOR_ASSIGN_OR_RETURN(kernels::DeviceKind device, kernels::parse_device_kind(backend_name));
  ARBOR_ASSIGN_OR_RETURN(std::vector<std::int64_t> levels,
                         parse_int_list(flags.get("--concurrency").value_or("1,16,64,256"),
                                        "--concurrency"));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t tokens, flags.get_int("--tokens", 32));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t rounds, flags.get_int("--rounds", 4));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t prompt_len, flags.get_int("--prompt-len", 64));
  for (std::int64_t c : levels) {
    if (c < 1 || c > 1024) return Status::invalid_argument("--concurrency must be in [1, 1024]");
  }
  if (tokens < 1 || rounds < 1 || prompt_len < 1) {
    return Status::invalid_argument("--tokens, --rounds and --prompt-len must be >= 1");
  }
  ARBOR_ASSIGN_OR_RETURN(auto model, models::Model::open(dir, {device}));
  Rng rng(3);
  const std::vector<std::int32_t> prompt =
      random_tokens(rng, prompt_len, model->config().vocab_size);

  double fork_us = 0;
  {
    ARBOR_ASSIGN_OR_RETURN(auto probe, models::Model::open(dir, {device}));
    ARBOR_ASSIGN_OR_RETURN(auto engine, runtime::Engine::create(std::move(probe)));
    ARBOR_ASSIGN_OR_RETURN(runtime::Sequence root, engine->start(prompt));
    fork_us = median_fork_us(*engine, root);
  }
  Json runs = Json::array();
  std::uint64_t bytes_copied = 0;
  for (std::int64_t c : levels) {
    const auto conc = static_cast<std::int32_t>(c);
    ARBOR_ASSIGN_OR_RETURN(RunResult r, run_concurrent(dir, device, conc,
                                                       static_cast<std::int32_t>(tokens),
                                                       static_cast<std::int32_t>(rounds), prompt));
    bytes_copied += r.bytes_copied;
    ARBOR_ASSIGN_OR_RETURN(double fixed, bench_decode(*model, conc, static_cast<std::int32_t>(prompt_len),
                                                      static_cast<std::int32_t>(tokens * rounds)));
    runs.push_back({{"concurrency", conc},
                    {"tokens_per_s", std::round(r.tokens_per_s * 10) / 10},
                    {"mean_batch", std::round(r.mean_batch * 100) / 100},
                    {"fixed_batch_tokens_per_s", std::round(fixed * 10) / 10},
                    {"ratio_to_fixed_batch", std::round(r.tokens_per_s / fixed * 1000) / 1000}});
  }
  Json doc = {{"bench", "runtime"},
              {"model", dir},
              {"backend", backend_name},
              {"prompt_tokens", prompt_len},
              {"tokens_per_request", tokens},
              {"rounds", rounds},
              {"fork_us", std::round(fork_us * 1000) / 1000},
              {"fork_bytes_copied", bytes_copied},
              {"runs", runs}};
  print_json_line(doc.dump(1));
  return Status();
}

}  // namespace arbor::apps
