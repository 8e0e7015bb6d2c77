// The engine against direct single-sequence runs of the same model: forks, batching, spills,
// recomputes, cancellation, deadlines, score, hidden and value.
#include "runtime/engine.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>

#include "core/random.h"
#include "models/generate.h"
#include "models/random_checkpoint.h"
#include "models/safetensors_writer.h"
#include "tests/runtime/engine_checks.h"
#include "tests/runtime/run_sync.h"

namespace arbor::runtime {
namespace {

namespace asio = boost::asio;
using testing::run_sync;

const std::string kModel = ARBOR_SOURCE_DIR "/tests/data/parity/mamba2_b";

std::unique_ptr<Engine> make_engine(EngineOptions options = {}, const std::string& dir = kModel) {
  auto model = models::Model::open(dir);
  EXPECT_TRUE(model.ok()) << model.status().to_string();
  auto engine = Engine::create(std::move(*model), options);
  EXPECT_TRUE(engine.ok()) << engine.status().to_string();
  return std::move(*engine);
}

// The reference: the same request run alone through models::generate on its own model.
struct Reference {
  Reference() : model(std::move(*models::Model::open(kModel))) {}
  models::GenerateResult generate(const std::vector<std::int32_t>& prompt,
                                  const GenerateParams& p) {
    return checks::generate_alone(*model, prompt, p);
  }
  std::unique_ptr<models::Model> model;
};

using checks::greedy;
using checks::max_rel_diff;

TEST(EngineTest, GenerateMatchesSingleSequenceReference) {
  auto engine = make_engine();
  Reference ref;
  const std::vector<std::int32_t> prompt = {5, 17, 42, 7, 99, 3};
  auto seq = engine->start(prompt);
  ASSERT_TRUE(seq.ok());
  for (const GenerateParams& p : {greedy(10), [] {
         GenerateParams s;
         s.max_tokens = 12;
         s.stop_at_eos = false;
         s.sampling = {0.9f, 40, 0.9f, 0.02f};
         s.seed = 77;
         return s;
       }()}) {
    auto c = run_sync(engine->generate(*seq, p));
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    auto want = ref.generate(prompt, p);
    EXPECT_EQ(c->ids, want.ids);
    EXPECT_LE(max_rel_diff(c->logprobs, want.logprobs), 1e-5);
    EXPECT_EQ(c->finish_reason, FinishReason::kLength);
    EXPECT_EQ(c->sequence.length(), static_cast<std::int64_t>(prompt.size() + want.ids.size()));
  }
}

// A fork's continuation equals a fresh sequence prefilled with the parent's tokens plus the
// child's: when the child runs alone, after its parent and siblings ran, and in one batch with
// them.
TEST(EngineTest, ForkedContinuationsEqualFreshPrefills) {
  auto engine = make_engine();
  Reference ref;
  const std::vector<std::int32_t> prompt = {9, 8, 7, 6, 5, 4, 3, 2};
  auto parent = *engine->start(prompt);
  // The parent generates first, so its state exists; children then branch from its end.
  auto first = run_sync(engine->generate(parent, greedy(4)));
  ASSERT_TRUE(first.ok());
  const std::vector<std::vector<std::int32_t>> extra = {{}, {11}, {12, 13}, {14, 15, 16}};
  auto task = [&]() -> asio::awaitable<std::vector<StatusOr<Completion>>> {
    std::vector<StatusOr<Completion>> out;
    std::vector<std::future<StatusOr<Completion>>> futures;
    // Submit every child at once so they share steps with each other and with the parent.
    std::vector<std::shared_ptr<std::promise<StatusOr<Completion>>>> promises;
    for (const auto& e : extra) {
      Sequence child = engine->fork(first->sequence);
      if (!e.empty()) child = *engine->append(child, e);
      auto p = std::make_shared<std::promise<StatusOr<Completion>>>();
      futures.push_back(p->get_future());
      engine->async_generate(child, greedy(6), [p](StatusOr<Completion> c) {
        p->set_value(std::move(c));
      });
    }
    auto again = co_await engine->generate(parent, greedy(3));  // the parent steps again
    EXPECT_TRUE(again.ok());
    for (auto& f : futures) out.push_back(f.get());
    co_return out;
  };
  auto results = run_sync(task());
  for (std::size_t i = 0; i < extra.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status().to_string();
    std::vector<std::int32_t> full = first->sequence.tokens();
    full.insert(full.end(), extra[i].begin(), extra[i].end());
    auto want = ref.generate(full, greedy(6));
    EXPECT_EQ(results[i]->ids, want.ids) << "child " << i;
    EXPECT_LE(max_rel_diff(results[i]->logprobs, want.logprobs), 1e-5) << "child " << i;
  }
  const Metrics m = engine->metrics();
  EXPECT_EQ(m.bytes_copied, 0u);  // forking copied no state
  EXPECT_EQ(m.forks, extra.size());
  EXPECT_GT(m.mean_batch, 1.0);   // the children were batched together
}

TEST(EngineTest, ThousandRequestsFromSixtyFourCoroutinesAcrossEightTrees) {
  EngineOptions options;
  options.n_slots = 96;
  auto engine = make_engine(options);
  Reference ref;
  struct Request {
    std::vector<std::int32_t> history;
    GenerateParams params;
    std::vector<std::int32_t> got;
  };
  std::vector<Request> requests(1000);
  std::mutex mu;
  asio::thread_pool pool(2);
  std::atomic<int> remaining{64};
  std::promise<void> all_done;
  // 8 trees; each coroutine works in one tree, forking at several depths.
  std::vector<Sequence> roots;
  for (int t = 0; t < 8; ++t) roots.push_back(*engine->start({t + 1, 2 * t + 3, 50 + t}));
  for (int c = 0; c < 64; ++c) {
    asio::co_spawn(pool, [&, c]() -> asio::awaitable<void> {
      Rng rng(static_cast<std::uint64_t>(c));
      Sequence node = roots[static_cast<std::size_t>(c % 8)];
      for (int k = c; k < 1000; k += 64) {
        GenerateParams p = greedy(2 + static_cast<int>(rng.below(4)));
        if (k % 2 == 1) {
          p.sampling = {1.0f, 0, 0.95f, 0.0f};
          p.seed = static_cast<std::uint64_t>(k);
        }
        Sequence branch = engine->fork(node);
        if (rng.below(2) == 0) branch = *engine->append(branch, {static_cast<std::int32_t>(rng.below(200))});
        auto r = co_await engine->generate(branch, p);
        EXPECT_TRUE(r.ok()) << r.status().to_string();
        if (!r.ok()) break;
        {
          std::lock_guard<std::mutex> lock(mu);
          requests[static_cast<std::size_t>(k)] = {branch.tokens(), p, r->ids};
        }
        // Go deeper sometimes, back to the root sometimes: forks at several depths.
        const auto move = rng.below(3);
        if (move == 0 && r->sequence.length() < 40) node = r->sequence;
        if (move == 1) node = roots[static_cast<std::size_t>(c % 8)];
      }
      if (--remaining == 0) all_done.set_value();
    }, asio::detached);
  }
  all_done.get_future().get();
  pool.join();
  int checked = 0;
  for (const Request& r : requests) {
    ASSERT_FALSE(r.history.empty());
    EXPECT_EQ(r.got, ref.generate(r.history, r.params).ids);
    ++checked;
  }
  EXPECT_EQ(checked, 1000);
  const Metrics m = engine->metrics();
  EXPECT_EQ(m.bytes_copied, 0u);
  EXPECT_GT(m.mean_batch, 4.0);
}

TEST(EngineTest, SpillAndRecomputeGiveTheSameTokens) {
  // Three slots and room on the host for one spilled state: most states get dropped and are
  // recomputed from ancestors.
  EngineOptions tight;
  tight.n_slots = 3;
  tight.host_spill_bytes = static_cast<std::size_t>(
      (*models::Model::open(kModel))->state_floats_per_slot() * 4);
  auto small = make_engine(tight);
  auto large = make_engine();
  auto play = [](Engine& e) -> asio::awaitable<std::vector<std::vector<std::int32_t>>> {
    std::vector<std::vector<std::int32_t>> out;
    std::vector<Sequence> keep;
    Sequence s = *e.start({1, 2, 3, 4, 5});
    for (int i = 0; i < 12; ++i) {
      auto c = co_await e.generate(e.fork(s), greedy(3));
      EXPECT_TRUE(c.ok());
      out.push_back(c->ids);
      keep.push_back(c->sequence);
      s = c->sequence;
    }
    // Revisit old nodes whose states were evicted long ago.
    for (std::size_t i = 0; i < keep.size(); i += 3) {
      auto c = co_await e.generate(keep[i], greedy(4));
      EXPECT_TRUE(c.ok());
      out.push_back(c->ids);
    }
    co_return out;
  };
  EXPECT_EQ(run_sync(play(*small)), run_sync(play(*large)));
  const Metrics m = small->metrics();
  EXPECT_GT(m.spills + m.drops, 0u);
  EXPECT_GT(m.recomputes, 0u);
  EXPECT_GT(m.drops, 0u);
  EXPECT_EQ(large->metrics().drops, 0u);
}

TEST(EngineTest, CancellationEndsTheRequestAndFreesItsSlot) {
  EngineOptions options;
  options.n_slots = 4;
  auto engine = make_engine(options);
  Sequence s = *engine->start({3, 4, 5});
  // The caller's executor: an io_context on its own thread. The handler and the cancellation
  // signal both run there.
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  asio::cancellation_signal signal;
  std::promise<StatusOr<Completion>> promise;
  engine->async_generate(
      s, greedy(100000),
      asio::bind_cancellation_slot(
          signal.slot(), asio::bind_executor(io, [&](StatusOr<Completion> c) {
            promise.set_value(std::move(c));
          })));
  asio::steady_timer timer(io, std::chrono::milliseconds(30));
  timer.async_wait([&](auto) { signal.emit(asio::cancellation_type::terminal); });
  std::optional<StatusOr<Completion>> result = promise.get_future().get();
  guard.reset();
  io_thread.join();
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->status().code(), StatusCode::kCancelled);
  // The working slot is free again; the prompt's state keeps one slot while `s` lives.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(engine->metrics().free_slots, 3);
  s = Sequence();
  EXPECT_EQ(engine->metrics().free_slots, 4);
}

TEST(EngineTest, DeadlinePassedEndsWithAClearStatus) {
  auto engine = make_engine();
  GenerateParams p = greedy(100000);
  p.deadline = Clock::now() + std::chrono::milliseconds(20);
  auto c = run_sync(engine->generate(*engine->start({1, 2}), p));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(c.status().message().find("deadline"), std::string::npos);
}

TEST(EngineTest, ScoreHiddenAndValueMatchADirectForwardPass) {
  // A copy of the fixture with a reward head beside it.
  char tmpl[] = "/tmp/arbor_engine_XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);
  for (const auto& e : std::filesystem::directory_iterator(kModel)) {
    std::filesystem::copy(e.path(), dir / e.path().filename());
  }
  auto direct = std::move(*models::Model::open(kModel));
  const std::int32_t n_embd = direct->config().n_embd;
  const std::int32_t vocab = direct->config().vocab_size;
  Rng rng(5);
  std::vector<float> w(2 * n_embd), b = {0.25f, -0.5f};
  for (float& x : w) x = static_cast<float>(rng.normal() * 0.3);
  ASSERT_TRUE(models::write_safetensors((dir / "prm.head.safetensors").string(),
                                        {models::make_tensor("weight", {2, n_embd}, w),
                                         models::make_tensor("bias", {2}, b)})
                  .ok());
  std::ofstream(dir / "prm.head.json")
      << R"({"name": "prm", "weights": "prm.head.safetensors", "bias": "bias", "activation": "sigmoid"})";
  auto engine = make_engine({}, dir.string());
  ASSERT_EQ(engine->value_heads().count("prm"), 1u);

  const std::vector<std::int32_t> prompt = {7, 1, 8, 2, 8};
  const std::vector<std::int32_t> cont = {4, 5, 9};
  std::vector<std::int32_t> all = prompt;
  all.insert(all.end(), cont.begin(), cont.end());
  auto arena = *direct->make_state_arena(1);
  models::StepOutput out;
  out.want_hidden = true;
  kernels::SeqSpan span{0, static_cast<std::int32_t>(all.size()), kernels::kNoSlot, 0};
  ASSERT_TRUE(direct->forward({all, {&span, 1}, true}, *arena, &out).ok());
  auto logprob = [&](std::size_t row, std::int32_t tok) {
    const float* l = out.logits.data() + row * static_cast<std::size_t>(vocab);
    double mx = l[0], sum = 0;
    for (std::int32_t i = 0; i < vocab; ++i) mx = std::max(mx, double(l[i]));
    for (std::int32_t i = 0; i < vocab; ++i) sum += std::exp(l[i] - mx);
    return static_cast<float>(l[tok] - mx - std::log(sum));
  };
  Sequence s = *engine->start(prompt);
  auto scores = run_sync(engine->score(s, cont));
  ASSERT_TRUE(scores.ok());
  std::vector<float> want;
  for (std::size_t i = 0; i < cont.size(); ++i) want.push_back(logprob(prompt.size() - 1 + i, cont[i]));
  EXPECT_LE(max_rel_diff(*scores, want), 1e-5);

  auto h = run_sync(engine->hidden(s));
  ASSERT_TRUE(h.ok());
  const float* h_ref = out.hidden.data() + (prompt.size() - 1) * static_cast<std::size_t>(n_embd);
  EXPECT_LE(max_rel_diff(*h, std::vector<float>(h_ref, h_ref + n_embd)), 1e-5);
  auto v = run_sync(engine->value(s, "prm"));
  ASSERT_TRUE(v.ok());
  for (int o = 0; o < 2; ++o) {
    double acc = b[o];
    for (int i = 0; i < n_embd; ++i) acc += double(w[o * n_embd + i]) * h_ref[i];
    EXPECT_NEAR((*v)[o], 1.0 / (1.0 + std::exp(-acc)), 1e-5);
  }
  auto missing = run_sync(engine->value(s, "orm"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

TEST(EngineTest, ExtendComputesTheStateOnce) {
  auto engine = make_engine();
  Reference ref;
  Sequence root = *engine->start({2, 4, 6});
  std::vector<std::int32_t> prompt(40);
  for (int i = 0; i < 40; ++i) prompt[i] = (i * 37) % 200;
  auto ext = run_sync(engine->extend(root, prompt));
  ASSERT_TRUE(ext.ok());
  EXPECT_EQ(ext->length(), 43);
  const auto prefilled = engine->metrics().tokens_prefilled;
  // Sixteen samples from the extended prompt reuse its state: nothing more is prefilled.
  for (int i = 0; i < 4; ++i) {
    GenerateParams p = greedy(3);
    auto c = run_sync(engine->generate(engine->fork(*ext), p));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->ids, ref.generate(ext->tokens(), p).ids);
  }
  EXPECT_EQ(engine->metrics().tokens_prefilled, prefilled);
  EXPECT_FALSE(engine->start({}).ok());
  EXPECT_FALSE(engine->start({1, 999}).ok());
}

}  // namespace
}  // namespace arbor::runtime

namespace arbor::runtime {
namespace {

// A random-initialised model with the arithmetic byte-level tokenizer beside it.
std::filesystem::path make_model_with_tokenizer() {
  char tmpl[] = "/tmp/arbor_tok_model_XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);
  Json config = *read_json_file(kModel + "/config.json");
  config["vocab_size"] = 608;
  config["eos_token_id"] = 607;
  EXPECT_TRUE(models::save_random_checkpoint(config, dir.string(), 3).ok());
  std::filesystem::copy(ARBOR_SOURCE_DIR "/tests/data/tokenizers/arith_bytelevel.json",
                        dir / "tokenizer.json");
  return dir;
}

TEST(EngineTest, StopStringsSpanningTokensEndTheTextBeforeThem) {
  const auto dir = make_model_with_tokenizer();
  auto engine = make_engine({}, dir.string());
  const models::Tokenizer* tok = engine->tokenizer();
  ASSERT_NE(tok, nullptr);
  Sequence s = *engine->start_text("12 + 35 = ");
  auto full = run_sync(engine->generate(s, greedy(40)));
  ASSERT_TRUE(full.ok());
  // Pick a stop string that starts inside one token and ends inside the next.
  std::string text;
  std::string stop;
  std::size_t token_end = 0;
  for (std::size_t i = 0; i + 1 < full->ids.size() && stop.empty(); ++i) {
    const std::string a = tok->token_bytes(full->ids[i]);
    const std::string b = tok->token_bytes(full->ids[i + 1]);
    if (a.size() >= 2 && !b.empty()) {
      stop = a.substr(a.size() - 1) + b.substr(0, 1);
      token_end = i + 2;
    }
    text += a;
  }
  ASSERT_FALSE(stop.empty()) << "no multi-byte token in the continuation";
  GenerateParams p = greedy(40);
  p.stop = {stop};
  auto cut = run_sync(engine->generate(s, p));
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->finish_reason, FinishReason::kStop);
  EXPECT_EQ(cut->stop, stop);
  const std::string all = *tok->decode(full->ids);
  EXPECT_EQ(cut->text, all.substr(0, all.find(stop)));
  EXPECT_LE(cut->ids.size(), token_end);  // generation ended at the token completing the stop
  EXPECT_EQ(std::vector<std::int32_t>(full->ids.begin(), full->ids.begin() + cut->ids.size()),
            cut->ids);
  std::filesystem::remove_all(dir);
}

TEST(EngineTest, ResultsDoNotDependOnWhatElseIsInTheBatch) {
  auto engine = make_engine();
  checks::expect_results_independent_of_batch(*engine, 1e-5);
  EXPECT_GT(engine->metrics().mean_batch, 2.0);
}

}  // namespace
}  // namespace arbor::runtime
