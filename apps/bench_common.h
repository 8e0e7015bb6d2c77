// Helpers shared by the arbor bench modes (apps/cmd_bench.cpp, apps/bench_runtime.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "apps/flags.h"
#include "core/random.h"
#include "core/status.h"
#include "models/model.h"

namespace arbor::apps {

std::vector<std::int32_t> random_tokens(Rng& rng, std::int64_t n, std::int32_t vocab);
// Tokens/s of `batch` sequences decoded as one fixed batch (greedy) for `n_tokens` steps after
// a `prompt_len`-token prefill and 4 warm-up steps.
StatusOr<double> bench_decode(models::Model& model, std::int32_t batch, std::int32_t prompt_len,
                              std::int32_t n_tokens);
Status run_bench_runtime(const Flags& flags);

}  // namespace arbor::apps
