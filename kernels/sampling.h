// Token sampling parameters and the sample op's arguments.
//
// The order of transformations follows Hugging Face's logits warpers: temperature, then top-k,
// then top-p (nucleus), then min-p; then one token is drawn from what remains. Temperature 0
// means greedy (argmax; ties go to the lowest id). A seeded Rng makes the draw reproducible.
#pragma once

#include <cstdint>

#include "core/random.h"

namespace arbor::kernels {

struct SamplingParams {
  float temperature = 0.0f;  // 0: greedy
  std::int32_t top_k = 0;    // 0: off
  float top_p = 1.0f;        // 1: off
  float min_p = 0.0f;        // 0: off
};

// logits are backend memory; params, rngs, tokens and logprobs are host memory. A row with
// temperature > 0 draws exactly one Rng::uniform_f64(), on every backend, so the same seed gives
// the same tokens on the CPU and on a device.
struct SampleArgs {
  const float* logits = nullptr;      // {n_rows, ld_logits}, width n_vocab
  std::int64_t ld_logits = 0;
  std::int32_t n_rows = 0;
  std::int32_t n_vocab = 0;           // ids >= n_vocab (embedding padding) are never drawn
  const SamplingParams* params = nullptr;  // {n_rows}
  Rng* rngs = nullptr;                // {n_rows}; unused rows may be null when greedy
  std::int32_t* tokens = nullptr;     // out {n_rows}
  float* logprobs = nullptr;          // out {n_rows} or null: log-softmax of the raw logits
                                      // (temperature 1, no filtering) at the chosen token
};

// out[r, :] = log_softmax(logits[r, :n_vocab])
struct LogSoftmaxArgs {
  const float* logits = nullptr;  // {n_rows, ld_logits}
  std::int64_t ld_logits = 0;
  float* out = nullptr;           // {n_rows, n_vocab}
  std::int32_t n_rows = 0;
  std::int32_t n_vocab = 0;
};

// The reference sampler on logits in host memory (what the CPU backend's sample() runs), for
// callers holding downloaded logits whatever their backend.
void sample_on_host(const SampleArgs& args);

}  // namespace arbor::kernels
