// Parity of the CPU reference engine with transformers 5.17 (fixtures made by
// tools/make_parity_fixtures.py): logits at every position within 1e-4 relative to the
// reference's largest magnitude, for one prefill and for token-by-token decoding; the greedy
// continuation identical; the final hidden states too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/json.h"
#include "models/model.h"

namespace arbor::models {
namespace {

using kernels::kNoSlot;
using kernels::SeqSpan;

std::string fixture_dir(const std::string& name) {
  return std::string(ARBOR_SOURCE_DIR) + "/tests/data/parity/" + name;
}

struct Reference {
  std::vector<std::int32_t> input_ids;
  std::vector<std::vector<float>> logits;  // per position
  std::vector<std::vector<float>> hidden;  // per position
  std::vector<std::int32_t> greedy;
  double tolerance = 0;
};

Reference load_reference(const std::string& name) {
  auto j = read_json_file(fixture_dir(name) + "/reference.json");
  EXPECT_TRUE(j.ok()) << j.status().to_string();
  Reference r;
  r.input_ids = (*j)["input_ids"].get<std::vector<std::int32_t>>();
  r.logits = (*j)["logits"].get<std::vector<std::vector<float>>>();
  r.hidden = (*j)["hidden"].get<std::vector<std::vector<float>>>();
  r.greedy = (*j)["greedy_continuation"].get<std::vector<std::int32_t>>();
  r.tolerance = (*j)["tolerance"].get<double>();
  return r;
}

// max |a - b| / max |b|
double rel_error(const float* a, const std::vector<float>& b) {
  double max_diff = 0, max_ref = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(b[i])));
  }
  return max_diff / max_ref;
}

std::int32_t argmax(const float* x, std::int32_t n) {
  return static_cast<std::int32_t>(std::max_element(x, x + n) - x);
}

class ParityTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto m = Model::open(fixture_dir(GetParam()));
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    model_ = std::move(*m);
    ref_ = load_reference(GetParam());
    auto arena = model_->make_state_arena(4);
    ASSERT_TRUE(arena.ok());
    arena_ = std::move(*arena);
  }

  // Runs one sequence's tokens in one step, reading src and writing dst.
  StepOutput step(const std::vector<std::int32_t>& tokens, std::int32_t src, std::int32_t dst,
                  bool all_logits, bool hidden = false) {
    SeqSpan span{0, static_cast<std::int32_t>(tokens.size()), src, dst};
    StepOutput out;
    out.want_hidden = hidden;
    Status s = model_->forward({tokens, {&span, 1}, all_logits}, *arena_, &out);
    EXPECT_TRUE(s.ok()) << s.to_string();
    return out;
  }

  std::int32_t vocab() const { return model_->config().vocab_size; }

  std::unique_ptr<Model> model_;
  std::unique_ptr<kernels::StateArena> arena_;
  Reference ref_;
};

TEST_P(ParityTest, PrefillLogitsAtEveryPosition) {
  StepOutput out = step(ref_.input_ids, kNoSlot, 0, /*all_logits=*/true, /*hidden=*/true);
  ASSERT_EQ(out.logits.size(), ref_.input_ids.size() * static_cast<std::size_t>(vocab()));
  const std::int32_t n_embd = model_->config().n_embd;
  for (std::size_t t = 0; t < ref_.input_ids.size(); ++t) {
    EXPECT_LE(rel_error(out.logits.data() + t * vocab(), ref_.logits[t]), ref_.tolerance)
        << "position " << t;
    EXPECT_LE(rel_error(out.hidden.data() + t * n_embd, ref_.hidden[t]), ref_.tolerance)
        << "hidden, position " << t;
  }
}

TEST_P(ParityTest, TokenByTokenDecodeMatchesReference) {
  for (std::size_t t = 0; t < ref_.input_ids.size(); ++t) {
    StepOutput out = step({ref_.input_ids[t]}, t == 0 ? kNoSlot : 0, 0, false);
    EXPECT_LE(rel_error(out.logits.data(), ref_.logits[t]), ref_.tolerance) << "position " << t;
  }
}

TEST_P(ParityTest, GreedyContinuationIsIdentical) {
  StepOutput out = step(ref_.input_ids, kNoSlot, 0, false);
  std::vector<std::int32_t> got;
  for (std::size_t i = 0; i < ref_.greedy.size(); ++i) {
    const std::int32_t next = argmax(out.logits.data(), vocab());
    got.push_back(next);
    out = step({next}, 0, 0, false);
  }
  EXPECT_EQ(got, ref_.greedy);
}

TEST_P(ParityTest, PrefillEqualsSingleStepsAndSplitPrefill) {
  // One prefill of all tokens vs. a prefill of the first part and then single steps: the state
  // after a prefix serves any continuation.
  const std::size_t n = ref_.input_ids.size();
  const std::size_t k = n / 3;
  StepOutput whole = step(ref_.input_ids, kNoSlot, 0, true);
  std::vector<std::int32_t> head(ref_.input_ids.begin(), ref_.input_ids.begin() + k);
  std::vector<std::int32_t> mid(ref_.input_ids.begin() + k, ref_.input_ids.begin() + 2 * k);
  step(head, kNoSlot, 1, false);
  StepOutput mid_out = step(mid, 1, 1, true);
  for (std::size_t i = 0; i < mid.size(); ++i) {
    std::vector<float> expect(whole.logits.begin() + (k + i) * vocab(),
                              whole.logits.begin() + (k + i + 1) * vocab());
    EXPECT_LE(rel_error(mid_out.logits.data() + i * vocab(), expect), 1e-5) << "split " << i;
  }
  for (std::size_t t = 2 * k; t < n; ++t) {
    StepOutput s = step({ref_.input_ids[t]}, 1, 1, false);
    std::vector<float> expect(whole.logits.begin() + t * vocab(),
                              whole.logits.begin() + (t + 1) * vocab());
    EXPECT_LE(rel_error(s.logits.data(), expect), 1e-5) << "single step " << t;
  }
}

TEST_P(ParityTest, ForkedContinuationsReadTheParentSlotWithoutCopying) {
  // The parent's state (slot 0) is read by two children writing slots 1 and 2 in one packed
  // batch; each must equal a fresh prefill of parent + child tokens, and the parent slot must
  // be untouched (a third child reads it afterwards).
  const std::vector<std::int32_t>& ids = ref_.input_ids;
  const std::size_t k = ids.size() / 2;
  std::vector<std::int32_t> parent(ids.begin(), ids.begin() + k);
  std::vector<std::int32_t> child_a(ids.begin() + k, ids.end());
  std::vector<std::int32_t> child_b = {ids[3], ids[1], ids[4]};
  step(parent, kNoSlot, 0, false);
  const std::uint64_t copied_before = model_->backend().bytes_copied();

  std::vector<std::int32_t> packed = child_a;
  packed.insert(packed.end(), child_b.begin(), child_b.end());
  const auto na = static_cast<std::int32_t>(child_a.size());
  const auto nb = static_cast<std::int32_t>(child_b.size());
  SeqSpan spans[2] = {{0, na, 0, 1}, {na, nb, 0, 2}};
  StepOutput both;
  ASSERT_TRUE(model_->forward({packed, spans, false}, *arena_, &both).ok());
  StepOutput third = step(child_b, 0, 3, false);
  EXPECT_EQ(model_->backend().bytes_copied(), copied_before);

  for (int c = 0; c < 2; ++c) {
    std::vector<std::int32_t> full = parent;
    const auto& child = c == 0 ? child_a : child_b;
    full.insert(full.end(), child.begin(), child.end());
    StepOutput fresh = step(full, kNoSlot, kNoSlot, false);
    EXPECT_LE(rel_error(both.logits.data() + c * vocab(), fresh.logits), 1e-5) << "child " << c;
    if (c == 1) {
      EXPECT_LE(rel_error(third.logits.data(), fresh.logits), 1e-5);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ParityTest,
                         ::testing::Values("mamba1_a", "mamba1_b", "mamba2_a", "mamba2_b"));

}  // namespace
}  // namespace arbor::models
