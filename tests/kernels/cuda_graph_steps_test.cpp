// Graph steps of the CUDA backend (Backend::graph_begin / graph_end), at the op level: a key's
// first step runs eagerly, the second is recorded and launched, later ones replay the recording
// with this step's host index arrays (the token ids change every step, so a replay that
// launched the recorded ids would fail); a replay whose arguments differ from the recording (an
// output buffer swapped) launches nothing and asks for an eager rerun; allocations and
// downloads inside a graph step fail, and so does a recording that needs them.
//
// Skips without a CUDA build or device (see tests/kernels/cuda_test_util.h), and under
// ARBOR_CUDA_SYNC=1, which turns graphs off.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "kernels/backend.h"
#include "tests/kernels/cuda_test_util.h"

namespace arbor::kernels {
namespace {

constexpr std::int32_t kVocab = 50;
constexpr std::int32_t kEmbd = 8;
constexpr std::int32_t kTokens = 5;

class CudaGraphStepsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ARBOR_SKIP_WITHOUT_CUDA();
    if (::arbor::testing::cuda_sync_forced()) {
      GTEST_SKIP() << "ARBOR_CUDA_SYNC=1 turns CUDA graphs off";
    }
    auto b = make_backend(DeviceKind::kCuda, {DType::kF32});
    ASSERT_TRUE(b.ok()) << b.status().to_string();
    be_ = std::move(*b);
    Rng rng(3);
    host_table_.resize(static_cast<std::size_t>(kVocab) * kEmbd);
    for (float& x : host_table_) x = static_cast<float>(rng.normal());
    table_buf_ = alloc(host_table_.size() * sizeof(float));
    ASSERT_TRUE(be_->upload(*table_buf_, 0, host_table_.data(), host_table_.size() * 4).ok());
    out_[0] = alloc(kTokens * kEmbd * sizeof(float));
    out_[1] = alloc(kTokens * kEmbd * sizeof(float));
  }

  BufferPtr alloc(std::size_t bytes) {
    auto b = be_->alloc(bytes);
    EXPECT_TRUE(b.ok()) << b.status().to_string();
    return b.ok() ? std::move(*b) : nullptr;
  }

  // out[t, :] = table[ids[t], :] into output buffer `o`.
  Status embed(const std::vector<std::int32_t>& ids, int o) {
    const Tensor table{table_buf_->data(), DType::kF32, Shape{kVocab, kEmbd}};
    return be_->embedding({ids.data(), table, static_cast<float*>(out_[o]->data()), kTokens});
  }

  // One step of key `key` writing output buffer `o`: eager, recorded or replayed, and rerun
  // eagerly when the backend asks for it. Returns whether graph_begin took the step.
  bool step(std::uint64_t key, const std::vector<std::int32_t>& ids, int o) {
    const bool graphed = be_->graph_begin(key);
    Status s = embed(ids, o);
    if (graphed) {
      auto ran = be_->graph_end(s.ok());
      EXPECT_TRUE(ran.ok()) << ran.status().to_string();
      if (ran.ok() && !*ran) s = embed(ids, o);
    }
    EXPECT_TRUE(s.ok()) << s.to_string();
    return graphed;
  }

  // The output buffer holds the table rows of `ids`.
  void expect_rows(const std::vector<std::int32_t>& ids, int o, const std::string& what) {
    std::vector<float> got(static_cast<std::size_t>(kTokens) * kEmbd);
    ASSERT_TRUE(be_->download(got.data(), *out_[o], 0, got.size() * sizeof(float)).ok());
    for (std::int32_t t = 0; t < kTokens; ++t) {
      for (std::int32_t i = 0; i < kEmbd; ++i) {
        ASSERT_EQ(got[static_cast<std::size_t>(t * kEmbd + i)],
                  host_table_[static_cast<std::size_t>(ids[t] * kEmbd + i)])
            << what << ": token " << t << ", column " << i;
      }
    }
  }

  std::unique_ptr<Backend> be_;
  std::vector<float> host_table_;
  BufferPtr table_buf_;
  BufferPtr out_[2];
};

TEST_F(CudaGraphStepsTest, ReplaysCopyEachStepsIdsAndChangedArgumentsFallBack) {
  Rng rng(7);
  auto random_ids = [&] {
    std::vector<std::int32_t> ids(kTokens);
    for (auto& id : ids) id = static_cast<std::int32_t>(rng.below(kVocab));
    return ids;
  };
  std::vector<std::int32_t> ids = random_ids();
  EXPECT_FALSE(step(1, ids, 0)) << "a key's first step runs eagerly";
  expect_rows(ids, 0, "eager");
  ids = random_ids();
  EXPECT_TRUE(step(1, ids, 0));
  expect_rows(ids, 0, "recorded");
  EXPECT_EQ(be_->graph_stats().captured, 1u);
  for (int i = 0; i < 5; ++i) {
    ids = random_ids();
    EXPECT_TRUE(step(1, ids, 0));
    expect_rows(ids, 0, "replay " + std::to_string(i));
  }
  EXPECT_EQ(be_->graph_stats().launched, 6u);
  // Another output buffer than recorded: nothing replays, the step runs eagerly.
  ids = random_ids();
  EXPECT_TRUE(step(1, ids, 1));
  expect_rows(ids, 1, "changed output");
  Backend::GraphStats g = be_->graph_stats();
  EXPECT_EQ(g.fallbacks, 1u);
  EXPECT_EQ(g.launched, 6u);
  EXPECT_EQ(g.held, 0u);
  // The next step records the new arguments, the one after replays them.
  for (int i = 0; i < 2; ++i) {
    ids = random_ids();
    EXPECT_TRUE(step(1, ids, 1));
    expect_rows(ids, 1, "again " + std::to_string(i));
  }
  g = be_->graph_stats();
  EXPECT_EQ(g.captured, 2u);
  EXPECT_EQ(g.launched, 8u);
  EXPECT_EQ(g.held, 1u);
}

TEST_F(CudaGraphStepsTest, AllocationsAndDownloadsFailInsideAGraphStep) {
  const std::vector<std::int32_t> ids = {1, 2, 3, 4, 5};
  EXPECT_FALSE(step(2, ids, 0));
  // Recording: an allocation fails, which fails the recording; nothing ran.
  ASSERT_TRUE(be_->graph_begin(2));
  ASSERT_TRUE(embed(ids, 0).ok());
  EXPECT_FALSE(be_->alloc(64).ok());
  std::vector<float> host(4);
  EXPECT_FALSE(be_->download(host.data(), *out_[0], 0, 16).ok());
  auto ran = be_->graph_end(false);
  ASSERT_TRUE(ran.ok()) << ran.status().to_string();
  EXPECT_FALSE(*ran);
  EXPECT_EQ(be_->graph_stats().fallbacks, 1u);
  EXPECT_EQ(be_->graph_stats().captured, 0u);
  // Outside a step both work again, and the key records on a later step.
  EXPECT_TRUE(be_->alloc(64).ok());
  ASSERT_TRUE(embed(ids, 0).ok());
  expect_rows(ids, 0, "eager after the failed recording");
  EXPECT_TRUE(step(2, ids, 0));
  expect_rows(ids, 0, "recorded");
  EXPECT_EQ(be_->graph_stats().captured, 1u);
}

}  // namespace
}  // namespace arbor::kernels
