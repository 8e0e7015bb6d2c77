#include "models/generate.h"

#include <cmath>

namespace arbor::models {

Status validate_sampling(const kernels::SamplingParams& p) {
  if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature)) {
    return Status::invalid_argument("--temperature must be >= 0");
  }
  if (p.top_k < 0) return Status::invalid_argument("--top-k must be >= 0");
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) {
    return Status::invalid_argument("--top-p must be in (0, 1]");
  }
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) {
    return Status::invalid_argument("--min-p must be in [0, 1]");
  }
  return Status();
}

StatusOr<GenerateResult> generate(Model& model, const std::vector<std::int32_t>& prompt,
                                  const GenerateOptions& options) {
  ARBOR_RETURN_IF_ERROR(validate_sampling(options.sampling));
  if (prompt.empty()) return Status::invalid_argument("generate: empty prompt");
  if (options.max_tokens < 0) return Status::invalid_argument("--max-tokens must be >= 0");
  ARBOR_ASSIGN_OR_RETURN(auto arena, model.make_state_arena(1));
  Rng rng(options.seed);
  GenerateResult result;
  StepOutput out;
  out.want_logits = false;  // sampled on the backend; only the token comes back
  std::vector<std::int32_t> tokens = prompt;
  std::int32_t src = kernels::kNoSlot;
  for (std::int32_t i = 0; i < options.max_tokens; ++i) {
    const kernels::SeqSpan span{0, static_cast<std::int32_t>(tokens.size()), src, 0};
    ARBOR_RETURN_IF_ERROR(model.forward({tokens, {&span, 1}, false}, *arena, &out));
    src = 0;
    std::int32_t next = 0;
    float logprob = 0.0f;
    ARBOR_RETURN_IF_ERROR(model.sample_logits({&options.sampling, 1}, &rng, &next, &logprob));
    result.ids.push_back(next);
    result.logprobs.push_back(logprob);
    if (options.on_token) options.on_token(next);
    if (options.stop_at_eos && model.config().eos_token_id == next) {
      result.stopped_at_eos = true;
      break;
    }
    tokens.assign(1, next);
  }
  return result;
}

}  // namespace arbor::models
