// Parity of the Granite-4.0-H CPU engine with transformers 5.17's GraniteMoeHybridForCausalLM
// (fixtures made by tools/hybrid/make_fixtures.py in tests/data/parity_hybrid): logits at every
// position within the fixture's tolerance (1e-4) relative to that position's largest reference
// logit, for one prefill, for token-by-token decoding, and for chunked prefills over KV pages of
// 3 tokens (so chunks start in the middle of pages); final hidden states too; and the greedy
// continuation identical.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/file.h"
#include "core/json.h"
#include "models/model.h"

namespace arbor::models {
namespace {

using kernels::kNoSlot;
using kernels::SeqSpan;

std::string fixture_dir(const std::string& name) {
  return std::string(ARBOR_SOURCE_DIR) + "/tests/data/parity_hybrid/" + name;
}

double rel_error(const float* a, const std::vector<float>& b) {
  double diff = 0, ref = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    ref = std::max(ref, std::fabs(static_cast<double>(b[i])));
  }
  return diff / ref;
}

class HybridParityTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string dir = fixture_dir(GetParam());
    if (!file_exists(dir + "/reference.json")) {
      GTEST_SKIP() << dir << " is not present (made by tools/hybrid/make_fixtures.py)";
    }
    // Python's json writes Infinity (time_step_limit), which is not JSON: quote it first.
    auto text = read_file(dir + "/reference.json");
    ASSERT_TRUE(text.ok()) << text.status().to_string();
    std::string quoted;
    for (std::size_t i = 0; i < text->size(); ++i) {
      if (text->compare(i, 9, "-Infinity") == 0) {
        quoted += "\"-Infinity\"";
        i += 8;
      } else if (text->compare(i, 8, "Infinity") == 0 && (i == 0 || (*text)[i - 1] != '"')) {
        quoted += "\"Infinity\"";
        i += 7;
      } else {
        quoted += (*text)[i];
      }
    }
    auto j = parse_json(quoted, dir + "/reference.json");
    ASSERT_TRUE(j.ok()) << j.status().to_string();
    ids_ = (*j)["input_ids"].get<std::vector<std::int32_t>>();
    logits_ = (*j)["logits"].get<std::vector<std::vector<float>>>();
    hidden_ = (*j)["hidden"].get<std::vector<std::vector<float>>>();
    greedy_ = (*j)["greedy_continuation"].get<std::vector<std::int32_t>>();
    tol_ = (*j)["tolerance"].get<double>();
    ModelOptions options;
    options.kv_page_size = 3;
    auto m = Model::open(dir, options);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    model_ = std::move(*m);
    ASSERT_EQ(model_->config().arch, Arch::kGraniteHybrid);
  }

  void expect_rows(const std::vector<float>& got, std::size_t first, const std::string& what) {
    const std::size_t v = static_cast<std::size_t>(model_->config().vocab_size);
    ASSERT_EQ(got.size() % v, 0u);
    for (std::size_t r = 0; r < got.size() / v; ++r) {
      EXPECT_LE(rel_error(got.data() + r * v, logits_[first + r]), tol_)
          << what << ", position " << first + r;
    }
  }

  std::vector<std::int32_t> ids_, greedy_;
  std::vector<std::vector<float>> logits_, hidden_;
  double tol_ = 0;
  std::unique_ptr<Model> model_;
};

TEST_P(HybridParityTest, PrefillLogitsAndHiddenStatesAtEveryPosition) {
  auto arena = *model_->make_state_arena(1);
  SeqSpan span{0, static_cast<std::int32_t>(ids_.size()), kNoSlot, 0};
  StepOutput out;
  out.want_hidden = true;
  ASSERT_TRUE(model_->forward({ids_, {&span, 1}, true}, *arena, &out).ok());
  expect_rows(out.logits, 0, "prefill");
  const std::size_t n = static_cast<std::size_t>(model_->config().n_embd);
  for (std::size_t t = 0; t < ids_.size(); ++t) {
    EXPECT_LE(rel_error(out.hidden.data() + t * n, hidden_[t]), tol_) << "hidden, position " << t;
  }
}

TEST_P(HybridParityTest, DecodeAndChunkedPrefillOverPagesMatch) {
  auto arena = *model_->make_state_arena(2);
  // Token by token.
  for (std::size_t t = 0; t < ids_.size(); ++t) {
    SeqSpan span{0, 1, t == 0 ? kNoSlot : 0, 0};
    StepOutput out;
    ASSERT_TRUE(model_->forward({{&ids_[t], 1}, {&span, 1}, true}, *arena, &out).ok());
    expect_rows(out.logits, t, "decode");
  }
  // Chunks of 5 over pages of 3: every chunk after the first starts inside a page.
  for (std::size_t t = 0; t < ids_.size(); t += 5) {
    const std::size_t n = std::min<std::size_t>(5, ids_.size() - t);
    SeqSpan span{0, static_cast<std::int32_t>(n), t == 0 ? kNoSlot : 1, 1};
    StepOutput out;
    ASSERT_TRUE(model_->forward({{&ids_[t], n}, {&span, 1}, true}, *arena, &out).ok());
    expect_rows(out.logits, t, "chunked prefill");
  }
}

TEST_P(HybridParityTest, GreedyContinuationMatches) {
  auto arena = *model_->make_state_arena(1);
  std::vector<std::int32_t> got;
  std::vector<std::int32_t> feed = ids_;
  std::int32_t src = kNoSlot;
  for (std::size_t i = 0; i < greedy_.size(); ++i) {
    SeqSpan span{0, static_cast<std::int32_t>(feed.size()), src, 0};
    StepOutput out;
    ASSERT_TRUE(model_->forward({feed, {&span, 1}, false}, *arena, &out).ok());
    const auto next = static_cast<std::int32_t>(
        std::max_element(out.logits.begin(), out.logits.end()) - out.logits.begin());
    got.push_back(next);
    feed = {next};
    src = 0;
  }
  EXPECT_EQ(got, greedy_);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HybridParityTest,
                         ::testing::Values("hybrid_a", "hybrid_b", "hybrid_c"));

}  // namespace
}  // namespace arbor::models
