// Parity of the CUDA backend with the CPU reference, op by op: the same call with the same
// inputs on both backends, at the shapes of real checkpoints (Mamba-1 1.4b, Mamba-2 1.3b,
// Granite-4.0-H attention, vocab 50280) and at odd ones (7, 33, 129 channels), compared by
//   err = max |cuda - cpu| / max(1, max |cpu|)
// over the whole output buffer, padding included (so writes outside an op's output fail too).
// Thresholds: 1e-5 for elementwise ops, norms, fp32 GEMM and log-softmax; 1e-4 for the scans
// and attention (long reductions in a different order); bit-identical for pure copies (conv and
// KV state); bf16 GEMM 1e-4 against the reference on bf16-rounded inputs and 2e-2 against fp32.
// Strided inputs carry NaN in their padding, so an op that reads outside its columns fails.
//
// Skips without a CUDA build or device (see tests/kernels/cuda_test_util.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "core/float16.h"
#include "core/random.h"
#include "kernels/backend.h"
#include "tests/kernels/cuda_test_util.h"

namespace arbor::kernels {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kUntouched = -777.0f;  // what output padding holds before and after an op

// Thresholds (see the file comment).
constexpr double kElementwiseTol = 1e-5;
constexpr double kReductionTol = 1e-4;

std::vector<float> randn(Rng& rng, std::size_t n, float scale = 1.0f, float mean = 0.0f) {
  std::vector<float> v(n);
  for (float& x : v) x = mean + static_cast<float>(rng.normal()) * scale;
  return v;
}

std::vector<float> uniform(Rng& rng, std::size_t n, float lo, float hi) {
  std::vector<float> v(n);
  for (float& x : v) x = lo + (hi - lo) * rng.uniform_f32();
  return v;
}

// {rows, ld} with random values in the first `width` columns and NaN in the rest.
std::vector<float> strided(Rng& rng, std::int64_t rows, std::int64_t width, std::int64_t ld,
                           float scale = 1.0f, float mean = 0.0f) {
  std::vector<float> v(static_cast<std::size_t>(rows * ld), kNaN);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t i = 0; i < width; ++i) {
      v[static_cast<std::size_t>(r * ld + i)] = mean + static_cast<float>(rng.normal()) * scale;
    }
  }
  return v;
}

std::vector<float> round_bf16(std::vector<float> v) {
  for (float& x : v) {
    if (!std::isnan(x)) x = bf16_to_f32(f32_to_bf16(x));
  }
  return v;
}

// max |got - want| / max(1, max |want|); equal values (infinities included) and NaN in both
// count as equal; NaN in one only, or a size mismatch, is infinitely wrong.
struct Err {
  double err = 0;
  std::size_t worst = 0;
};
Err norm_err(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return {kInf, 0};
  double max_diff = 0, max_ref = 1;
  std::size_t worst = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double a = got[i], b = want[i];
    if (std::isfinite(b)) max_ref = std::max(max_ref, std::fabs(b));
    if (a == b || (std::isnan(a) && std::isnan(b))) continue;
    const double d = std::fabs(a - b);
    if (!(d <= max_diff)) {  // NaN or larger
      max_diff = std::isnan(d) ? kInf : d;
      worst = i;
      if (std::isinf(max_diff)) break;
    }
  }
  return {max_diff / max_ref, worst};
}

::testing::AssertionResult close(const std::vector<float>& got, const std::vector<float>& want,
                                 double tol, const std::string& what) {
  const Err e = norm_err(got, want);
  if (e.err <= tol) return ::testing::AssertionSuccess();
  auto r = ::testing::AssertionFailure();
  r << what << ": normalised error " << e.err << " > " << tol;
  if (got.size() != want.size()) {
    r << " (sizes " << got.size() << " vs " << want.size() << ")";
  } else {
    r << " (worst at element " << e.worst << ": cuda " << got[e.worst] << ", cpu "
      << want[e.worst] << ")";
  }
  return r;
}

// A float buffer with the same contents on the reference backend (side 0) and the device
// backend (side 1).
struct Twin {
  BufferPtr buf[2];
  std::size_t n = 0;
  float* f(int side) const { return static_cast<float*>(buf[side]->data()); }
};

class CudaOpsTest : public ::testing::Test {
 protected:
  static constexpr int kCpu = 0;
  static constexpr int kCuda = 1;

  void SetUp() override {
    ARBOR_SKIP_WITHOUT_CUDA();
    auto cpu = make_backend(DeviceKind::kCpu);
    ASSERT_TRUE(cpu.ok()) << cpu.status().to_string();
    cpu_ = std::move(*cpu);
    auto cuda = make_backend(DeviceKind::kCuda, {DType::kF32});
    ASSERT_TRUE(cuda.ok()) << cuda.status().to_string();
    cuda_ = std::move(*cuda);
    ASSERT_EQ(cuda_->device(), DeviceKind::kCuda);
    ASSERT_EQ(cuda_->weight_dtype(), DType::kF32);
    dev_ = cuda_.get();
  }

  Backend& be(int side) { return side == kCpu ? *cpu_ : *dev_; }

  Twin twin(const std::vector<float>& v) {
    Twin t;
    t.n = v.size();
    for (int side : {kCpu, kCuda}) {
      auto b = be(side).alloc(v.size() * sizeof(float));
      EXPECT_TRUE(b.ok()) << b.status().to_string();
      t.buf[side] = std::move(*b);
      const Status s = be(side).upload(*t.buf[side], 0, v.data(), v.size() * sizeof(float));
      EXPECT_TRUE(s.ok()) << s.to_string();
    }
    return t;
  }
  Twin filled(std::size_t n, float value) { return twin(std::vector<float>(n, value)); }

  std::vector<float> get(const Twin& t, int side) {
    std::vector<float> v(t.n);
    const Status s = be(side).download(v.data(), *t.buf[side], 0, t.n * sizeof(float));
    EXPECT_TRUE(s.ok()) << s.to_string();
    return v;
  }

  // op(backend, side) on the CPU and then on the device; both must succeed.
  template <typename Op>
  ::testing::AssertionResult run(Op&& op) {
    for (int side : {kCpu, kCuda}) {
      const Status s = op(be(side), side);
      if (!s.ok()) {
        return ::testing::AssertionFailure() << be(side).name() << ": " << s.to_string();
      }
    }
    const Status s = dev_->synchronize();
    if (!s.ok()) return ::testing::AssertionFailure() << "synchronize: " << s.to_string();
    return ::testing::AssertionSuccess();
  }

  // The device's copy of `t` against the CPU's.
  ::testing::AssertionResult same(const Twin& t, double tol, const std::string& what) {
    return close(get(t, kCuda), get(t, kCpu), tol, what);
  }

  std::unique_ptr<Backend> cpu_, cuda_;
  Backend* dev_ = nullptr;  // the device backend twins are made on (cuda_ unless a test swaps)
};

Tensor f32(const Twin& t, int side, Shape shape) { return Tensor{t.f(side), DType::kF32, shape}; }

std::string shape_name(std::initializer_list<std::int64_t> dims) {
  std::ostringstream s;
  const char* sep = "";
  for (auto d : dims) {
    s << sep << d;
    sep = "x";
  }
  return s.str();
}

// ---- embedding, norms, silu_mul ---------------------------------------------------------------

TEST_F(CudaOpsTest, EmbeddingGathersRowsWithScale) {
  Rng rng(1);
  struct Case {
    std::int32_t n_vocab, n_embd, n_tokens;
    float scale;
  };
  for (const Case c : {Case{50280, 256, 37, 1.0f}, Case{129, 33, 7, 6.0f}, Case{7, 1, 1, 0.5f},
                       Case{203, 2048, 300, 1.0f}}) {
    SCOPED_TRACE(shape_name({c.n_vocab, c.n_embd, c.n_tokens}));
    const Twin table = twin(randn(rng, std::size_t(c.n_vocab) * c.n_embd));
    std::vector<std::int32_t> ids(static_cast<std::size_t>(c.n_tokens));
    for (auto& id : ids) id = static_cast<std::int32_t>(rng.below(c.n_vocab));
    ids.front() = c.n_vocab - 1;
    ids.back() = 0;
    const Twin out = filled(std::size_t(c.n_tokens) * c.n_embd + 5, kUntouched);
    ASSERT_TRUE(run([&](Backend& be, int side) {
      return be.embedding({ids.data(), f32(table, side, {c.n_vocab, c.n_embd}), out.f(side),
                           c.n_tokens, c.scale});
    }));
    EXPECT_TRUE(same(out, 1e-6, "out"));
  }
}

TEST_F(CudaOpsTest, RmsNormWithAndWithoutResidualAdd) {
  Rng rng(2);
  struct Case {
    std::int32_t n_rows, n;
  };
  for (const Case c : {Case{37, 2048}, Case{1, 4096}, Case{5, 129}, Case{3, 33}, Case{1, 7},
                       Case{300, 768}}) {
    for (int mode = 0; mode < 3; ++mode) {  // no add; add; add with add_scale
      SCOPED_TRACE(shape_name({c.n_rows, c.n}) + " mode " + std::to_string(mode));
      const std::size_t size = std::size_t(c.n_rows) * c.n;
      const Twin add = twin(randn(rng, size));
      const Twin residual = twin(randn(rng, size, 2.0f));
      const Twin weight = twin(randn(rng, c.n, 0.2f, 1.0f));
      const Twin out = filled(size + 3, kUntouched);
      const float add_scale = mode == 2 ? 0.22f : 1.0f;
      const float eps = mode == 1 ? 1e-6f : 1e-5f;
      ASSERT_TRUE(run([&](Backend& be, int side) {
        return be.rms_norm({mode == 0 ? nullptr : add.f(side), residual.f(side),
                            f32(weight, side, {c.n}), out.f(side), c.n_rows, c.n, eps,
                            add_scale});
      }));
      EXPECT_TRUE(same(out, kElementwiseTol, "out"));
      EXPECT_TRUE(same(residual, 1e-6, "residual"));
    }
  }
}

TEST_F(CudaOpsTest, GatedRmsNormBothGateOrdersAndGroupSizes) {
  Rng rng(3);
  struct Case {
    std::int32_t n_rows, n, ld_z;
    std::vector<std::int32_t> group_sizes;
  };
  const std::vector<Case> cases = {
      {37, 4096, 8512, {4096, 512}},  // Mamba-2 1.3b: z is the first d_inner of in_proj's output
      {1, 4096, 8512, {4096}},
      {7, 3072, 6200, {3072, 384}},  // Granite-4.0-H style, 8 groups
      {5, 129, 140, {129, 43, 3}},
      {3, 33, 33, {33, 11}},
      {2, 7, 9, {7, 1}},
  };
  for (const Case& c : cases) {
    for (bool before : {false, true}) {
      for (std::int32_t gs : c.group_sizes) {
        for (bool in_place : {false, true}) {
          SCOPED_TRACE(shape_name({c.n_rows, c.n, gs}) + (before ? " norm before gate" : "") +
                       (in_place ? " in place" : ""));
          const std::size_t size = std::size_t(c.n_rows) * c.n;
          const Twin x = twin(randn(rng, size));
          const Twin z = twin(strided(rng, c.n_rows, c.n, c.ld_z));
          const Twin weight = twin(randn(rng, c.n, 0.2f, 1.0f));
          const Twin out = filled(size, kUntouched);
          ASSERT_TRUE(run([&](Backend& be, int side) {
            return be.gated_rms_norm({x.f(side), z.f(side), c.ld_z, f32(weight, side, {c.n}),
                                      in_place ? x.f(side) : out.f(side), c.n_rows, c.n, gs,
                                      before, 1e-5f});
          }));
          EXPECT_TRUE(same(in_place ? x : out, kElementwiseTol, "out"));
        }
      }
    }
  }
}

TEST_F(CudaOpsTest, SiluMul) {
  Rng rng(4);
  struct Case {
    std::int32_t n_rows, n;
    std::int64_t ld_x;
  };
  for (const Case c : {Case{9, 8192, 16384}, Case{300, 512, 1027}, Case{5, 33, 70},
                       Case{1, 7, 14}, Case{2, 129, 258}}) {
    SCOPED_TRACE(shape_name({c.n_rows, c.n, c.ld_x}));
    const Twin x = twin(strided(rng, c.n_rows, 2 * c.n, c.ld_x, 3.0f));
    const Twin out = filled(std::size_t(c.n_rows) * c.n + 2, kUntouched);
    ASSERT_TRUE(run([&](Backend& be, int side) {
      return be.silu_mul({x.f(side), c.ld_x, out.f(side), c.n_rows, c.n});
    }));
    EXPECT_TRUE(same(out, kElementwiseTol, "out"));
  }
}

// ---- linear -----------------------------------------------------------------------------------

struct LinearCase {
  std::int32_t n_rows, n_in, n_out;
  std::int64_t ld_x, ld_y;
  bool bias;
  float alpha;
};

const std::vector<LinearCase>& linear_cases() {
  static const std::vector<LinearCase> cases = {
      {37, 2048, 8512, 2048, 8512, false, 1.0f},     // Mamba-2 1.3b in_proj, prefill
      {1, 4096, 2048, 4096, 2048, false, 1.0f},      // out_proj, one decode row
      {4, 4096, 2048, 4352, 2048, false, 1.0f},      // a few decode rows, x a column slice
      {5, 768, 50280, 768, 50280, false, 0.5f},      // lm_head (vocab 50280), logits_scaling 2
      {2, 2048, 160, 2048, 161, true, 1.0f},         // Mamba-1 x_proj-like, bias
      {300, 129, 33, 131, 40, true, 0.75f},          // odd shapes, strided
      {7, 33, 129, 40, 131, true, 2.0f},
      {1, 7, 33, 9, 35, true, 1.0f},
      {3, 1, 7, 1, 7, false, -1.5f},
  };
  return cases;
}

TEST_F(CudaOpsTest, LinearFp32WithStridesBiasAndAlpha) {
  Rng rng(5);
  for (const LinearCase& c : linear_cases()) {
    SCOPED_TRACE(shape_name({c.n_rows, c.n_in, c.n_out, c.ld_x, c.ld_y}));
    const Twin x = twin(strided(rng, c.n_rows, c.n_in, c.ld_x));
    const Twin w = twin(randn(rng, std::size_t(c.n_out) * c.n_in, 0.05f));
    const Twin b = twin(randn(rng, c.n_out));
    const Twin y = filled(std::size_t(c.n_rows) * c.ld_y, kUntouched);
    ASSERT_TRUE(run([&](Backend& be, int side) {
      return be.linear({x.f(side), c.ld_x, f32(w, side, {c.n_out, c.n_in}),
                        c.bias ? b.f(side) : nullptr, y.f(side), c.ld_y, c.n_rows, c.n_in,
                        c.n_out, c.alpha});
    }));
    EXPECT_TRUE(same(y, kElementwiseTol, "y"));
  }
}

TEST_F(CudaOpsTest, LinearBf16WeightsRoundActivationsToBf16) {
  auto bf16 = make_backend(DeviceKind::kCuda, {DType::kBF16});
  ASSERT_TRUE(bf16.ok()) << bf16.status().to_string();
  ASSERT_EQ((*bf16)->weight_dtype(), DType::kBF16);
  dev_ = bf16->get();
  Rng rng(6);
  for (const LinearCase& c : linear_cases()) {
    SCOPED_TRACE(shape_name({c.n_rows, c.n_in, c.n_out, c.ld_x, c.ld_y}));
    const std::vector<float> x_host = strided(rng, c.n_rows, c.n_in, c.ld_x);
    const std::vector<float> w_host = randn(rng, std::size_t(c.n_out) * c.n_in, 0.05f);
    // Device: bf16 weights. CPU: the same weights in fp32, once exact and once bf16-rounded.
    std::vector<std::uint16_t> w_bf16(w_host.size());
    for (std::size_t i = 0; i < w_host.size(); ++i) w_bf16[i] = f32_to_bf16(w_host[i]);
    auto w_dev = dev_->alloc(w_bf16.size() * sizeof(std::uint16_t));
    ASSERT_TRUE(w_dev.ok());
    ASSERT_TRUE(dev_->upload(**w_dev, 0, w_bf16.data(), w_bf16.size() * 2).ok());
    const Tensor w_dev_t{(*w_dev)->data(), DType::kBF16, {c.n_out, c.n_in}};

    const Twin x = twin(x_host);
    const Twin x_rounded = twin(round_bf16(x_host));
    const Twin w = twin(w_host);
    const Twin w_rounded = twin(round_bf16(w_host));
    const Twin b = twin(randn(rng, c.n_out));
    const Twin y = filled(std::size_t(c.n_rows) * c.ld_y, kUntouched);
    const Twin y_exact = filled(y.n, kUntouched);
    auto args = [&](const Twin& xs, Tensor weight, const Twin& ys, int side) {
      return LinearArgs{xs.f(side), c.ld_x, weight, c.bias ? b.f(side) : nullptr, ys.f(side),
                        c.ld_y, c.n_rows, c.n_in, c.n_out, c.alpha};
    };
    // y: CPU on rounded inputs, device on bf16 weights and the raw activations.
    ASSERT_TRUE(run([&](Backend& be, int side) {
      return side == kCpu ? be.linear(args(x_rounded, f32(w_rounded, side, {c.n_out, c.n_in}), y,
                                           side))
                          : be.linear(args(x, w_dev_t, y, side));
    }));
    // y_exact: CPU in fp32 throughout (the device side is unused here).
    ASSERT_TRUE(cpu_->linear(args(x, f32(w, kCpu, {c.n_out, c.n_in}), y_exact, kCpu)).ok());
    const std::vector<float> got = get(y, kCuda);
    EXPECT_TRUE(close(got, get(y, kCpu), kReductionTol, "y vs bf16-rounded fp32 reference"));
    EXPECT_TRUE(close(got, get(y_exact, kCpu), 2e-2, "y vs fp32 reference"));
  }
}

// ---- conv1d -----------------------------------------------------------------------------------

// A state arena on both sides: n_slots slots of `stride` floats, the layer's state at `offset`
// floats into each slot (the rest belongs to other layers and must stay as it is).
struct Arena {
  Twin data;
  std::int64_t stride = 0, offset = 0;
  StateRef ref(int side) const { return StateRef{data.f(side), stride, offset}; }
};

class CudaStateOpsTest : public CudaOpsTest {
 protected:
  Arena arena(Rng& rng, std::int32_t n_slots, std::int64_t floats) {
    Arena a;
    a.offset = 5;
    a.stride = floats + 13;
    a.data = twin(randn(rng, static_cast<std::size_t>(n_slots * a.stride)));
    return a;
  }
};

// Packed prefill: sequences of different lengths (some shorter than d_conv - 1) from zeros, from
// a slot into another, in place, and reading a slot without writing one.
std::vector<SeqSpan> prefill_spans(const std::vector<std::int32_t>& lengths) {
  // slot use per sequence: {kNoSlot -> 0}, {1 -> 1}, {2 -> 3}, {4 -> none}, {none -> none}, ...
  static const std::int32_t kSrc[] = {kNoSlot, 1, 2, 4, kNoSlot, 6};
  static const std::int32_t kDst[] = {0, 1, 3, kNoSlot, kNoSlot, 7};
  std::vector<SeqSpan> spans;
  std::int32_t start = 0;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    spans.push_back({start, lengths[i], kSrc[i % 6], kDst[i % 6]});
    start += lengths[i];
  }
  return spans;
}
constexpr std::int32_t kArenaSlots = 10;

// Decode: single tokens; two forks of slot 0 (to 8 and 9), in-place steps of 1 and 3.
const std::vector<SeqSpan>& decode_spans() {
  static const std::vector<SeqSpan> spans = {{0, 1, 0, 8}, {1, 1, 0, 9}, {2, 1, 1, 1},
                                             {3, 1, 3, 3}};
  return spans;
}

std::int32_t total_tokens(const std::vector<SeqSpan>& spans) {
  return spans.back().start + spans.back().n_tokens;
}

TEST_F(CudaStateOpsTest, Conv1dPackedPrefillThenDecodeSteps) {
  Rng rng(7);
  struct Case {
    std::int32_t n_channels, d_conv;
    std::int64_t ld_x, x_offset;
    bool bias, silu;
    std::vector<std::int32_t> lengths;
  };
  const std::vector<Case> cases = {
      // Mamba-2 1.3b: xBC (4352 channels) inside in_proj's output (8512 wide, after z).
      {4352, 4, 8512, 4096, true, true, {37, 1, 5, 2, 3}},
      // Mamba-1 1.4b: x (4096 channels) inside in_proj's output (8192 wide).
      {4096, 4, 8192, 0, true, true, {1, 64, 2}},
      {129, 4, 131, 1, true, true, {300, 3, 1, 2, 17, 9}},
      {33, 3, 40, 7, false, false, {1, 1, 33, 2, 5}},
      {7, 2, 7, 0, true, false, {5, 1, 2, 1, 1, 1}},
      {7, 4, 9, 2, false, true, {1, 2, 3, 4}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(shape_name({c.n_channels, c.d_conv, c.ld_x}));
    const std::int64_t floats = std::int64_t{c.d_conv - 1} * c.n_channels;
    Arena st = arena(rng, kArenaSlots, floats);
    const Twin w = twin(randn(rng, std::size_t(c.n_channels) * c.d_conv, 0.5f));
    const Twin b = twin(randn(rng, c.n_channels));
    auto step = [&](const std::vector<SeqSpan>& spans, const std::string& what) {
      SCOPED_TRACE(what);
      const std::int32_t n_tokens = total_tokens(spans);
      const Twin x = twin(strided(rng, n_tokens, c.x_offset + c.n_channels, c.ld_x));
      const Twin out = filled(std::size_t(n_tokens) * c.n_channels + 1, kUntouched);
      Conv1dArgs probe{x.f(kCuda) + c.x_offset, c.ld_x, f32(w, kCuda, {c.n_channels, c.d_conv}),
                       c.bias ? b.f(kCuda) : nullptr, c.silu, out.f(kCuda), c.n_channels,
                       c.d_conv, spans.data(), static_cast<std::int32_t>(spans.size()),
                       st.ref(kCuda)};
      ASSERT_TRUE(dev_->supports(probe));
      ASSERT_TRUE(run([&](Backend& be, int side) {
        return be.conv1d({x.f(side) + c.x_offset, c.ld_x,
                          f32(w, side, {c.n_channels, c.d_conv}), c.bias ? b.f(side) : nullptr,
                          c.silu, out.f(side), c.n_channels, c.d_conv, spans.data(),
                          static_cast<std::int32_t>(spans.size()), st.ref(side)});
      }));
      EXPECT_TRUE(same(out, kElementwiseTol, "out"));
      EXPECT_TRUE(same(st.data, 0.0, "conv state (copies of inputs: bit-identical)"));
    };
    step(prefill_spans(c.lengths), "packed prefill");
    for (int t = 0; t < 3; ++t) step(decode_spans(), "decode step " + std::to_string(t));
  }
}

// ---- scans ------------------------------------------------------------------------------------

// dt_bias as Mamba initialises it: softplus^-1 of a step in [0.001, 0.1].
std::vector<float> dt_bias_init(Rng& rng, std::size_t n) {
  std::vector<float> v = uniform(rng, n, 0.001f, 0.1f);
  for (float& x : v) x = static_cast<float>(std::log(std::expm1(static_cast<double>(x))));
  return v;
}

// Raw dt with a few very large values (softplus's linear branch) and very negative ones.
std::vector<float> dt_raw(Rng& rng, std::int64_t rows, std::int64_t width, std::int64_t ld) {
  std::vector<float> v = strided(rng, rows, width, ld, 1.0f);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t i = 0; i < width; ++i) {
      float& x = v[static_cast<std::size_t>(r * ld + i)];
      const auto k = rng.below(97);
      if (k == 0) x = 25.0f;
      if (k == 1) x = -30.0f;
    }
  }
  return v;
}

TEST_F(CudaStateOpsTest, Mamba1ScanPrefillAndDecodeWithAndWithoutOptionalInputs) {
  Rng rng(8);
  struct Case {
    std::int32_t d_inner, d_state, dt_rank;
    std::vector<std::int32_t> lengths;
  };
  const std::vector<Case> cases = {
      {4096, 16, 128, {40, 1, 7, 3}},  // Mamba-1 1.4b
      {1536, 16, 48, {300, 2}},        // Mamba-1 130m, a long prefill
      {129, 16, 5, {1, 17, 2, 3, 4, 9}},
      {33, 16, 3, {65, 1, 1}},
      {7, 16, 1, {2, 3, 1, 1, 1, 1}},
  };
  for (const Case& c : cases) {
    for (bool optional : {true, false}) {  // z, dt_bias and D set, or all null
      SCOPED_TRACE(shape_name({c.d_inner, c.d_state}) + (optional ? " with z, dt_bias, D" : ""));
      const std::int64_t floats = std::int64_t{c.d_inner} * c.d_state;
      Arena st = arena(rng, kArenaSlots, floats);
      // A = -exp(A_log), A_log = log(1 .. d_state) per row as Mamba initialises, jittered.
      std::vector<float> a_host(static_cast<std::size_t>(floats));
      for (std::int64_t i = 0; i < floats; ++i) {
        a_host[i] = -static_cast<float>((i % c.d_state) + 1) * (0.5f + rng.uniform_f32());
      }
      const Twin A = twin(a_host);
      const Twin dt_bias = twin(dt_bias_init(rng, c.d_inner));
      const Twin D = twin(randn(rng, c.d_inner));
      const std::int64_t ld_bc = c.dt_rank + 2 * c.d_state;  // x_proj's output: [dt | B | C]
      auto step = [&](const std::vector<SeqSpan>& spans, const std::string& what) {
        SCOPED_TRACE(what);
        const std::int32_t T = total_tokens(spans);
        const Twin x = twin(randn(rng, std::size_t(T) * c.d_inner));
        const Twin dt = twin(dt_raw(rng, T, c.d_inner, c.d_inner));
        const Twin bc = twin(strided(rng, T, ld_bc, ld_bc));
        const Twin z = twin(strided(rng, T, 2 * c.d_inner, 2 * c.d_inner));  // [x | z]
        const Twin y = filled(std::size_t(T) * c.d_inner + 1, kUntouched);
        auto args = [&](int side) {
          return Mamba1ScanArgs{x.f(side), c.d_inner, dt.f(side), c.d_inner,
                                optional ? dt_bias.f(side) : nullptr, A.f(side),
                                bc.f(side) + c.dt_rank, bc.f(side) + c.dt_rank + c.d_state,
                                ld_bc, optional ? D.f(side) : nullptr,
                                optional ? z.f(side) + c.d_inner : nullptr, 2 * c.d_inner,
                                y.f(side), c.d_inner, c.d_state, spans.data(),
                                static_cast<std::int32_t>(spans.size()), st.ref(side)};
        };
        ASSERT_TRUE(dev_->supports(args(kCuda)));
        ASSERT_TRUE(run([&](Backend& be, int side) { return be.mamba1_scan(args(side)); }));
        EXPECT_TRUE(same(y, kReductionTol, "y"));
        EXPECT_TRUE(same(st.data, kReductionTol, "ssm state"));
      };
      step(prefill_spans(c.lengths), "packed prefill");
      for (int t = 0; t < 3; ++t) step(decode_spans(), "decode step " + std::to_string(t));
    }
  }
}

TEST_F(CudaStateOpsTest, Mamba2ScanPrefillAndDecodeAcrossHeadsGroupsAndStepLimits) {
  Rng rng(9);
  struct Case {
    std::int32_t n_head, head_dim, n_group, d_state;
    float dt_min, dt_max;
    bool optional;  // dt_bias and D set
    std::vector<std::int32_t> lengths;
  };
  const std::vector<Case> cases = {
      {64, 64, 1, 128, 0.0f, kInf, true, {33, 1, 5, 2}},           // Mamba-2 1.3b
      {80, 64, 1, 128, 0.0f, kInf, true, {1, 1, 1}},               // Mamba-2 2.7b, decode-sized
      {48, 64, 1, 128, 0.001f, 0.1f, true, {17, 4}},               // Granite-4.0-H style
      {16, 64, 8, 64, 0.01f, 0.2f, true, {20, 3, 1, 7}},           // several groups, clamped
      {8, 64, 2, 128, 0.0f, kInf, true, {300, 1, 77}},             // long prefill
      {24, 64, 1, 64, 0.0f, 0.05f, false, {129, 2}},               // no dt_bias or D
      {6, 33, 3, 64, 0.0f, kInf, true, {7, 1, 33, 2, 1, 5}},       // odd head_dim
      {3, 7, 1, 128, 0.002f, kInf, false, {1, 2, 3, 1, 1, 1}},
      {4, 24, 1, 32, 0.0f, 0.05f, true, {9, 1}},                   // the fixtures' small states
      {6, 16, 2, 16, 0.0f, kInf, true, {11, 1, 2}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(shape_name({c.n_head, c.head_dim, c.n_group, c.d_state}) + " dt in [" +
                 std::to_string(c.dt_min) + ", " + std::to_string(c.dt_max) + "]");
    const std::int64_t width = std::int64_t{c.n_head} * c.head_dim;
    const std::int64_t bc_width = std::int64_t{c.n_group} * c.d_state;
    const std::int64_t floats = width * c.d_state;
    Arena st = arena(rng, kArenaSlots, floats);
    const Twin A = twin(uniform(rng, c.n_head, -16.0f, -1.0f));
    const Twin dt_bias = twin(dt_bias_init(rng, c.n_head));
    const Twin D = twin(randn(rng, c.n_head));
    // The conv output xBC = [x | B | C] is one row of ld_xbc; dt sits at the end of in_proj's
    // output row [z | xBC | dt].
    const std::int64_t ld_xbc = width + 2 * bc_width;
    const std::int64_t ld_in = width + ld_xbc + c.n_head;
    auto step = [&](const std::vector<SeqSpan>& spans, const std::string& what) {
      SCOPED_TRACE(what);
      const std::int32_t T = total_tokens(spans);
      const Twin xbc = twin(strided(rng, T, ld_xbc, ld_xbc));
      const Twin in = twin(dt_raw(rng, T, ld_in, ld_in));
      const Twin y = filled(std::size_t(T) * width + 1, kUntouched);
      auto args = [&](int side) {
        Mamba2ScanArgs a{xbc.f(side), ld_xbc, in.f(side) + width + ld_xbc, ld_in,
                         c.optional ? dt_bias.f(side) : nullptr, A.f(side),
                         xbc.f(side) + width, xbc.f(side) + width + bc_width, ld_xbc,
                         c.optional ? D.f(side) : nullptr, y.f(side), c.n_head, c.head_dim,
                         c.n_group, c.d_state, c.dt_min, c.dt_max, spans.data(),
                         static_cast<std::int32_t>(spans.size()), st.ref(side)};
        return a;
      };
      ASSERT_TRUE(dev_->supports(args(kCuda)));
      ASSERT_TRUE(run([&](Backend& be, int side) { return be.mamba2_scan(args(side)); }));
      EXPECT_TRUE(same(y, kReductionTol, "y"));
      EXPECT_TRUE(same(st.data, kReductionTol, "ssm state"));
    };
    step(prefill_spans(c.lengths), "packed prefill");
    for (int t = 0; t < 3; ++t) step(decode_spans(), "decode step " + std::to_string(t));
  }
}

// ---- attention over KV pages ------------------------------------------------------------------

// A page pool of two attention layers (the op works on the second, so offsets matter): K/V
// rows of layer 1 sit after layer 0's in every page.
TEST_F(CudaOpsTest, PagedAttentionAndKvAppendOverSharedPages) {
  Rng rng(10);
  struct Case {
    std::int32_t n_head, n_kv_head, head_dim, page_size;
  };
  for (const Case c : {Case{32, 8, 128, 16}, Case{12, 4, 128, 16}, Case{4, 4, 64, 16},
                       Case{6, 3, 40, 16}, Case{6, 2, 33, 4}, Case{1, 1, 7, 3}}) {
    SCOPED_TRACE(shape_name({c.n_head, c.n_kv_head, c.head_dim, c.page_size}));
    const std::int32_t P = c.page_size;
    const std::int64_t row = std::int64_t{c.n_kv_head} * c.head_dim;
    KvPagesRef layout;
    layout.page_stride = 4 * P * row;  // {layer 0 K, layer 0 V, layer 1 K, layer 1 V}
    layout.k_offset = 2 * P * row;
    layout.v_offset = 3 * P * row;
    layout.page_size = P;
    layout.row = row;

    // Sequences: past lengths (not page-aligned, aligned, zero) and new tokens; sequence 1 is a
    // fork of sequence 0 (shares its full pages; its partial last page is a copy).
    struct Seq {
      std::int32_t past, n_new, dst;
    };
    const std::vector<Seq> seqs = {{37, 5, 0}, {37, 3, 1}, {0, 20, 2},
                                   {100, 1, 3}, {16, 1, kNoSlot}, {2 * P, P, 5}};
    constexpr std::int32_t kLdTable = 40;
    std::vector<std::int32_t> table(seqs.size() * kLdTable, -1);
    std::int32_t next_page = 1;
    for (std::size_t s = 0; s < seqs.size(); ++s) {
      const std::int32_t need = (seqs[s].past + seqs[s].n_new + 1 + P - 1) / P;  // + one decode
      ASSERT_LE(need, kLdTable);
      for (std::int32_t i = 0; i < need; ++i) table[s * kLdTable + i] = next_page++;
    }
    const std::int32_t n_pages = next_page;  // page 0 is never used
    // The fork: sequence 1 shares sequence 0's full pages.
    const std::int32_t shared = seqs[0].past / P;
    for (std::int32_t i = 0; i < shared; ++i) table[kLdTable + i] = table[i];

    // Rows holding tokens are random; every other row is NaN (a recycled page may hold
    // anything), so reading past a sequence's length poisons the output.
    std::vector<float> pool(static_cast<std::size_t>(n_pages * layout.page_stride), kNaN);
    for (std::size_t s = 0; s < seqs.size(); ++s) {
      for (std::int32_t j = 0; j < seqs[s].past; ++j) {
        const std::int32_t page = table[s * kLdTable + j / P];
        for (std::int64_t off : {layout.k_offset, layout.v_offset}) {
          float* r = pool.data() + page * layout.page_stride + off + (j % P) * row;
          for (std::int64_t d = 0; d < row; ++d) r[d] = static_cast<float>(rng.normal());
        }
      }
    }
    {  // the fork's partial page starts as a copy of its parent's
      const std::int32_t from = table[shared], to = table[kLdTable + shared];
      std::copy_n(pool.data() + from * layout.page_stride, layout.page_stride,
                  pool.data() + to * layout.page_stride);
    }
    const Twin cache = twin(pool);
    auto cache_ref = [&](int side) {
      KvPagesRef r = layout;
      r.base = cache.f(side);
      return r;
    };
    const std::int64_t nq = std::int64_t{c.n_head} * c.head_dim;
    const std::int64_t ld_qkv = nq + 2 * row + 3;  // one fused projection row [q | k | v | pad]
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));

    std::vector<std::int32_t> past(seqs.size());
    auto step = [&](const std::vector<std::int32_t>& n_new, const std::string& what) {
      SCOPED_TRACE(what);
      std::vector<SeqSpan> spans;
      std::int32_t T = 0;
      for (std::size_t s = 0; s < seqs.size(); ++s) {
        spans.push_back({T, n_new[s], seqs[s].dst, seqs[s].dst});
        T += n_new[s];
      }
      const Twin qkv = twin(strided(rng, T, nq + 2 * row, ld_qkv));
      const Twin out = filled(std::size_t(T) * nq + 1, kUntouched);
      const auto n_seqs = static_cast<std::int32_t>(spans.size());
      ASSERT_TRUE(run([&](Backend& be, int side) {
        return be.paged_attention({qkv.f(side), ld_qkv, qkv.f(side) + nq,
                                   qkv.f(side) + nq + row, ld_qkv, out.f(side), c.n_head,
                                   c.n_kv_head, c.head_dim, scale, spans.data(), n_seqs,
                                   table.data(), kLdTable, past.data(), cache_ref(side)});
      }));
      EXPECT_TRUE(same(out, kReductionTol, "attention out"));
      ASSERT_TRUE(run([&](Backend& be, int side) {
        return be.kv_append({qkv.f(side) + nq, qkv.f(side) + nq + row, ld_qkv, spans.data(),
                             n_seqs, table.data(), kLdTable, past.data(), cache_ref(side)});
      }));
      EXPECT_TRUE(same(cache, 0.0, "KV pages after kv_append (copies: bit-identical)"));
      for (std::size_t s = 0; s < seqs.size(); ++s) {
        if (seqs[s].dst != kNoSlot) past[s] += n_new[s];
      }
    };
    std::vector<std::int32_t> first(seqs.size());
    for (std::size_t s = 0; s < seqs.size(); ++s) {
      past[s] = seqs[s].past;
      first[s] = seqs[s].n_new;
    }
    step(first, "mixed prefill and decode");
    step(std::vector<std::int32_t>(seqs.size(), 1), "decode step");
  }
}

// ---- log-softmax and sampling -----------------------------------------------------------------

TEST_F(CudaOpsTest, LogSoftmaxIgnoresPaddingColumns) {
  Rng rng(11);
  struct Case {
    std::int32_t n_rows, n_vocab;
    std::int64_t ld;
  };
  for (const Case c : {Case{7, 50280, 50288}, Case{1, 50280, 50280}, Case{33, 129, 130},
                       Case{5, 33, 33}, Case{2, 7, 64}}) {
    SCOPED_TRACE(shape_name({c.n_rows, c.n_vocab, c.ld}));
    const Twin logits = twin(strided(rng, c.n_rows, c.n_vocab, c.ld, 4.0f));
    const Twin out = filled(std::size_t(c.n_rows) * c.n_vocab + 1, kUntouched);
    ASSERT_TRUE(run([&](Backend& be, int side) {
      return be.log_softmax({logits.f(side), c.ld, out.f(side), c.n_rows, c.n_vocab});
    }));
    EXPECT_TRUE(same(out, kElementwiseTol, "log-probabilities"));
  }
}

// Logits rows with padding columns beyond n_vocab set to a large value: never to be drawn.
std::vector<float> logit_rows(Rng& rng, std::int32_t rows, std::int32_t n_vocab, std::int64_t ld,
                              float scale) {
  std::vector<float> v = strided(rng, rows, n_vocab, ld, scale);
  for (std::int32_t r = 0; r < rows; ++r) {
    for (std::int64_t i = n_vocab; i < ld; ++i) v[static_cast<std::size_t>(r * ld + i)] = 100.0f;
  }
  return v;
}

TEST_F(CudaOpsTest, GreedySamplingPicksTheSameTokensAndLogprobs) {
  Rng rng(12);
  struct Case {
    std::int32_t n_rows, n_vocab;
    std::int64_t ld;
  };
  for (const Case c : {Case{64, 50280, 50288}, Case{33, 129, 131}, Case{1, 7, 7}}) {
    SCOPED_TRACE(shape_name({c.n_rows, c.n_vocab, c.ld}));
    std::vector<float> host = logit_rows(rng, c.n_rows, c.n_vocab, c.ld, 3.0f);
    // Row 0: the maximum twice; ties go to the lower id.
    const std::int32_t lo = c.n_vocab / 3, hi = c.n_vocab - 1;
    host[lo] = host[hi] = 50.0f;
    const Twin logits = twin(host);
    const std::vector<SamplingParams> params(static_cast<std::size_t>(c.n_rows));
    std::vector<std::int32_t> tokens[2];
    std::vector<float> logprobs[2];
    ASSERT_TRUE(run([&](Backend& be, int side) {
      tokens[side].assign(params.size(), -1);
      logprobs[side].assign(params.size(), kNaN);
      return be.sample({logits.f(side), c.ld, c.n_rows, c.n_vocab, params.data(), nullptr,
                        tokens[side].data(), logprobs[side].data()});
    }));
    EXPECT_EQ(tokens[kCuda], tokens[kCpu]);
    EXPECT_EQ(tokens[kCuda][0], lo) << "ties go to the lower id";
    EXPECT_TRUE(close(logprobs[kCuda], logprobs[kCpu], kElementwiseTol, "logprobs"));
  }
}

TEST_F(CudaOpsTest, SeededSamplingAgreesWithTheReference) {
  Rng rng(13);
  // temperature, top_k, top_p, min_p; greedy rows mixed in.
  const std::vector<SamplingParams> kinds = {
      {1.0f, 0, 1.0f, 0.0f},  {0.7f, 50, 1.0f, 0.0f}, {1.0f, 0, 0.9f, 0.0f},
      {1.0f, 0, 1.0f, 0.05f}, {0.8f, 40, 0.95f, 0.02f}, {1.2f, 1, 1.0f, 0.0f},
      {0.0f, 0, 1.0f, 0.0f},  {1.0f, 0, 0.5f, 0.0f},  {0.6f, 5, 1.0f, 0.1f},
      {1.5f, 1000, 0.99f, 0.0f}};
  struct Case {
    std::int32_t n_rows, n_vocab;
    std::int64_t ld;
  };
  for (const Case c : {Case{400, 50280, 50288}, Case{200, 129, 130}, Case{50, 7, 8}}) {
    SCOPED_TRACE(shape_name({c.n_rows, c.n_vocab, c.ld}));
    const std::vector<float> host = logit_rows(rng, c.n_rows, c.n_vocab, c.ld, 3.0f);
    const Twin logits = twin(host);
    std::vector<SamplingParams> params;
    for (std::int32_t r = 0; r < c.n_rows; ++r) params.push_back(kinds[r % kinds.size()]);
    std::vector<Rng> rngs[2];
    std::vector<std::int32_t> tokens[2];
    std::vector<float> logprobs[2];
    ASSERT_TRUE(run([&](Backend& be, int side) {
      rngs[side].clear();
      for (std::int32_t r = 0; r < c.n_rows; ++r) rngs[side].emplace_back(1000 + r);
      tokens[side].assign(params.size(), -1);
      logprobs[side].assign(params.size(), kNaN);
      return be.sample({logits.f(side), c.ld, c.n_rows, c.n_vocab, params.data(),
                        rngs[side].data(), tokens[side].data(), logprobs[side].data()});
    }));
    std::int32_t agree = 0;
    std::vector<float> lp_cuda, lp_cpu;
    for (std::int32_t r = 0; r < c.n_rows; ++r) {
      const std::int32_t tok = tokens[kCuda][r];
      ASSERT_GE(tok, 0);
      ASSERT_LT(tok, c.n_vocab) << "row " << r << " drew a padding id";
      // The device's token survives its row's top-k (ties at the edge stay).
      const float* row = host.data() + r * c.ld;
      const SamplingParams& p = params[r];
      if (p.temperature <= 0.0f || p.top_k > 0) {
        std::int32_t above = 0;
        for (std::int32_t i = 0; i < c.n_vocab; ++i) above += row[i] > row[tok];
        EXPECT_LT(above, p.temperature <= 0.0f ? 1 : p.top_k) << "row " << r;
      }
      if (tok == tokens[kCpu][r]) {
        ++agree;
        lp_cuda.push_back(logprobs[kCuda][r]);
        lp_cpu.push_back(logprobs[kCpu][r]);
      }
      // One uniform draw per sampled row on both: the streams continue identically.
      EXPECT_EQ(rngs[kCuda][r].next_u64(), rngs[kCpu][r].next_u64()) << "row " << r;
    }
    EXPECT_GE(agree, c.n_rows - c.n_rows / 100) << agree << " of " << c.n_rows << " rows agree";
    EXPECT_TRUE(close(lp_cuda, lp_cpu, kElementwiseTol, "logprobs of agreeing rows"));
  }
}

}  // namespace
}  // namespace arbor::kernels
