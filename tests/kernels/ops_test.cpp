// The CPU reference ops against independent direct computations on random inputs, and the
// properties the engine relies on: prefill equals single steps, packed sequences are
// independent, src and dst slots are honoured.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/random.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/ops_ref.h"

namespace arbor::kernels {
namespace {

std::vector<float> randn(Rng& rng, std::size_t n, float scale = 1.0f) {
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(rng.normal()) * scale;
  return v;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(double(a[i]) - b[i]));
  return d;
}

Tensor f32_tensor(std::vector<float>& v, Shape shape) {
  return Tensor{v.data(), DType::kF32, shape};
}

TEST(LinearTest, MatchesDirectSumWithStridesAndBias) {
  Rng rng(1);
  for (int rows : {1, 5}) {
    const int n_in = 7, n_out = 11, ld_x = 9, ld_y = 13;
    auto x = randn(rng, rows * ld_x), w = randn(rng, n_out * n_in), b = randn(rng, n_out);
    std::vector<float> y(rows * ld_y, -777.0f);
    linear_ref({x.data(), ld_x, f32_tensor(w, {n_out, n_in}), b.data(), y.data(), ld_y, rows, n_in,
                n_out});
    for (int r = 0; r < rows; ++r) {
      for (int o = 0; o < n_out; ++o) {
        double acc = b[o];
        for (int i = 0; i < n_in; ++i) acc += double(x[r * ld_x + i]) * w[o * n_in + i];
        EXPECT_NEAR(y[r * ld_y + o], acc, 1e-5) << r << "," << o;
      }
      for (int o = n_out; o < ld_y; ++o) EXPECT_EQ(y[r * ld_y + o], -777.0f);  // untouched
    }
  }
}

TEST(RmsNormTest, ResidualAddThenNormalise) {
  Rng rng(2);
  const int rows = 3, n = 10;
  auto add = randn(rng, rows * n), res = randn(rng, rows * n), w = randn(rng, n);
  auto expect_res = res;
  for (int i = 0; i < rows * n; ++i) expect_res[i] += add[i];
  std::vector<float> out(rows * n);
  rms_norm_ref({add.data(), res.data(), f32_tensor(w, {n}), out.data(), rows, n, 1e-5f});
  EXPECT_EQ(max_abs_diff(res, expect_res), 0.0);
  for (int r = 0; r < rows; ++r) {
    double ss = 0;
    for (int i = 0; i < n; ++i) ss += double(res[r * n + i]) * res[r * n + i];
    const double inv = 1.0 / std::sqrt(ss / n + 1e-5);
    for (int i = 0; i < n; ++i) EXPECT_NEAR(out[r * n + i], w[i] * res[r * n + i] * inv, 1e-5);
  }
}

TEST(GatedRmsNormTest, GroupsAndGateOrder) {
  Rng rng(3);
  const int rows = 2, n = 12, ld_z = 15;
  auto x = randn(rng, rows * n), z = randn(rng, rows * ld_z), w = randn(rng, n);
  for (bool before : {false, true}) {
    for (int gs : {12, 4}) {
      std::vector<float> out(rows * n);
      GatedRmsNormArgs a{x.data(), z.data(), ld_z, f32_tensor(w, {n}), out.data(), rows, n, gs,
                         before, 1e-6f};
      gated_rms_norm_ref(a);
      for (int r = 0; r < rows; ++r) {
        for (int g0 = 0; g0 < n; g0 += gs) {
          auto gate = [&](int i) { return silu_ref(z[r * ld_z + i]); };
          double ss = 0;
          for (int i = g0; i < g0 + gs; ++i) {
            const double v = before ? x[r * n + i] : x[r * n + i] * gate(i);
            ss += v * v;
          }
          const double inv = 1.0 / std::sqrt(ss / gs + 1e-6);
          for (int i = g0; i < g0 + gs; ++i) {
            const double want = before ? w[i] * x[r * n + i] * inv * gate(i)
                                       : w[i] * x[r * n + i] * gate(i) * inv;
            EXPECT_NEAR(out[r * n + i], want, 1e-5);
          }
        }
      }
    }
  }
}

// A small arena-like state buffer: n_slots slots of `floats` floats.
struct Slots {
  Slots(int n_slots, std::int64_t floats, Rng& rng) : data(randn(rng, n_slots * floats)), n(floats) {}
  StateRef ref() { return StateRef{data.data(), n, 0}; }
  std::vector<float> slot(int s) const {
    return std::vector<float>(data.begin() + s * n, data.begin() + (s + 1) * n);
  }
  std::vector<float> data;
  std::int64_t n;
};

TEST(Conv1dTest, MatchesDirectConvolutionOverStateAndInputs) {
  Rng rng(4);
  const int nc = 6, k = 4, T = 5, ld = 8;
  auto x = randn(rng, T * ld), w = randn(rng, nc * k), b = randn(rng, nc);
  Slots st(2, (k - 1) * nc, rng);
  const auto init = st.slot(0);
  std::vector<float> out(T * nc);
  SeqSpan seq{0, T, 0, 1};
  conv1d_ref({x.data(), ld, f32_tensor(w, {nc, k}), b.data(), true, out.data(), nc, k, &seq, 1,
              st.ref()});
  // window[t] for t in [0, k-1) is the state, then the inputs.
  auto window = [&](int t, int c) { return t < k - 1 ? init[t * nc + c] : x[(t - (k - 1)) * ld + c]; };
  for (int t = 0; t < T; ++t) {
    for (int c = 0; c < nc; ++c) {
      double acc = b[c];
      for (int j = 0; j < k; ++j) acc += double(w[c * k + j]) * window(t + j, c);
      EXPECT_NEAR(out[t * nc + c], acc / (1.0 + std::exp(-acc)), 1e-5);
    }
  }
  // The new state holds the last k-1 inputs; the source slot is untouched.
  const auto fin = st.slot(1);
  for (int t = 0; t < k - 1; ++t) {
    for (int c = 0; c < nc; ++c) EXPECT_EQ(fin[t * nc + c], window(T + t, c));
  }
  EXPECT_EQ(st.slot(0), init);
}

TEST(Conv1dTest, PrefillEqualsSingleStepsAndPackedSequencesAreIndependent) {
  Rng rng(5);
  const int nc = 5, k = 3, T = 7;
  auto x = randn(rng, T * nc), w = randn(rng, nc * k);
  Slots st(3, (k - 1) * nc, rng);
  std::vector<float> whole(T * nc), steps(T * nc);
  SeqSpan seq{0, T, kNoSlot, 0};
  conv1d_ref({x.data(), nc, f32_tensor(w, {nc, k}), nullptr, false, whole.data(), nc, k, &seq, 1,
              st.ref()});
  for (int t = 0; t < T; ++t) {
    SeqSpan one{0, 1, t == 0 ? kNoSlot : 1, 1};  // in place after the first step
    conv1d_ref({x.data() + t * nc, nc, f32_tensor(w, {nc, k}), nullptr, false,
                steps.data() + t * nc, nc, k, &one, 1, st.ref()});
  }
  EXPECT_LE(max_abs_diff(whole, steps), 1e-6);
  EXPECT_EQ(st.slot(0), st.slot(1));
  // Two sequences (3 and 4 tokens) in one call equal two separate calls.
  std::vector<float> packed(T * nc), sep(T * nc);
  SeqSpan two[2] = {{0, 3, kNoSlot, 2}, {3, 4, kNoSlot, 2}};
  conv1d_ref({x.data(), nc, f32_tensor(w, {nc, k}), nullptr, false, packed.data(), nc, k, two, 2,
              st.ref()});
  for (const SeqSpan& s : two) {
    SeqSpan alone{0, s.n_tokens, kNoSlot, kNoSlot};
    conv1d_ref({x.data() + s.start * nc, nc, f32_tensor(w, {nc, k}), nullptr, false,
                sep.data() + s.start * nc, nc, k, &alone, 1, st.ref()});
  }
  EXPECT_EQ(packed, sep);
}

TEST(Mamba1ScanTest, MatchesTheRecurrenceWrittenOut) {
  Rng rng(6);
  const int di = 3, ds = 4, T = 6;
  auto x = randn(rng, T * di), dt = randn(rng, T * di), bias = randn(rng, di);
  auto B = randn(rng, T * ds), C = randn(rng, T * ds), D = randn(rng, di), z = randn(rng, T * di);
  std::vector<float> A(di * ds);
  for (float& a : A) a = -std::exp(static_cast<float>(rng.normal()));
  Slots st(2, di * ds, rng);
  const auto h0 = st.slot(0);
  std::vector<float> y(T * di);
  SeqSpan seq{0, T, 0, 1};
  Mamba1ScanArgs a{x.data(), di, dt.data(), di, bias.data(), A.data(), B.data(), C.data(), ds,
                   D.data(), z.data(), di, y.data(), di, ds, &seq, 1, st.ref()};
  mamba1_scan_ref(a);
  std::vector<double> h(h0.begin(), h0.end());
  for (int t = 0; t < T; ++t) {
    for (int d = 0; d < di; ++d) {
      const double v = dt[t * di + d] + bias[d];
      const double delta = v > 20 ? v : std::log1p(std::exp(v));
      double acc = 0;
      for (int n = 0; n < ds; ++n) {
        h[d * ds + n] = std::exp(delta * A[d * ds + n]) * h[d * ds + n] +
                        delta * B[t * ds + n] * x[t * di + d];
        acc += h[d * ds + n] * C[t * ds + n];
      }
      const double zz = z[t * di + d];
      const double want = (acc + D[d] * x[t * di + d]) * zz / (1 + std::exp(-zz));
      EXPECT_NEAR(y[t * di + d], want, 1e-4 * (1 + std::fabs(want)));
    }
  }
  const auto h1 = st.slot(1);
  for (int i = 0; i < di * ds; ++i) EXPECT_NEAR(h1[i], h[i], 1e-4 * (1 + std::fabs(h[i])));
  EXPECT_EQ(st.slot(0), h0);
}

TEST(Mamba2ScanTest, MatchesTheRecurrenceWithGroupsAndClamp) {
  Rng rng(7);
  const int nh = 4, hd = 3, ng = 2, ds = 5, T = 5;
  const int width = nh * hd;
  auto x = randn(rng, T * width), dt = randn(rng, T * nh), bias = randn(rng, nh);
  auto B = randn(rng, T * ng * ds), C = randn(rng, T * ng * ds), D = randn(rng, nh);
  std::vector<float> A(nh);
  for (float& a : A) a = -std::exp(static_cast<float>(rng.normal()));
  Slots st(1, nh * hd * ds, rng);
  const auto s0 = st.slot(0);
  std::vector<float> y(T * width);
  SeqSpan seq{0, T, 0, 0};  // in place
  Mamba2ScanArgs a{x.data(), width, dt.data(), nh, bias.data(), A.data(), B.data(), C.data(),
                   ng * ds, D.data(), y.data(), nh, hd, ng, ds, 0.1f, 0.9f, &seq, 1, st.ref()};
  mamba2_scan_ref(a);
  std::vector<double> S(s0.begin(), s0.end());
  for (int t = 0; t < T; ++t) {
    for (int h = 0; h < nh; ++h) {
      const double v = dt[t * nh + h] + bias[h];
      double delta = v > 20 ? v : std::log1p(std::exp(v));
      delta = std::min(std::max(delta, 0.1), 0.9);
      const int g = h / (nh / ng);
      for (int p = 0; p < hd; ++p) {
        double acc = 0;
        for (int n = 0; n < ds; ++n) {
          double& s = S[(h * hd + p) * ds + n];
          s = std::exp(delta * A[h]) * s + delta * x[t * width + h * hd + p] * B[t * ng * ds + g * ds + n];
          acc += s * C[t * ng * ds + g * ds + n];
        }
        const double want = acc + D[h] * x[t * width + h * hd + p];
        EXPECT_NEAR(y[t * width + h * hd + p], want, 1e-4 * (1 + std::fabs(want)));
      }
    }
  }
}

TEST(Mamba2ScanTest, PrefillEqualsStepsAndForkedChildrenShareTheParentSlot) {
  Rng rng(8);
  const int nh = 2, hd = 4, ds = 8, T = 6, width = nh * hd;
  auto x = randn(rng, T * width), dt = randn(rng, T * nh), B = randn(rng, T * ds),
       C = randn(rng, T * ds);
  std::vector<float> A = {-0.5f, -1.5f};
  Slots st(4, nh * hd * ds, rng);
  auto run = [&](int start, int n, int src, int dst, float* y) {
    SeqSpan seq{0, n, src, dst};
    Mamba2ScanArgs a{x.data() + start * width, width, dt.data() + start * nh, nh, nullptr, A.data(),
                     B.data() + start * ds, C.data() + start * ds, ds, nullptr, y, nh, hd, 1, ds,
                     0.0f, INFINITY, &seq, 1, st.ref()};
    mamba2_scan_ref(a);
  };
  std::vector<float> whole(T * width), steps(T * width);
  run(0, T, kNoSlot, 0, whole.data());
  for (int t = 0; t < T; ++t) run(t, 1, t == 0 ? kNoSlot : 1, 1, steps.data() + t * width);
  EXPECT_EQ(whole, steps);  // the same loop: exactly equal
  // Parent state after 3 tokens in slot 2; two children read it and write slots 3 and 1.
  std::vector<float> tmp(T * width), c1(3 * width), c2(3 * width), fresh(T * width);
  run(0, 3, kNoSlot, 2, tmp.data());
  const auto parent = st.slot(2);
  run(3, 3, 2, 3, c1.data());
  run(3, 3, 2, 1, c2.data());
  EXPECT_EQ(st.slot(2), parent);
  EXPECT_EQ(c1, c2);
  EXPECT_EQ(std::vector<float>(whole.begin() + 3 * width, whole.end()), c1);
}

TEST(SamplingTest, GreedyTakesArgmaxWithLowestIdOnTies) {
  std::vector<float> logits = {0.5f, 2.0f, 2.0f, -1.0f, 9.0f};  // id 4 is padding (n_vocab 4)
  SamplingParams p;
  std::int32_t tok = -1;
  float lp = 0;
  SampleArgs a{logits.data(), 5, 1, 4, &p, nullptr, &tok, &lp};
  sample_ref(a);
  EXPECT_EQ(tok, 1);
  double z = 0;
  for (int i = 0; i < 4; ++i) z += std::exp(logits[i]);
  EXPECT_NEAR(lp, 2.0 - std::log(z), 1e-6);
}

std::vector<int> histogram(const std::vector<float>& logits, const SamplingParams& p, int draws,
                           std::uint64_t seed) {
  Rng rng(seed);
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < draws; ++i) {
    std::int32_t tok = -1;
    SampleArgs a{logits.data(), static_cast<std::int64_t>(logits.size()), 1,
                 static_cast<std::int32_t>(logits.size()), &p, &rng, &tok, nullptr};
    sample_ref(a);
    counts[static_cast<std::size_t>(tok)]++;
  }
  return counts;
}

TEST(SamplingTest, TemperatureFollowsSoftmaxAndSeedsReproduce) {
  const std::vector<float> logits = {1.0f, 2.0f, 0.0f, 1.5f};
  SamplingParams p{0.5f, 0, 1.0f, 0.0f};
  const int draws = 40000;
  auto counts = histogram(logits, p, draws, 11);
  double z = 0;
  for (float l : logits) z += std::exp(l / 0.5);
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double expect = std::exp(logits[i] / 0.5) / z * draws;
    EXPECT_NEAR(counts[i], expect, 5 * std::sqrt(expect) + 5) << i;
  }
  EXPECT_EQ(histogram(logits, p, 200, 5), histogram(logits, p, 200, 5));
  EXPECT_NE(histogram(logits, p, 200, 5), histogram(logits, p, 200, 6));
}

TEST(SamplingTest, TopKTopPMinPRestrictTheSupport) {
  // Probabilities at temperature 1: softmax of these logits.
  const std::vector<float> logits = {3.0f, 2.9f, 1.0f, 0.5f, -2.0f, 2.0f};
  const int draws = 3000;
  auto support = [&](SamplingParams p) {
    auto c = histogram(logits, p, draws, 3);
    std::vector<int> ids;
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (c[i] > 0) ids.push_back(static_cast<int>(i));
    }
    return ids;
  };
  EXPECT_EQ(support({1.0f, 2, 1.0f, 0.0f}), (std::vector<int>{0, 1}));
  EXPECT_EQ(support({1.0f, 1, 1.0f, 0.0f}), (std::vector<int>{0}));
  // p = [.41, .37, .06, .03, .00, .14]: the nucleus of mass 0.8 is {0, 1, 5}.
  EXPECT_EQ(support({1.0f, 0, 0.8f, 0.0f}), (std::vector<int>{0, 1, 5}));
  // min_p 0.3: keep p >= 0.3 * p_max = 0.12: {0, 1, 5}; min_p 0.5 keeps {0, 1}.
  EXPECT_EQ(support({1.0f, 0, 1.0f, 0.3f}), (std::vector<int>{0, 1, 5}));
  EXPECT_EQ(support({1.0f, 0, 1.0f, 0.5f}), (std::vector<int>{0, 1}));
}

TEST(LogSoftmaxTest, ExponentiatesToOne) {
  Rng rng(9);
  auto logits = randn(rng, 2 * 50, 5.0f);
  std::vector<float> out(2 * 40);
  log_softmax_ref({logits.data(), 50, out.data(), 2, 40});
  for (int r = 0; r < 2; ++r) {
    double s = 0;
    for (int i = 0; i < 40; ++i) s += std::exp(double(out[r * 40 + i]));
    EXPECT_NEAR(s, 1.0, 1e-6);
    EXPECT_NEAR(out[r * 40 + 1] - out[r * 40 + 0], logits[r * 50 + 1] - logits[r * 50 + 0], 1e-5);
  }
}

}  // namespace
}  // namespace arbor::kernels
