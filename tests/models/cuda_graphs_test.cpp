// Decode steps as CUDA graphs (ModelOptions::cuda_graphs) against the same checkpoint decoded
// without them, both on the CUDA backend, fp32 and bf16 weights, on the Mamba-1/Mamba-2 parity
// fixtures, the embedded model and a random Granite-4.0-H hybrid: over many steps whose batch
// sizes change (so graphs are recorded, replayed and new ones recorded), whose slots, forks and
// tokens change from step to step (so a replay must copy this step's SeqSpans and ids, not the
// recorded ones), logits agree within 1e-5 of max(1, |logit|), sampled tokens are identical and
// log-probabilities agree, and so do the states left in every slot. A step whose buffers were
// reallocated since its graph was recorded (a long prefill in between) falls back to running
// eagerly and is recorded again; more shapes than graphs held evict the least recently used.
// The backend's graph counters show that graphs really ran.
//
// Skips without a CUDA build or device (see tests/kernels/cuda_test_util.h), and under
// ARBOR_CUDA_SYNC=1, which turns graphs off.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/random.h"
#include "models/model.h"
#include "tests/kernels/cuda_test_util.h"
#include "tests/models/cuda_model_util.h"

namespace arbor::models {
namespace {

using kernels::kNoSlot;
using kernels::SeqSpan;

// Graphs replay the same kernels on the same buffers as the eager steps; the tolerance only
// leaves room for a cuBLAS algorithm chosen differently inside a recording.
constexpr double kTol = 1e-5;
constexpr std::int32_t kSlots = 16;

using arbor::testing::norm_err;

std::string model_dir(const std::string& name) { return arbor::testing::cuda_test_model_dir(name); }

// One step's batch: tokens, spans and (optionally) the rows whose logits are wanted.
struct Step {
  std::vector<std::int32_t> tokens;
  std::vector<SeqSpan> spans;
  std::vector<std::int32_t> logit_rows;
};

// A decode step of `b` sequences (b <= kSlots) with random tokens: each writes its own slot,
// chosen at random; most continue in place, some fork from a slot no sequence of the step
// writes, some start fresh, some keep no state.
Step random_decode_step(Rng& rng, std::int32_t b, std::int32_t vocab) {
  std::vector<std::int32_t> slots(kSlots);
  std::iota(slots.begin(), slots.end(), 0);
  for (std::int32_t i = kSlots - 1; i > 0; --i) {
    std::swap(slots[static_cast<std::size_t>(i)],
              slots[rng.below(static_cast<std::uint64_t>(i) + 1)]);
  }
  Step s;
  for (std::int32_t i = 0; i < b; ++i) {
    const std::int32_t dst = slots[static_cast<std::size_t>(i)];
    std::int32_t src = dst;
    const std::uint64_t r = rng.below(10);
    if (r >= 6 && r < 8 && b < kSlots) {  // a fork from a slot this step does not write
      src = slots[static_cast<std::size_t>(b) + rng.below(static_cast<std::uint64_t>(kSlots - b))];
    } else if (r == 8) {
      src = kNoSlot;
    }
    s.tokens.push_back(static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(vocab))));
    s.spans.push_back({i, 1, src, r == 9 ? kNoSlot : dst});
  }
  return s;
}

struct Side {
  std::unique_ptr<Model> model;
  std::unique_ptr<kernels::StateArena> arena;
};

class CudaGraphsTest : public ::testing::TestWithParam<std::tuple<std::string, DType>> {
 protected:
  void SetUp() override {
    ARBOR_SKIP_WITHOUT_CUDA();
    if (::arbor::testing::cuda_sync_forced()) {
      GTEST_SKIP() << "ARBOR_CUDA_SYNC=1 turns CUDA graphs off";
    }
    ASSERT_NO_FATAL_FAILURE(open(&eager_, false));
    ASSERT_NO_FATAL_FAILURE(open(&graphed_, true));
    ASSERT_FALSE(eager_.model->cuda_graphs());
    ASSERT_TRUE(graphed_.model->cuda_graphs());
    vocab_ = eager_.model->config().vocab_size;
    // Every slot starts from a prefill of its own random prompt (one packed step).
    Rng rng(5);
    Step prefill;
    for (std::int32_t s = 0; s < kSlots; ++s) {
      const auto n = static_cast<std::int32_t>(3 + rng.below(9));
      prefill.spans.push_back({static_cast<std::int32_t>(prefill.tokens.size()), n, kNoSlot, s});
      for (std::int32_t i = 0; i < n; ++i) {
        prefill.tokens.push_back(static_cast<std::int32_t>(rng.below(vocab_)));
      }
    }
    ASSERT_NO_FATAL_FAILURE(expect_same_logits(prefill, "prefill"));
  }

  void open(Side* side, bool graphs) {
    ModelOptions o;
    o.device = kernels::DeviceKind::kCuda;
    o.weight_dtype = std::get<1>(GetParam());
    o.cuda_graphs = graphs;
    o.kv_page_size = 64;  // hybrid: the page tables of these tests stay 1 to 3 pages wide
    const std::string dir = model_dir(std::get<0>(GetParam()));
    ASSERT_FALSE(dir.empty());
    auto m = Model::open(dir, o);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    side->model = std::move(*m);
    auto arena = side->model->make_state_arena(kSlots);
    ASSERT_TRUE(arena.ok()) << arena.status().to_string();
    side->arena = std::move(*arena);
  }

  static StepBatch batch(const Step& s) { return {s.tokens, s.spans, false, s.logit_rows}; }

  // Runs `s` on both models, downloading the logits, and compares them row by row.
  void expect_same_logits(const Step& s, const std::string& what) {
    StepOutput out[2];
    Side* sides[2] = {&eager_, &graphed_};
    for (int i = 0; i < 2; ++i) {
      const Status st = sides[i]->model->forward(batch(s), *sides[i]->arena, &out[i]);
      ASSERT_TRUE(st.ok()) << what << ": " << st.to_string();
    }
    ASSERT_EQ(out[1].logits.size(), out[0].logits.size()) << what;
    ASSERT_FALSE(out[0].logits.empty()) << what;
    for (std::size_t r = 0; r * vocab_ < out[0].logits.size(); ++r) {
      EXPECT_LE(norm_err(out[1].logits.data() + r * vocab_, out[0].logits.data() + r * vocab_,
                         static_cast<std::size_t>(vocab_)),
                kTol)
          << what << ", row " << r;
    }
  }

  // Runs `s` on both models with the logits left on the device, samples every row there (the
  // same seeds on both) and compares the tokens and log-probabilities.
  void expect_same_samples(const Step& s, const kernels::SamplingParams& p, std::uint64_t seed,
                           const std::string& what) {
    const std::size_t n = s.logit_rows.empty() ? s.spans.size() : s.logit_rows.size();
    std::vector<std::int32_t> tokens[2];
    std::vector<float> logprobs[2];
    Side* sides[2] = {&eager_, &graphed_};
    for (int i = 0; i < 2; ++i) {
      StepOutput out;
      out.want_logits = false;
      Status st = sides[i]->model->forward(batch(s), *sides[i]->arena, &out);
      ASSERT_TRUE(st.ok()) << what << ": " << st.to_string();
      std::vector<Rng> rngs;
      for (std::size_t r = 0; r < n; ++r) rngs.emplace_back(seed + r);
      const std::vector<kernels::SamplingParams> params(n, p);
      tokens[i].assign(n, -1);
      logprobs[i].assign(n, 0.0f);
      st =
          sides[i]->model->sample_logits(params, rngs.data(), tokens[i].data(), logprobs[i].data());
      ASSERT_TRUE(st.ok()) << what << ": " << st.to_string();
    }
    EXPECT_EQ(tokens[1], tokens[0]) << what;
    EXPECT_LE(norm_err(logprobs[1].data(), logprobs[0].data(), n), kTol) << what;
  }

  void expect_same_states(const std::string& what) {
    for (std::int32_t slot = 0; slot < kSlots; ++slot) {
      std::vector<float> a, b;
      ASSERT_TRUE(eager_.arena->read_slot(slot, &a).ok());
      ASSERT_TRUE(graphed_.arena->read_slot(slot, &b).ok());
      ASSERT_EQ(a.size(), b.size());
      EXPECT_LE(norm_err(b.data(), a.data(), a.size()), kTol) << what << ", slot " << slot;
    }
  }

  // Hybrid steps are also keyed by the page table's width, which grows with the sequences, so
  // their number of recordings is not the number of batch sizes.
  static bool hybrid() { return std::get<0>(GetParam()) == "hybrid"; }

  kernels::Backend::GraphStats graph_stats() const {
    return graphed_.model->backend().graph_stats();
  }

  Side eager_, graphed_;
  std::int32_t vocab_ = 0;
};

TEST_P(CudaGraphsTest, DecodeMatchesEagerAsBatchSizesAndSlotsChange) {
  // Sizes come back (replays) and new ones appear (recordings) throughout.
  const std::vector<std::int32_t> sizes = {1, 3, 1, 3, 5, 1, 2, 3, 5, 8, 2, 16, 1, 16, 8, 7};
  const kernels::SamplingParams greedy{};
  const kernels::SamplingParams sampled{0.8f, 40, 0.95f, 0.0f};
  Rng rng(11);
  constexpr int kSteps = 64;
  for (int t = 0; t < kSteps; ++t) {
    const std::int32_t b = sizes[static_cast<std::size_t>(t) % sizes.size()];
    const Step s = random_decode_step(rng, b, vocab_);
    const std::string what = "step " + std::to_string(t) + " (batch " + std::to_string(b) + ")";
    if (t % 3 == 0) {
      ASSERT_NO_FATAL_FAILURE(expect_same_logits(s, what));
    } else {
      ASSERT_NO_FATAL_FAILURE(
          expect_same_samples(s, t % 3 == 1 ? greedy : sampled, 1000 + 100 * t, what));
    }
    if (t % 16 == 15) {
      ASSERT_NO_FATAL_FAILURE(expect_same_states(what));
    }
  }
  const kernels::Backend::GraphStats g = graph_stats();
  const std::size_t n_sizes = std::set<std::int32_t>(sizes.begin(), sizes.end()).size();
  EXPECT_EQ(g.fallbacks, 0u);
  if (hybrid()) {
    EXPECT_GT(g.captured, 0u);
    EXPECT_GT(g.launched, g.captured) << "no graph was replayed";
  } else {
    EXPECT_EQ(g.captured, n_sizes);
    // Every step but each size's first ran as a graph.
    EXPECT_EQ(g.launched, static_cast<std::uint64_t>(kSteps) - n_sizes);
    EXPECT_EQ(g.held, n_sizes);
  }
  EXPECT_EQ(eager_.model->backend().graph_stats().launched, 0u);
}

TEST_P(CudaGraphsTest, StepWhoseBuffersWereReallocatedRunsEagerlyAndIsRecordedAgain) {
  Rng rng(13);
  for (int t = 0; t < 3; ++t) {  // eager, recorded, replayed
    ASSERT_NO_FATAL_FAILURE(
        expect_same_logits(random_decode_step(rng, 2, vocab_), "step " + std::to_string(t)));
  }
  EXPECT_EQ(graph_stats().captured, 1u);
  EXPECT_EQ(graph_stats().launched, 2u);
  // A prefill longer than SetUp's (at most 176 tokens) grows, so reallocates, every activation
  // buffer the graph was recorded with. It keeps no state (a hybrid's page tables stay as
  // they were, so the next decode step has the same key).
  constexpr std::int32_t kLong = 600;
  Step prefill;
  for (std::int32_t i = 0; i < kLong; ++i) {
    prefill.tokens.push_back(static_cast<std::int32_t>(rng.below(vocab_)));
  }
  prefill.spans.push_back({0, kLong, kNoSlot, kNoSlot});
  ASSERT_NO_FATAL_FAILURE(expect_same_logits(prefill, "prefill"));
  // The replay finds other pointers than recorded: nothing launched, the step runs eagerly.
  ASSERT_NO_FATAL_FAILURE(expect_same_logits(random_decode_step(rng, 2, vocab_), "after"));
  EXPECT_EQ(graph_stats().fallbacks, 1u);
  EXPECT_EQ(graph_stats().launched, 2u);
  // Then the shape is recorded again on the new buffers and replayed.
  for (int t = 0; t < 3; ++t) {
    ASSERT_NO_FATAL_FAILURE(
        expect_same_logits(random_decode_step(rng, 2, vocab_), "again " + std::to_string(t)));
  }
  EXPECT_EQ(graph_stats().captured, 2u);
  EXPECT_EQ(graph_stats().launched, 5u);
  EXPECT_EQ(graph_stats().fallbacks, 1u);
  expect_same_states("end");
}

// 80 shapes (batch size x number of logit rows, the rows chosen at random each time), visited
// round after round: more than the 64 graphs held, so the least recently used are evicted and
// recorded again later; results stay the same.
TEST_P(CudaGraphsTest, MoreShapesThanGraphsHeld) {
  std::vector<std::pair<std::int32_t, std::int32_t>> shapes;  // (batch, logit rows)
  for (std::int32_t b = 1; b <= kSlots && shapes.size() < 80; ++b) {
    for (std::int32_t r = 1; r <= b && shapes.size() < 80; ++r) shapes.emplace_back(b, r);
  }
  Rng rng(17);
  for (int round = 0; round < 3; ++round) {
    for (const auto& [b, n_rows] : shapes) {
      Step s = random_decode_step(rng, b, vocab_);
      std::vector<std::int32_t> rows(static_cast<std::size_t>(b));
      std::iota(rows.begin(), rows.end(), 0);
      while (static_cast<std::int32_t>(rows.size()) > n_rows) {
        rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(rng.below(rows.size())));
      }
      s.logit_rows = rows;
      ASSERT_NO_FATAL_FAILURE(expect_same_logits(s, "round " + std::to_string(round) + ", batch " +
                                                        std::to_string(b) + ", rows " +
                                                        std::to_string(n_rows)));
    }
  }
  const kernels::Backend::GraphStats g = graph_stats();
  if (!hybrid()) {
    EXPECT_GT(g.captured, 64u);
  }
  EXPECT_LE(g.held, 64u);
  EXPECT_GT(g.launched, 0u);
  expect_same_states("end");
}

INSTANTIATE_TEST_SUITE_P(Models, CudaGraphsTest,
                         ::testing::Combine(::testing::Values("mamba1_a", "mamba1_b", "mamba2_a",
                                                              "mamba2_b", "arith_mamba2", "hybrid"),
                                            ::testing::Values(DType::kF32, DType::kBF16)),
                         [](const ::testing::TestParamInfo<CudaGraphsTest::ParamType>& p) {
                           return std::get<0>(p.param) +
                                  (std::get<1>(p.param) == DType::kF32 ? "_fp32" : "_bf16");
                         });

}  // namespace
}  // namespace arbor::models
