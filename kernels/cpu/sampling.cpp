// Log-softmax and token sampling (greedy, temperature, top-k, top-p, min-p), the semantics of
// Hugging Face's logits warpers applied in that order. Sums in double.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "kernels/cpu/ops_ref.h"

namespace arbor::kernels {
namespace {

// log(sum(exp(x))) over x[0..n), stable.
double log_sum_exp(const float* x, std::int32_t n) {
  float mx = -std::numeric_limits<float>::infinity();
  for (std::int32_t i = 0; i < n; ++i) mx = std::max(mx, x[i]);
  double sum = 0.0;
  for (std::int32_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - mx);
  return mx + std::log(sum);
}

std::int32_t argmax(const float* x, std::int32_t n) {
  std::int32_t best = 0;
  for (std::int32_t i = 1; i < n; ++i) {
    if (x[i] > x[best]) best = i;
  }
  return best;
}

struct Candidate {
  float logit;
  std::int32_t id;
};

std::int32_t sample_row(const float* logits, std::int32_t n_vocab, const SamplingParams& p,
                        Rng* rng) {
  if (p.temperature <= 0.0f) return argmax(logits, n_vocab);
  ARBOR_CHECK(rng != nullptr) << "sampling with temperature > 0 needs an Rng";
  std::vector<Candidate> cand(static_cast<std::size_t>(n_vocab));
  for (std::int32_t i = 0; i < n_vocab; ++i) cand[i] = {logits[i] / p.temperature, i};
  const auto by_logit = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  std::size_t keep = cand.size();
  if (p.top_k > 0 && static_cast<std::size_t>(p.top_k) < cand.size()) {
    // Like HF: keep every token whose logit is >= the k-th largest (ties at the edge stay).
    std::nth_element(cand.begin(), cand.begin() + (p.top_k - 1), cand.end(), by_logit);
    const float kth = cand[static_cast<std::size_t>(p.top_k - 1)].logit;
    keep = static_cast<std::size_t>(
        std::partition(cand.begin(), cand.end(), [&](const Candidate& c) { return c.logit >= kth; }) -
        cand.begin());
  }
  cand.resize(keep);
  std::sort(cand.begin(), cand.end(), by_logit);

  // Probabilities of the kept tokens.
  const float mx = cand.front().logit;
  std::vector<double> prob(cand.size());
  double total = 0.0;
  for (std::size_t i = 0; i < cand.size(); ++i) {
    prob[i] = std::exp(static_cast<double>(cand[i].logit) - mx);
    total += prob[i];
  }
  for (double& q : prob) q /= total;

  if (p.top_p < 1.0f) {
    // Smallest prefix (by descending probability) whose mass reaches top_p; at least one token.
    double mass = 0.0;
    std::size_t n = 0;
    while (n < prob.size()) {
      mass += prob[n++];
      if (mass >= p.top_p) break;
    }
    cand.resize(n);
    prob.resize(n);
  }
  if (p.min_p > 0.0f) {
    const double threshold = p.min_p * prob.front();  // relative to the most likely token
    std::size_t n = 1;
    while (n < prob.size() && prob[n] >= threshold) ++n;
    cand.resize(n);
    prob.resize(n);
  }
  const double sum = std::accumulate(prob.begin(), prob.end(), 0.0);
  const double u = rng->uniform_f64() * sum;
  double acc = 0.0;
  for (std::size_t i = 0; i < prob.size(); ++i) {
    acc += prob[i];
    if (u < acc) return cand[i].id;
  }
  return cand.back().id;
}

}  // namespace

void log_softmax_ref(const LogSoftmaxArgs& args) {
  for (std::int32_t r = 0; r < args.n_rows; ++r) {
    const float* x = args.logits + r * args.ld_logits;
    float* out = args.out + static_cast<std::int64_t>(r) * args.n_vocab;
    const double lse = log_sum_exp(x, args.n_vocab);
    for (std::int32_t i = 0; i < args.n_vocab; ++i) {
      out[i] = static_cast<float>(static_cast<double>(x[i]) - lse);
    }
  }
}

void sample_ref(const SampleArgs& args) {
  for (std::int32_t r = 0; r < args.n_rows; ++r) {
    const float* x = args.logits + r * args.ld_logits;
    Rng* rng = args.rngs != nullptr ? &args.rngs[r] : nullptr;
    const std::int32_t tok = sample_row(x, args.n_vocab, args.params[r], rng);
    args.tokens[r] = tok;
    if (args.logprobs != nullptr) {
      args.logprobs[r] = static_cast<float>(x[tok] - log_sum_exp(x, args.n_vocab));
    }
  }
}

void sample_on_host(const SampleArgs& args) { sample_ref(args); }

}  // namespace arbor::kernels
