// generate(): the simplest way to run a model - one sequence, one token per step, on the
// calling thread. The runtime's Engine (continuous batching, forking) builds on the same
// Model::forward; this is what the CLI and the single-sequence benchmarks use.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "kernels/sampling.h"
#include "models/model.h"

namespace arbor::models {

struct GenerateOptions {
  std::int32_t max_tokens = 64;
  kernels::SamplingParams sampling;  // temperature 0: greedy
  std::uint64_t seed = 0;
  bool stop_at_eos = true;           // stop after the config's eos_token_id
  // Called with each new token id as it is produced (for streaming output); may be empty.
  std::function<void(std::int32_t)> on_token;
};

struct GenerateResult {
  std::vector<std::int32_t> ids;       // the generated tokens only
  std::vector<float> logprobs;         // log p(token) under the raw model distribution
  bool stopped_at_eos = false;
};

// REQUIRES: prompt is non-empty. Errors: ids outside the vocabulary, bad options.
StatusOr<GenerateResult> generate(Model& model, const std::vector<std::int32_t>& prompt,
                                  const GenerateOptions& options);

// Checks sampling parameters; errors name the parameter as a CLI flag ("--top-p").
Status validate_sampling(const kernels::SamplingParams& p);

}  // namespace arbor::models
