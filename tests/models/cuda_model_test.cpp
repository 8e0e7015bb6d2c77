// Whole models on the CUDA backend against the CPU reference: the parity fixtures (Mamba-1,
// Mamba-2), the embedded model (assets/arith-mamba2) and a random Granite-4.0-H hybrid
// (attention over KV pages of 4 tokens). With fp32 weights: logits at every position of a
// prefill and of token-by-token decoding within 1e-4 of the reference's largest magnitude
// (max(1, ...)), greedy and seeded-sampling continuations of 32 tokens (Model::sample_logits on
// each model's backend) identical, and packed
// prefill with forks followed by decode steps matching step by step, states included. With
// bf16 weights: logits within 5e-2 and the same top-1 token at >= 80% of positions.
//
// Skips without a CUDA build or device (see tests/kernels/cuda_test_util.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/random.h"
#include "models/model.h"
#include "tests/kernels/cuda_test_util.h"
#include "tests/models/cuda_model_util.h"

namespace arbor::models {
namespace {

using kernels::DeviceKind;
using kernels::kNoSlot;
using kernels::SeqSpan;

constexpr double kFp32Tol = 1e-4;
constexpr double kBf16Tol = 5e-2;
constexpr double kBf16Top1 = 0.8;

using arbor::testing::norm_err;

std::string model_dir(const std::string& name) { return arbor::testing::cuda_test_model_dir(name); }

std::int32_t argmax(const float* x, std::int32_t n) {
  return static_cast<std::int32_t>(std::max_element(x, x + n) - x);
}

std::vector<std::int32_t> cat(std::vector<std::int32_t> a, const std::vector<std::int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// One model on the CPU and the same checkpoint on CUDA, each with a state arena.
struct Side {
  std::unique_ptr<Model> model;
  std::unique_ptr<kernels::StateArena> arena;
};

class CudaModelTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ARBOR_SKIP_WITHOUT_CUDA();
    ASSERT_FALSE(model_dir(GetParam()).empty());
    ASSERT_NO_FATAL_FAILURE(open(&cpu_, {DeviceKind::kCpu, std::nullopt, 4}));
    ASSERT_NO_FATAL_FAILURE(open(&cuda_, {DeviceKind::kCuda, DType::kF32, 4}));
    ASSERT_EQ(cuda_.model->backend().device(), DeviceKind::kCuda);
    vocab_ = cpu_.model->config().vocab_size;
    // A prompt: the fixture's reference ids when it has them, else random ids; then random
    // ids up to 150 tokens, so prefill runs over several scan chunks.
    const std::string dir = model_dir(GetParam());
    for (const char* file : {"/reference.json", "/parity_reference.json"}) {
      if (std::filesystem::exists(dir + file)) {
        prompt_ = (*read_json_file(dir + file))["input_ids"].get<std::vector<std::int32_t>>();
      }
    }
    Rng rng(3);
    while (prompt_.size() < 150) prompt_.push_back(static_cast<std::int32_t>(rng.below(vocab_)));
  }

  void open(Side* side, const ModelOptions& options) {
    auto m = Model::open(model_dir(GetParam()), options);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    side->model = std::move(*m);
    auto arena = side->model->make_state_arena(8);
    ASSERT_TRUE(arena.ok()) << arena.status().to_string();
    side->arena = std::move(*arena);
  }

  // One forward step of packed sequences on `side`.
  StepOutput step(Side& side, const std::vector<std::int32_t>& tokens,
                  const std::vector<SeqSpan>& spans, bool all_logits, bool hidden = false) {
    StepOutput out;
    out.want_hidden = hidden;
    const Status s = side.model->forward({tokens, spans, all_logits}, *side.arena, &out);
    EXPECT_TRUE(s.ok()) << side.model->backend().name() << ": " << s.to_string();
    return out;
  }
  StepOutput step(Side& side, const std::vector<std::int32_t>& tokens, std::int32_t src,
                  std::int32_t dst, bool all_logits, bool hidden = false) {
    return step(side, tokens, {{0, static_cast<std::int32_t>(tokens.size()), src, dst}},
                all_logits, hidden);
  }

  // Row-by-row comparison of two logits blocks.
  void expect_rows_close(const std::vector<float>& got, const std::vector<float>& want,
                         std::int32_t width, double tol, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t r = 0; r * width < want.size(); ++r) {
      EXPECT_LE(norm_err(got.data() + r * width, want.data() + r * width, width), tol)
          << what << ", row " << r;
    }
  }

  Side cpu_, cuda_;
  std::int32_t vocab_ = 0;
  std::vector<std::int32_t> prompt_;
};

TEST_P(CudaModelTest, PrefillLogitsAndHiddenAtEveryPositionMatchTheCpu) {
  const StepOutput want = step(cpu_, prompt_, kNoSlot, 0, true, true);
  const StepOutput got = step(cuda_, prompt_, kNoSlot, 0, true, true);
  expect_rows_close(got.logits, want.logits, vocab_, kFp32Tol, "logits");
  expect_rows_close(got.hidden, want.hidden, cpu_.model->config().n_embd, kFp32Tol, "hidden");
  // The state the prefill left.
  std::vector<float> s_cpu(static_cast<std::size_t>(cpu_.arena->floats_per_slot()));
  std::vector<float> s_cuda(s_cpu.size());
  ASSERT_TRUE(cpu_.arena->read_slot(0, s_cpu.data()).ok());
  ASSERT_TRUE(cuda_.arena->read_slot(0, s_cuda.data()).ok());
  EXPECT_LE(norm_err(s_cuda.data(), s_cpu.data(), s_cpu.size()), kFp32Tol) << "state";
}

TEST_P(CudaModelTest, TokenByTokenDecodeMatchesTheCpu) {
  for (std::size_t t = 0; t < 48; ++t) {
    const std::int32_t src = t == 0 ? kNoSlot : 0;
    const StepOutput want = step(cpu_, {prompt_[t]}, src, 0, false);
    const StepOutput got = step(cuda_, {prompt_[t]}, src, 0, false);
    expect_rows_close(got.logits, want.logits, vocab_, kFp32Tol, "position " + std::to_string(t));
  }
}

// n tokens continuing `prompt`, sampled by Model::sample_logits on the model's own backend (on
// a device only tokens and log-probabilities come back).
std::vector<std::int32_t> continuation(Side& side, const std::vector<std::int32_t>& prompt,
                                       const kernels::SamplingParams& p, std::uint64_t seed,
                                       int n, std::vector<float>* logprobs) {
  Rng rng(seed);
  std::vector<std::int32_t> tokens = prompt, ids;
  std::int32_t src = kNoSlot;
  for (int i = 0; i < n; ++i) {
    const SeqSpan span{0, static_cast<std::int32_t>(tokens.size()), src, 0};
    StepOutput out;
    out.want_logits = false;
    Status s = side.model->forward({tokens, {&span, 1}, false}, *side.arena, &out);
    EXPECT_TRUE(s.ok()) << s.to_string();
    std::int32_t tok = -1;
    float lp = 0;
    s = side.model->sample_logits({&p, 1}, &rng, &tok, &lp);
    EXPECT_TRUE(s.ok()) << s.to_string();
    if (!s.ok()) break;
    ids.push_back(tok);
    logprobs->push_back(lp);
    tokens.assign(1, tok);
    src = 0;
  }
  return ids;
}

TEST_P(CudaModelTest, GreedyAndSeededContinuationsOf32TokensAreIdentical) {
  const std::vector<std::int32_t> prompt(prompt_.begin(), prompt_.begin() + 20);
  for (const kernels::SamplingParams& p :
       {kernels::SamplingParams{}, kernels::SamplingParams{0.8f, 40, 0.95f, 0.0f}}) {
    std::vector<float> lp_cpu, lp_cuda;
    const auto want = continuation(cpu_, prompt, p, 17, 32, &lp_cpu);
    const auto got = continuation(cuda_, prompt, p, 17, 32, &lp_cuda);
    EXPECT_EQ(got, want) << "temperature " << p.temperature;
    ASSERT_EQ(lp_cuda.size(), lp_cpu.size());
    EXPECT_LE(norm_err(lp_cuda.data(), lp_cpu.data(), lp_cpu.size()), kFp32Tol);
  }
  // The same greedy continuation from argmax over downloaded logits, step by step.
  std::vector<std::int32_t> ids[2];
  Side* sides[2] = {&cpu_, &cuda_};
  for (int s = 0; s < 2; ++s) {
    StepOutput out = step(*sides[s], prompt, kNoSlot, 0, false);
    for (int i = 0; i < 32; ++i) {
      ids[s].push_back(argmax(out.logits.data(), vocab_));
      out = step(*sides[s], {ids[s].back()}, 0, 0, false);
    }
  }
  EXPECT_EQ(ids[1], ids[0]);
}

// A parent prefilled into slot 0; one packed step holding two children that read the parent's
// slot and write their own (1 and 2), a fresh sequence (into 3) and a sequence that keeps no
// state; then decode steps with a second-level fork (1 -> 4) and the children in place. Every
// step's logits match the CPU's, and so do the final states; the parent slot is untouched.
TEST_P(CudaModelTest, DecodeAfterPackedPrefillWithForks) {
  const std::vector<std::int32_t> parent(prompt_.begin(), prompt_.begin() + 23);
  const std::vector<std::int32_t> child_a(prompt_.begin() + 23, prompt_.begin() + 30);
  const std::vector<std::int32_t> child_b = {prompt_[40]};
  const std::vector<std::int32_t> fresh(prompt_.begin() + 50, prompt_.begin() + 61);
  const std::vector<std::int32_t> stateless(prompt_.begin() + 70, prompt_.begin() + 73);
  Side* sides[2] = {&cpu_, &cuda_};
  StepOutput outs[2];
  for (int s = 0; s < 2; ++s) step(*sides[s], parent, kNoSlot, 0, false);
  std::vector<std::int32_t> packed = cat(cat(cat(child_a, child_b), fresh), stateless);
  const std::vector<SeqSpan> spans = {{0, 7, 0, 1}, {7, 1, 0, 2}, {8, 11, kNoSlot, 3},
                                      {19, 3, kNoSlot, kNoSlot}};
  for (int s = 0; s < 2; ++s) outs[s] = step(*sides[s], packed, spans, false);
  expect_rows_close(outs[1].logits, outs[0].logits, vocab_, kFp32Tol, "packed prefill");

  for (int t = 0; t < 6; ++t) {
    // Greedy tokens from the CPU's logits drive both sides.
    std::vector<std::int32_t> next;
    for (std::size_t r = 0; r < 3; ++r) next.push_back(argmax(outs[0].logits.data() + r * vocab_, vocab_));
    std::vector<SeqSpan> d = {{0, 1, 1, 1}, {1, 1, 2, 2}, {2, 1, 3, 3}};
    if (t == 2) {  // a fork of child a, one token behind it
      next.push_back(next[0]);
      d = {{0, 1, 1, 5}, {1, 1, 2, 2}, {2, 1, 3, 3}, {3, 1, 1, 4}};
    }
    for (int s = 0; s < 2; ++s) outs[s] = step(*sides[s], next, d, false);
    expect_rows_close(outs[1].logits, outs[0].logits, vocab_, kFp32Tol,
                      "decode step " + std::to_string(t));
    if (t == 2) {  // keep slot 5 (child a's continuation) in slot 1's place from here on
      for (int s = 0; s < 2; ++s) ASSERT_TRUE(sides[s]->arena->copy_slot(5, 1).ok());
      outs[0].logits.resize(3 * static_cast<std::size_t>(vocab_));
    }
  }
  for (std::int32_t slot : {0, 1, 2, 3, 4}) {
    std::vector<float> s_cpu(static_cast<std::size_t>(cpu_.arena->floats_per_slot()));
    std::vector<float> s_cuda(s_cpu.size());
    ASSERT_TRUE(cpu_.arena->read_slot(slot, s_cpu.data()).ok());
    ASSERT_TRUE(cuda_.arena->read_slot(slot, s_cuda.data()).ok());
    EXPECT_LE(norm_err(s_cuda.data(), s_cpu.data(), s_cpu.size()), kFp32Tol) << "slot " << slot;
  }
  // The parent's slot still serves a fresh continuation identically on both.
  for (int s = 0; s < 2; ++s) outs[s] = step(*sides[s], child_b, 0, 6, false);
  expect_rows_close(outs[1].logits, outs[0].logits, vocab_, kFp32Tol, "parent slot reused");
}

TEST_P(CudaModelTest, Bf16WeightsStayCloseAndAgreeOnTop1) {
  Side bf16;
  ASSERT_NO_FATAL_FAILURE(open(&bf16, {DeviceKind::kCuda, DType::kBF16, 4}));
  ASSERT_EQ(bf16.model->backend().weight_dtype(), DType::kBF16);
  const StepOutput want = step(cpu_, prompt_, kNoSlot, 0, true);
  const StepOutput got = step(bf16, prompt_, kNoSlot, 0, true);
  ASSERT_EQ(got.logits.size(), want.logits.size());
  std::size_t agree = 0;
  for (std::size_t t = 0; t < prompt_.size(); ++t) {
    const float* g = got.logits.data() + t * vocab_;
    const float* w = want.logits.data() + t * vocab_;
    EXPECT_LE(norm_err(g, w, vocab_), kBf16Tol) << "position " << t;
    agree += argmax(g, vocab_) == argmax(w, vocab_);
  }
  EXPECT_GE(static_cast<double>(agree), kBf16Top1 * prompt_.size())
      << agree << " of " << prompt_.size() << " positions agree on the top token";
  // Decoding on bf16 weights continues from the prefill's state.
  const StepOutput d_want = step(cpu_, {prompt_[0]}, 0, 0, false);
  const StepOutput d_got = step(bf16, {prompt_[0]}, 0, 0, false);
  EXPECT_LE(norm_err(d_got.logits.data(), d_want.logits.data(), vocab_), kBf16Tol) << "decode";
}

INSTANTIATE_TEST_SUITE_P(Models, CudaModelTest,
                         ::testing::Values("mamba1_a", "mamba1_b", "mamba2_a", "mamba2_b",
                                           "arith_mamba2", "hybrid"));

}  // namespace
}  // namespace arbor::models
