// Engine checks shared by the CPU and CUDA engine tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <future>
#include <vector>

#include "models/generate.h"
#include "runtime/engine.h"
#include "tests/runtime/run_sync.h"

namespace arbor::runtime::checks {

// Largest |a - b| / max(1, |b|).
inline double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    d = std::max(d, std::fabs(double(a[i]) - b[i]) / std::max(1.0, std::fabs(double(b[i]))));
  }
  return d;
}

inline GenerateParams greedy(int n) {
  GenerateParams p;
  p.max_tokens = n;
  p.stop_at_eos = false;
  return p;
}

// The reference for an engine request: the same request run alone through models::generate.
inline models::GenerateResult generate_alone(models::Model& model,
                                             const std::vector<std::int32_t>& prompt,
                                             const GenerateParams& p) {
  models::GenerateOptions o;
  o.max_tokens = p.max_tokens;
  o.sampling = p.sampling;
  o.seed = p.seed;
  o.stop_at_eos = p.stop_at_eos;
  auto r = models::generate(model, prompt, o);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : models::GenerateResult{};
}

struct AloneResult {
  std::vector<std::int32_t> prompt;
  Completion generated;  // greedy(8) from the prompt, run alone
};

// A score and a greedy generation from one prompt, alone and then among twenty other requests
// of other lengths: the logprobs agree within `tol` and the tokens are the same.
inline AloneResult expect_results_independent_of_batch(Engine& e, double tol) {
  Sequence s = *e.start({3, 1, 4, 1, 5, 9, 2, 6});
  const std::vector<std::int32_t> cont = {5, 3, 5, 8, 9, 7};
  auto alone = arbor::testing::run_sync(e.score(s, cont));
  auto alone_gen = arbor::testing::run_sync(e.generate(e.fork(s), greedy(8)));
  EXPECT_TRUE(alone.ok() && alone_gen.ok());
  if (!alone.ok() || !alone_gen.ok()) return {};
  std::vector<std::promise<StatusOr<std::vector<float>>>> scores(20);
  std::vector<std::promise<StatusOr<Completion>>> gens(20);
  for (int i = 0; i < 20; ++i) {
    Sequence other = *e.start({i + 1, 2 * i + 1, 7});
    e.async_generate(other, greedy(5 + i % 7), [&gens, i](StatusOr<Completion> c) {
      gens[static_cast<std::size_t>(i)].set_value(std::move(c));
    });
    e.async_score(i % 2 ? s : other, cont, [&scores, i](StatusOr<std::vector<float>> v) {
      scores[static_cast<std::size_t>(i)].set_value(std::move(v));
    });
  }
  auto batched_gen = arbor::testing::run_sync(e.generate(e.fork(s), greedy(8)));
  for (int i = 0; i < 20; ++i) {
    auto v = scores[static_cast<std::size_t>(i)].get_future().get();
    EXPECT_TRUE(v.ok()) << v.status().to_string();
    if (v.ok() && i % 2) {
      EXPECT_LE(max_rel_diff(*v, *alone), tol);
    }
    EXPECT_TRUE(gens[static_cast<std::size_t>(i)].get_future().get().ok());
  }
  EXPECT_TRUE(batched_gen.ok());
  if (batched_gen.ok()) {
    EXPECT_EQ(batched_gen->ids, alone_gen->ids);
    EXPECT_LE(max_rel_diff(batched_gen->logprobs, alone_gen->logprobs), tol);
  }
  return {s.tokens(), *alone_gen};
}

}  // namespace arbor::runtime::checks
