// The engine serving a Granite-4.0-H hybrid (random weights): the same Sequence API as for
// Mamba models. Forked continuations, batched and alone, equal single-sequence runs; spills and
// recomputes of hybrid states (Mamba slots + KV pages) give the same results; KV page reference
// counts return to zero when every sequence has ended.
#include <cmath>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "models/generate.h"
#include "runtime/engine.h"

#include "tests/models/hybrid_test_util.h"
#include "tests/runtime/run_sync.h"

namespace arbor::runtime {
namespace {

using testing::run_sync;

GenerateParams greedy(int n) {
  GenerateParams p;
  p.max_tokens = n;
  p.stop_at_eos = false;
  return p;
}

class HybridEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_hybrid_checkpoint(testing::hybrid_config("MAMA"), 11);
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<models::Model> open() {
    models::ModelOptions o;
    o.kv_page_size = 4;
    auto m = models::Model::open(dir_, o);
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    return std::move(*m);
  }
  std::unique_ptr<Engine> engine(EngineOptions options) {
    auto e = Engine::create(open(), options);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    return std::move(*e);
  }
  // The reference: one sequence alone, token by token, on its own model.
  std::vector<std::int32_t> reference(const std::vector<std::int32_t>& prompt, int n) {
    if (!ref_) ref_ = open();
    models::GenerateOptions o;
    o.max_tokens = n;
    o.stop_at_eos = false;
    auto r = models::generate(*ref_, prompt, o);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r->ids;
  }
  static std::vector<std::int32_t> cat(std::vector<std::int32_t> a,
                                       const std::vector<std::int32_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }

  std::string dir_;
  std::unique_ptr<models::Model> ref_;
};

TEST_F(HybridEngineTest, ForkedContinuationsEqualFreshRunsAndPagesAreFreedAtTheEnd) {
  EngineOptions options;
  options.n_slots = 16;
  auto e = engine(options);
  const std::vector<std::int32_t> prompt = {9, 8, 7, 6, 5, 4, 3};  // 7 tokens: mid-page
  {
    Sequence root = *e->start(prompt);
    auto first = run_sync(e->generate(root, greedy(6)));
    ASSERT_TRUE(first.ok()) << first.status().to_string();
    EXPECT_EQ(first->ids, reference(prompt, 6));
    // Children forked from the end of the root's generation, each appending different tokens,
    // then generating in one batch.
    std::vector<Sequence> kids;
    std::vector<std::vector<std::int32_t>> kid_tokens;
    for (std::int32_t k = 0; k < 4; ++k) {
      std::vector<std::int32_t> extra(static_cast<std::size_t>(k + 1), 20 + k);
      kids.push_back(*e->append(e->fork(first->sequence), extra));
      kid_tokens.push_back(cat(cat(prompt, first->ids), extra));
    }
    // Submit every child at once (they share steps), and step the root's end again meanwhile.
    std::vector<std::future<StatusOr<Completion>>> futures;
    for (const Sequence& kid : kids) {
      auto p = std::make_shared<std::promise<StatusOr<Completion>>>();
      futures.push_back(p->get_future());
      e->async_generate(kid, greedy(5),
                        [p](StatusOr<Completion> c) { p->set_value(std::move(c)); });
    }
    auto again = run_sync(e->generate(first->sequence, greedy(3)));
    ASSERT_TRUE(again.ok()) << again.status().to_string();
    EXPECT_EQ(again->ids, reference(first->sequence.tokens(), 3));
    for (std::size_t k = 0; k < kids.size(); ++k) {
      StatusOr<Completion> c = futures[k].get();
      ASSERT_TRUE(c.ok()) << c.status().to_string();
      EXPECT_EQ(c->ids, reference(kid_tokens[k], 5)) << "child " << k;
    }
    const Metrics batched = e->metrics();
    EXPECT_GT(batched.mean_batch, 1.0);
    // No Mamba state was copied; the only bytes moved are copy-on-write copies of partly
    // filled last pages.
    EXPECT_EQ(batched.bytes_copied, batched.kv_cow_bytes);
    EXPECT_GT(batched.kv_cow_copies, 0u);
    // Scores of a continuation read the KV pages without writing any.
    auto lp = run_sync(e->score(kids[0], {1, 2, 3}));
    ASSERT_TRUE(lp.ok()) << lp.status().to_string();
    EXPECT_EQ(lp->size(), 3u);
    const Metrics m = e->metrics();
    EXPECT_GT(m.kv_pages_used, 0);
    EXPECT_GT(m.kv_pages, m.kv_pages_used);
  }
  // Every handle is gone: every page's reference count is back to zero. (Deliveries release
  // their handles on the scheduler thread; give it a moment.)
  for (int i = 0; i < 200 && e->metrics().kv_pages_used != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(e->metrics().kv_pages_used, 0);
  EXPECT_EQ(e->metrics().free_slots, e->metrics().slots);
}

TEST_F(HybridEngineTest, SpillsAndRecomputesOfHybridStatesGiveTheSameResults) {
  // 3 slots for 6 branches: states are spilled (KV included) and, with no spill budget,
  // dropped and recomputed from an ancestor.
  for (std::size_t spill : {std::size_t{1} << 30, std::size_t{0}}) {
    EngineOptions options;
    options.n_slots = 3;
    options.host_spill_bytes = spill;
    options.max_batch_seqs = 2;
    auto e = engine(options);
    const std::vector<std::int32_t> prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    Sequence root = *e->start(prompt);
    std::vector<Sequence> kids;
    for (std::int32_t k = 0; k < 6; ++k) kids.push_back(*e->append(root, {30 + k, 40 + k}));
    for (int round = 0; round < 2; ++round) {
      for (std::size_t k = 0; k < kids.size(); ++k) {
        auto c = run_sync(e->generate(kids[k], greedy(3)));
        ASSERT_TRUE(c.ok()) << c.status().to_string();
        EXPECT_EQ(c->ids, reference(kids[k].tokens(), 3)) << "child " << k << " round " << round;
      }
    }
    const Metrics m = e->metrics();
    if (spill > 0) {
      EXPECT_GT(m.spills, 0u);
      EXPECT_GT(m.restores, 0u);
    } else {
      EXPECT_GT(m.drops, 0u);
      EXPECT_GT(m.recomputes, 0u);
    }
  }
}

}  // namespace
}  // namespace arbor::runtime
