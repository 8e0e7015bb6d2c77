// Granite-4.0-H (granitemoehybrid, dense) on the CPU reference: config parsing and refusals,
// prefill = decode, packed batches, forking in the middle of a KV page, copy-on-write of only
// the last page, page reference counts, spill round trips, and parity with transformers.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/file.h"
#include "core/json.h"
#include "core/strings.h"
#include "models/config.h"
#include "models/model.h"

#include "tests/models/hybrid_test_util.h"

namespace arbor::models {
namespace {

using kernels::kNoSlot;
using kernels::SeqSpan;
using testing::hybrid_config;
using testing::make_hybrid_checkpoint;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// ---- config ---------------------------------------------------------------------------------

TEST(HybridConfigTest, ParsesTheDenseVariant) {
  auto c = parse_model_config(hybrid_config("MAMA"), "config.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->arch, Arch::kGraniteHybrid);
  EXPECT_EQ(c->n_layers_of(LayerKind::kAttention), 2);
  EXPECT_EQ(c->n_layers_of(LayerKind::kMamba), 2);
  EXPECT_EQ(c->index_in_kind(3), 1);
  EXPECT_EQ(c->attn_head_dim, 8);
  EXPECT_EQ(c->n_kv_head, 2);
  EXPECT_EQ(c->head_dim, 16);
  EXPECT_EQ(c->d_inner, 64);
  EXPECT_EQ(c->conv_dim(), 64 + 2 * 2 * 8);
  EXPECT_FLOAT_EQ(c->embedding_multiplier, 6.0f);
  EXPECT_FLOAT_EQ(c->logits_scaling, 2.0f);
  EXPECT_TRUE(std::isinf(c->dt_max));
}

Status parse_with(const std::string& field, const Json& value) {
  Json j = hybrid_config("MA");
  if (value.is_null()) {
    j.erase(field);
  } else {
    j[field] = value;
  }
  return parse_model_config(j, "x/config.json").status();
}

TEST(HybridConfigTest, RefusesRoutedExpertsNamingTheField) {
  for (const Json& v : {Json(4), Json()}) {  // absent: transformers' default is 8 experts
    const Status s = parse_with("num_local_experts", v);
    EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
    EXPECT_TRUE(contains(s.message(), "x/config.json: field 'num_local_experts'")) << s.message();
  }
}

TEST(HybridConfigTest, RefusesRopeNamingTheField) {
  const Status s = parse_with("position_embedding_type", "rope");
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(contains(s.message(), "field 'position_embedding_type' is 'rope'")) << s.message();
  EXPECT_TRUE(parse_with("position_embedding_type", Json()).ok());  // absent: no embedding
}

TEST(HybridConfigTest, RejectsMalformedFieldsNamingThem) {
  Json j = hybrid_config("MA");
  j["layer_types"][1] = "mlp";
  Status s = parse_model_config(j, "c.json").status();
  EXPECT_TRUE(contains(s.message(), "field 'layer_types' entry 1 is \"mlp\"")) << s.message();
  j = hybrid_config("MA");
  j["layer_types"].push_back("mamba");
  s = parse_model_config(j, "c.json").status();
  EXPECT_TRUE(contains(s.message(), "field 'layer_types' must be a list of num_hidden_layers"));
  s = parse_with("num_key_value_heads", 3);
  EXPECT_TRUE(contains(s.message(), "field 'num_key_value_heads' (3) must divide")) << s.message();
  s = parse_with("mamba_d_head", 10);
  EXPECT_TRUE(contains(s.message(), "field 'mamba_d_head'")) << s.message();
  s = parse_with("hidden_act", "gelu");
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(contains(s.message(), "field 'hidden_act'")) << s.message();
  s = parse_with("logits_scaling", 0.0);
  EXPECT_TRUE(contains(s.message(), "field 'logits_scaling'")) << s.message();
}

// ---- the model on random weights -------------------------------------------------------------

constexpr std::int32_t kPage = 4;

double rel_error(const float* a, const float* b, std::size_t n) {
  double diff = 0, ref = 0;
  for (std::size_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    ref = std::max(ref, std::fabs(static_cast<double>(b[i])));
  }
  return diff / ref;
}

class HybridModelTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = make_hybrid_checkpoint(hybrid_config(GetParam()));
    ASSERT_FALSE(dir_.empty());
    ModelOptions options;
    options.kv_page_size = kPage;
    auto m = Model::open(dir_, options);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    model_ = std::move(*m);
    auto arena = model_->make_state_arena(6, 64);
    ASSERT_TRUE(arena.ok()) << arena.status().to_string();
    arena_ = std::move(*arena);
    vocab_ = model_->config().vocab_size;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Feeds `tokens` as one sequence reading src and writing dst; logits of every token.
  std::vector<float> run(const std::vector<std::int32_t>& tokens, std::int32_t src,
                         std::int32_t dst) {
    SeqSpan span{0, static_cast<std::int32_t>(tokens.size()), src, dst};
    StepOutput out;
    const Status s = model_->forward({tokens, {&span, 1}, true}, *arena_, &out);
    EXPECT_TRUE(s.ok()) << s.to_string();
    return out.logits;
  }
  // The logits of a fresh prefill of `tokens` (into a scratch slot, released afterwards).
  std::vector<float> fresh(const std::vector<std::int32_t>& tokens) {
    std::vector<float> l = run(tokens, kNoSlot, 5);
    arena_->release_slot(5);
    return l;
  }
  // Rows [first, first + n) of a logits matrix.
  std::vector<float> rows(const std::vector<float>& l, std::size_t first, std::size_t n) const {
    const auto v = static_cast<std::size_t>(vocab_);
    return {l.begin() + static_cast<std::ptrdiff_t>(first * v),
            l.begin() + static_cast<std::ptrdiff_t>((first + n) * v)};
  }
  static std::vector<std::int32_t> cat(std::vector<std::int32_t> a,
                                       const std::vector<std::int32_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }
  void expect_close(const std::vector<float>& got, const std::vector<float>& want,
                    const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    EXPECT_LT(rel_error(got.data(), want.data(), want.size()), 1e-5) << what;
  }

  std::string dir_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<kernels::StateArena> arena_;
  std::int32_t vocab_ = 0;
};

TEST_P(HybridModelTest, PrefillEqualsTokenByTokenDecode) {
  const std::vector<std::int32_t> tokens = {5, 17, 3, 88, 41, 9, 9, 60, 2, 71, 33};
  const std::vector<float> all = run(tokens, kNoSlot, 0);
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    const std::vector<float> step = run({tokens[t]}, t == 0 ? kNoSlot : 1, 1);
    expect_close(step, rows(all, t, 1), "position " + std::to_string(t));
  }
  EXPECT_EQ(arena_->kv()->length(1), static_cast<std::int64_t>(tokens.size()));
}

TEST_P(HybridModelTest, PackedVariableLengthBatchEqualsSeparateRuns) {
  const std::vector<std::vector<std::int32_t>> seqs = {{4, 8, 15, 16, 23, 42}, {7}, {1, 2, 3}};
  // A past for the third sequence, so the batch mixes fresh and continuing sequences.
  const std::vector<std::int32_t> past = {50, 51, 52, 53, 54};
  run(past, kNoSlot, 2);
  std::vector<std::int32_t> tokens;
  std::vector<SeqSpan> spans;
  const std::int32_t srcs[] = {kNoSlot, kNoSlot, 2};
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    spans.push_back({static_cast<std::int32_t>(tokens.size()),
                     static_cast<std::int32_t>(seqs[i].size()), srcs[i],
                     static_cast<std::int32_t>(i)});
    tokens.insert(tokens.end(), seqs[i].begin(), seqs[i].end());
  }
  StepOutput out;
  ASSERT_TRUE(model_->forward({tokens, spans, true}, *arena_, &out).ok());
  std::size_t row = 0;
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    const std::vector<float> want =
        i == 2 ? rows(fresh(cat(past, seqs[i])), past.size(), seqs[i].size()) : fresh(seqs[i]);
    expect_close(rows(out.logits, row, seqs[i].size()), want, "sequence " + std::to_string(i));
    row += seqs[i].size();
  }
}

TEST_P(HybridModelTest, ForkInTheMiddleOfAPageThenDivergingContinuationsEqualFreshPrefills) {
  const std::vector<std::int32_t> parent = {11, 22, 33, 44, 55, 66};  // 1.5 pages
  ASSERT_NE(parent.size() % kPage, 0u);
  run(parent, kNoSlot, 0);
  const std::vector<std::int32_t> a = {70, 71, 72, 73, 74}, b = {80, 81, 82};
  const std::vector<float> la = run(a, 0, 1);  // fork: child a reads the parent's slot
  const std::vector<float> lb = run(b, 0, 2);  // child b too, diverging
  const std::vector<std::int32_t> p_more = {90, 91};
  const std::vector<float> lp = run(p_more, 0, 0);  // the parent continues in place
  expect_close(la, rows(fresh(cat(parent, a)), parent.size(), a.size()), "child a");
  expect_close(lb, rows(fresh(cat(parent, b)), parent.size(), b.size()), "child b");
  expect_close(lp, rows(fresh(cat(parent, p_more)), parent.size(), p_more.size()), "parent");
  // Decoding further on each branch still matches.
  const std::vector<float> la2 = run({5}, 1, 1);
  expect_close(la2, rows(fresh(cat(cat(parent, a), {5})), parent.size() + a.size(), 1),
               "child a, one more token");
  // A grandchild forked from child a at a page boundary (6 + 5 + 1 = 12 tokens).
  const std::vector<float> lg = run({6, 7}, 1, 3);
  expect_close(lg, rows(fresh(cat(cat(cat(parent, a), {5}), {6, 7})), 12, 2), "grandchild");
}

TEST_P(HybridModelTest, ForkSharesPagesAndCopiesOnlyThePartlyFilledLastPage) {
  kernels::KvPagePool& kv = *arena_->kv();
  const std::int64_t token_bytes = model_->kv_bytes_per_token();
  ASSERT_EQ(token_bytes, kv.layout().floats_per_token() * 4);
  const std::vector<std::int32_t> parent = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};  // 2.5 pages
  run(parent, kNoSlot, 0);
  const std::vector<std::int32_t> pages = kv.pages(0);
  ASSERT_EQ(pages.size(), 3u);
  // Copying the slot (a fork without new tokens) shares every page and copies no K/V.
  const std::uint64_t before = model_->backend().bytes_copied();
  ASSERT_TRUE(arena_->copy_slot(0, 4).ok());
  EXPECT_EQ(model_->backend().bytes_copied() - before,
            static_cast<std::uint64_t>(arena_->bytes_per_slot()));  // the Mamba floats only
  for (std::int32_t p : pages) EXPECT_EQ(kv.refcount(p), 2);
  arena_->release_slot(4);
  for (std::int32_t p : pages) EXPECT_EQ(kv.refcount(p), 1);

  // A child's first step: the full pages stay shared, the last page (2 of 4 rows filled) is
  // copied, its filled rows only.
  const std::uint64_t b0 = model_->backend().bytes_copied();
  run({42}, 0, 1);
  const std::uint64_t copied = model_->backend().bytes_copied() - b0;
  EXPECT_EQ(copied, static_cast<std::uint64_t>(2 * token_bytes));
  EXPECT_LT(copied, static_cast<std::uint64_t>(parent.size() * token_bytes));  // vs whole cache
  EXPECT_EQ(kv.counters().cow_copies, 1u);
  const std::vector<std::int32_t>& child = kv.pages(1);
  ASSERT_EQ(child.size(), 3u);
  EXPECT_EQ(child[0], pages[0]);
  EXPECT_EQ(child[1], pages[1]);
  EXPECT_NE(child[2], pages[2]);
  EXPECT_EQ(kv.refcount(pages[0]), 2);
  EXPECT_EQ(kv.refcount(pages[2]), 1);
  // Further writes into now-private pages copy nothing, on either side.
  const std::uint64_t b1 = model_->backend().bytes_copied();
  run({43}, 1, 1);
  run({44}, 0, 0);
  EXPECT_EQ(model_->backend().bytes_copied(), b1);

  // A fork at a page boundary copies nothing at all.
  run({45, 46}, 0, 0);  // the parent now has 13 tokens; one more makes 14... fill to 16
  run({47, 48, 49}, 0, 0);
  ASSERT_EQ(kv.length(0), 16);
  const std::uint64_t b2 = model_->backend().bytes_copied();
  run({50}, 0, 2);
  EXPECT_EQ(model_->backend().bytes_copied(), b2);
}

TEST_P(HybridModelTest, PageReferenceCountsReturnToZeroWhenSequencesEnd) {
  kernels::KvPagePool& kv = *arena_->kv();
  run({1, 2, 3, 4, 5, 6, 7}, kNoSlot, 0);
  run({8, 9}, 0, 1);
  run({10}, 0, 2);
  run({11, 12, 13, 14, 15}, 1, 3);
  EXPECT_GT(kv.pages_in_use(), 0);
  for (std::int32_t s : {2, 0, 3, 1}) arena_->release_slot(s);
  EXPECT_EQ(kv.pages_in_use(), 0);
  EXPECT_EQ(kv.free_pages(), kv.layout().n_pages);
  for (std::int32_t p = 0; p < kv.layout().n_pages; ++p) EXPECT_EQ(kv.refcount(p), 0);
}

TEST_P(HybridModelTest, SpilledHybridStateRestoresIntoAnotherSlot) {
  const std::vector<std::int32_t> parent = {3, 1, 4, 1, 5, 9, 2};
  run(parent, kNoSlot, 0);
  run({6, 5}, 0, 1);  // shares pages with the parent
  std::vector<float> host;
  ASSERT_TRUE(arena_->read_slot(1, &host).ok());
  EXPECT_EQ(static_cast<std::int64_t>(host.size()),
            arena_->floats_per_slot() + 9 * arena_->kv()->layout().floats_per_token());
  arena_->release_slot(1);
  ASSERT_TRUE(arena_->write_slot(4, host).ok());
  EXPECT_EQ(arena_->kv()->length(4), 9);
  const std::vector<float> got = run({3, 5}, 4, 4);
  expect_close(got, rows(fresh(cat(cat(parent, {6, 5}), {3, 5})), 9, 2), "restored");
  std::vector<float> bad(3);
  EXPECT_FALSE(arena_->write_slot(4, bad).ok());
}

TEST_P(HybridModelTest, RunningOutOfPagesIsAnErrorNotACrash) {
  auto small = model_->make_state_arena(2, 2);  // 8 tokens in all
  ASSERT_TRUE(small.ok());
  std::vector<std::int32_t> tokens(9, 7);
  SeqSpan span{0, 9, kNoSlot, 0};
  StepOutput out;
  const Status s = model_->forward({tokens, {&span, 1}, false}, **small, &out);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(contains(s.message(), "kv cache")) << s.message();
  // A pure-Mamba arena has no pages for the attention layers.
  auto plain = kernels::StateArena::create(model_->backend(), 1, model_->state_floats_per_slot());
  ASSERT_TRUE(plain.ok());
  SeqSpan one{0, 1, kNoSlot, 0};
  const Status p = model_->forward({std::vector<std::int32_t>{1}, {&one, 1}, false}, **plain, &out);
  EXPECT_EQ(p.code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Layers, HybridModelTest, ::testing::Values("MAMA", "AMAA", "AA"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace arbor::models
