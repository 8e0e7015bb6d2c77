// The engine serving a model on the CUDA backend (fp32 weights), against single-sequence runs
// of the same checkpoint on the CPU reference: a representative subset of engine_test.cpp and
// hybrid_engine_test.cpp. Generated tokens identical, log-probabilities within 1e-4 relative
// (max(1, |ref|)), forks copying no state (only partial KV pages, copy-on-write), and the same
// tokens after spills and recomputes. Parameterised over a Mamba-2 and a Mamba-1 fixture and a
// random Granite-4.0-H hybrid (KV pages of 4 tokens); each also with decode steps as CUDA graphs
// ("+graphs"), where the backend's counters must show graphs recorded and replayed.
//
// Skips without a CUDA build or device (see tests/kernels/cuda_test_util.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <vector>

#include "models/generate.h"
#include "runtime/engine.h"
#include "tests/kernels/cuda_test_util.h"
#include "tests/models/hybrid_test_util.h"
#include "tests/runtime/engine_checks.h"
#include "tests/runtime/run_sync.h"

namespace arbor::runtime {
namespace {

namespace asio = boost::asio;
using arbor::testing::run_sync;

const std::string kMamba2 = ARBOR_SOURCE_DIR "/tests/data/parity/mamba2_b";
const std::string kMamba1 = ARBOR_SOURCE_DIR "/tests/data/parity/mamba1_b";
constexpr double kLogprobTol = 1e-4;

using checks::greedy;
using checks::max_rel_diff;

GenerateParams sampled(int n, std::uint64_t seed) {
  GenerateParams p = greedy(n);
  p.sampling = {0.9f, 40, 0.9f, 0.02f};
  p.seed = seed;
  return p;
}

// Engines on CUDA; the reference is models::generate on a CPU model of the same checkpoint.
class CudaEngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ARBOR_SKIP_WITHOUT_CUDA();
    if (GetParam().starts_with("hybrid")) {
      dir_ = arbor::testing::make_hybrid_checkpoint(arbor::testing::hybrid_config("MAMA"), 11);
      ASSERT_FALSE(dir_.empty());
      remove_dir_ = true;
    } else {
      dir_ = GetParam().starts_with("mamba1") ? kMamba1 : kMamba2;
    }
    graphs_ = GetParam().ends_with("+graphs");
    auto ref = models::Model::open(dir_, options(kernels::DeviceKind::kCpu));
    ASSERT_TRUE(ref.ok()) << ref.status().to_string();
    ref_ = std::move(*ref);
  }
  void TearDown() override {
    if (remove_dir_) std::filesystem::remove_all(dir_);
  }

  models::ModelOptions options(kernels::DeviceKind device) const {
    models::ModelOptions o;
    o.device = device;
    if (device == kernels::DeviceKind::kCuda) o.weight_dtype = DType::kF32;
    o.cuda_graphs = graphs_ && device == kernels::DeviceKind::kCuda;
    o.kv_page_size = 4;  // hybrid: sequences cross pages within a few tokens
    return o;
  }

  std::unique_ptr<Engine> engine(EngineOptions eo = {}) {
    auto m = models::Model::open(dir_, options(kernels::DeviceKind::kCuda));
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    if (!m.ok()) return nullptr;
    EXPECT_EQ((*m)->backend().device(), kernels::DeviceKind::kCuda);
    auto e = Engine::create(std::move(*m), eo);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    return e.ok() ? std::move(*e) : nullptr;
  }

  models::GenerateResult reference(const std::vector<std::int32_t>& prompt,
                                   const GenerateParams& p) {
    return checks::generate_alone(*ref_, prompt, p);
  }

  // With graphs on, decode steps ran as graphs: recorded, and replayed when `replays` (unless
  // ARBOR_CUDA_SYNC=1 turned graphs off); with them off, none.
  void expect_graphs_used(const Engine& e, bool replays) const {
    const kernels::Backend::GraphStats g = e.model().backend().graph_stats();
    if (::arbor::testing::cuda_sync_forced()) {
      EXPECT_EQ(g.launched, 0u);
    } else if (graphs_) {
      EXPECT_GT(g.captured, 0u);
      if (replays) {
        EXPECT_GT(g.launched, g.captured) << "no graph was replayed";
      }
    } else {
      EXPECT_EQ(g.launched, 0u);
    }
  }

  std::string dir_;
  bool remove_dir_ = false;
  bool graphs_ = false;
  std::unique_ptr<models::Model> ref_;
};

TEST_P(CudaEngineTest, GreedyAndSampledGenerationMatchTheCpuReference) {
  auto e = engine();
  ASSERT_NE(e, nullptr);
  const std::vector<std::int32_t> prompt = {5, 17, 42, 7, 9, 3};
  auto seq = e->start(prompt);
  ASSERT_TRUE(seq.ok());
  for (const GenerateParams& p : {greedy(16), sampled(16, 77)}) {
    auto c = run_sync(e->generate(*seq, p));
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    const auto want = reference(prompt, p);
    EXPECT_EQ(c->ids, want.ids) << "temperature " << p.sampling.temperature;
    EXPECT_LE(max_rel_diff(c->logprobs, want.logprobs), kLogprobTol);
  }
  expect_graphs_used(*e, true);
}

// Children forked from a parent's end, some with extra tokens, generate in one batch with each
// other and with the parent; each equals a fresh CPU run of its whole history.
TEST_P(CudaEngineTest, ForkedContinuationsEqualFreshPrefillsAndCopyNoState) {
  auto e = engine();
  ASSERT_NE(e, nullptr);
  const std::vector<std::int32_t> prompt = {9, 8, 7, 6, 5, 4, 3};
  auto first = run_sync(e->generate(*e->start(prompt), greedy(4)));
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  const std::vector<std::vector<std::int32_t>> extra = {{}, {11}, {12, 13}, {14, 15, 16}, {}};
  std::vector<std::promise<StatusOr<Completion>>> promises(extra.size());
  for (std::size_t i = 0; i < extra.size(); ++i) {
    Sequence child = e->fork(first->sequence);
    if (!extra[i].empty()) child = *e->append(child, extra[i]);
    const GenerateParams p = i == 4 ? sampled(6, 5) : greedy(6);
    e->async_generate(child, p, [&promises, i](StatusOr<Completion> c) {
      promises[i].set_value(std::move(c));
    });
  }
  auto again = run_sync(e->generate(first->sequence, greedy(3)));  // the parent steps again
  ASSERT_TRUE(again.ok());
  for (std::size_t i = 0; i < extra.size(); ++i) {
    auto c = promises[i].get_future().get();
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    std::vector<std::int32_t> full = first->sequence.tokens();
    full.insert(full.end(), extra[i].begin(), extra[i].end());
    const auto want = reference(full, i == 4 ? sampled(6, 5) : greedy(6));
    EXPECT_EQ(c->ids, want.ids) << "child " << i;
    EXPECT_LE(max_rel_diff(c->logprobs, want.logprobs), kLogprobTol) << "child " << i;
  }
  const Metrics m = e->metrics();
  // Only the copy-on-write of shared partial KV pages copies bytes (hybrid models).
  EXPECT_EQ(m.bytes_copied, m.kv_cow_bytes) << "forking copied state";
  EXPECT_EQ(m.forks, extra.size());
  EXPECT_GT(m.mean_batch, 1.0);
  // Hybrid steps change key whenever a page table grows (every 4 tokens here), so a replay is
  // not certain in this short test.
  expect_graphs_used(*e, !GetParam().starts_with("hybrid"));
}

// Three slots and room for one spilled state on the host: states are spilled, dropped and
// recomputed, and the tokens equal those of an engine with room for everything.
TEST_P(CudaEngineTest, SpillAndRecomputeGiveTheSameTokens) {
  EngineOptions tight;
  tight.n_slots = 3;
  tight.host_spill_bytes = static_cast<std::size_t>(ref_->state_floats_per_slot() * 4);
  auto small = engine(tight);
  auto large = engine();
  ASSERT_NE(small, nullptr);
  ASSERT_NE(large, nullptr);
  auto play = [](Engine& e) -> asio::awaitable<std::vector<std::vector<std::int32_t>>> {
    std::vector<std::vector<std::int32_t>> out;
    std::vector<Sequence> keep;
    Sequence s = *e.start({1, 2, 3, 4, 5});
    for (int i = 0; i < 10; ++i) {
      auto c = co_await e.generate(e.fork(s), greedy(3));
      EXPECT_TRUE(c.ok());
      if (!c.ok()) co_return out;
      out.push_back(c->ids);
      keep.push_back(c->sequence);
      s = c->sequence;
    }
    for (std::size_t i = 0; i < keep.size(); i += 3) {
      auto c = co_await e.generate(keep[i], greedy(4));
      EXPECT_TRUE(c.ok());
      if (!c.ok()) co_return out;
      out.push_back(c->ids);
    }
    co_return out;
  };
  const auto got = run_sync(play(*small));
  EXPECT_EQ(got, run_sync(play(*large)));
  const Metrics m = small->metrics();
  EXPECT_GT(m.recomputes, 0u);
  // And the CPU agrees on the longest chain.
  std::vector<std::int32_t> history = {1, 2, 3, 4, 5};
  for (int i = 0; i < 9; ++i) history.insert(history.end(), got[i].begin(), got[i].end());
  EXPECT_EQ(got[9], reference(history, greedy(3)).ids);
}

// The same score and generation alone and among twenty other requests of other lengths.
TEST_P(CudaEngineTest, ResultsDoNotDependOnWhatElseIsInTheBatch) {
  auto e = engine();
  ASSERT_NE(e, nullptr);
  const checks::AloneResult alone = checks::expect_results_independent_of_batch(*e, kLogprobTol);
  EXPECT_EQ(alone.generated.ids, reference(alone.prompt, greedy(8)).ids);
}

INSTANTIATE_TEST_SUITE_P(Models, CudaEngineTest,
                         ::testing::Values("mamba2", "mamba1", "hybrid", "mamba2+graphs",
                                           "mamba1+graphs", "hybrid+graphs"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           std::replace(name.begin(), name.end(), '+', '_');
                           return name;
                         });

}  // namespace
}  // namespace arbor::runtime
