// arbor bench decode|prefill|runtime|fork: tokens per second of a model on a backend, one JSON
// document (runtime: apps/bench_runtime.cpp).
//
// decode: `batch` sequences are prefilled with a random prompt, then decoded together, one
//   token each per step (greedy), for --tokens steps after 4 warm-up steps. With --cuda-graphs
//   on (backend cuda), the steps after the first of each batch size run as CUDA graphs.
// prefill: `batch` random prompts of --prompt-len tokens are run as one packed step, repeated
//   --repeats times; the median time counts.
// fork (hybrid models): for each --context length, the bytes the first step of a forked child
//   copies (copy-on-write of a partly filled last KV page) next to the bytes of the whole KV
//   cache, and that step's time next to the parent's own next step.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "apps/bench_common.h"
#include "apps/commands.h"
#include "apps/flags.h"
#include "apps/model_flags.h"
#include "core/json.h"
#include "core/random.h"
#include "core/strings.h"
#include "models/model.h"
#include "models/random_checkpoint.h"

namespace arbor::apps {

std::vector<std::int32_t> random_tokens(Rng& rng, std::int64_t n, std::int32_t vocab) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(n));
  for (auto& t : out) t = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(vocab)));
  return out;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Prefills `batch` prompts of `len` tokens, one per slot, as one packed step.
Status prefill(models::Model& model, kernels::StateArena& arena, std::int32_t batch,
               std::int32_t len, Rng& rng, models::StepOutput* out) {
  const std::vector<std::int32_t> tokens =
      random_tokens(rng, std::int64_t{batch} * len, model.config().vocab_size);
  std::vector<kernels::SeqSpan> spans;
  for (std::int32_t b = 0; b < batch; ++b) spans.push_back({b * len, len, kernels::kNoSlot, b});
  return model.forward({tokens, spans, false}, arena, out);
}

}  // namespace

StatusOr<double> bench_decode(models::Model& model, std::int32_t batch, std::int32_t prompt_len,
                              std::int32_t n_tokens) {
  ARBOR_ASSIGN_OR_RETURN(auto arena, model.make_state_arena(batch));
  Rng rng(1);
  models::StepOutput out;
  out.want_logits = false;  // sampled where they are: only the tokens come back
  ARBOR_RETURN_IF_ERROR(prefill(model, *arena, batch, prompt_len, rng, &out));
  std::vector<std::int32_t> next(static_cast<std::size_t>(batch));
  std::vector<kernels::SamplingParams> params(static_cast<std::size_t>(batch));
  std::vector<kernels::SeqSpan> spans;
  for (std::int32_t b = 0; b < batch; ++b) spans.push_back({b, 1, b, b});
  constexpr int kWarmup = 4;
  Clock::time_point t0;
  for (std::int32_t step = 0; step < kWarmup + n_tokens; ++step) {
    if (step == kWarmup) t0 = Clock::now();
    ARBOR_RETURN_IF_ERROR(model.sample_logits(params, nullptr, next.data(), nullptr));
    ARBOR_RETURN_IF_ERROR(model.forward({next, spans, false}, *arena, &out));
  }
  ARBOR_RETURN_IF_ERROR(model.backend().synchronize());
  return std::int64_t{batch} * n_tokens / seconds_since(t0);
}

namespace {

StatusOr<double> bench_prefill(models::Model& model, std::int32_t batch, std::int32_t len,
                               std::int32_t repeats) {
  ARBOR_ASSIGN_OR_RETURN(auto arena, model.make_state_arena(batch));
  Rng rng(2);
  models::StepOutput out;
  ARBOR_RETURN_IF_ERROR(prefill(model, *arena, batch, len, rng, &out));  // warm-up
  std::vector<double> times;
  for (std::int32_t r = 0; r < repeats; ++r) {
    const Clock::time_point t0 = Clock::now();
    ARBOR_RETURN_IF_ERROR(prefill(model, *arena, batch, len, rng, &out));
    ARBOR_RETURN_IF_ERROR(model.backend().synchronize());
    times.push_back(seconds_since(t0));
  }
  std::sort(times.begin(), times.end());
  return std::int64_t{batch} * len / times[times.size() / 2];
}

// The cost of forking a hybrid sequence with `context` tokens: the child's first step (reading
// the parent's slot, writing its own) against the parent's own next step, and the bytes that
// step copied (copy-on-write of a partly filled last KV page) against the bytes of the whole KV
// cache of that context.
StatusOr<Json> bench_fork(models::Model& model, std::int32_t context) {
  const std::int64_t per_token = model.kv_bytes_per_token();
  if (per_token == 0) {
    return Status::invalid_argument(
        "bench fork: the model has no attention layers (a Mamba fork copies nothing)");
  }
  const std::int32_t page = model.kv_page_size();
  ARBOR_ASSIGN_OR_RETURN(auto arena, model.make_state_arena(2, 2 * (context / page + 3)));
  Rng rng(3);
  const std::vector<std::int32_t> tokens =
      random_tokens(rng, std::int64_t{context} + 2, model.config().vocab_size);
  models::StepOutput out;
  constexpr std::int32_t kChunk = 512;
  for (std::int32_t t = 0; t < context; t += kChunk) {
    const std::int32_t n = std::min(kChunk, context - t);
    const kernels::SeqSpan span{0, n, t == 0 ? kernels::kNoSlot : 0, 0};
    ARBOR_RETURN_IF_ERROR(model.forward(
        {std::span<const std::int32_t>(tokens.data() + t, static_cast<std::size_t>(n)),
         {&span, 1}, false},
        *arena, &out));
  }
  kernels::Backend& be = model.backend();
  const std::uint64_t before = be.bytes_copied();
  const kernels::SeqSpan child{0, 1, 0, 1};
  Clock::time_point t0 = Clock::now();
  ARBOR_RETURN_IF_ERROR(model.forward({{&tokens[static_cast<std::size_t>(context)], 1},
                                       {&child, 1}, false},
                                      *arena, &out));
  const double child_s = seconds_since(t0);
  const std::uint64_t copied = be.bytes_copied() - before;
  const kernels::SeqSpan parent{0, 1, 0, 0};
  t0 = Clock::now();
  ARBOR_RETURN_IF_ERROR(model.forward({{&tokens[static_cast<std::size_t>(context) + 1], 1},
                                       {&parent, 1}, false},
                                      *arena, &out));
  const double parent_s = seconds_since(t0);
  return Json{{"context", context},
              {"page_size", page},
              {"fork_bytes_copied", copied},
              {"whole_kv_bytes", std::int64_t{context} * per_token},
              {"child_first_step_ms", std::round(child_s * 1e5) / 100},
              {"parent_next_step_ms", std::round(parent_s * 1e5) / 100}};
}

Status run_bench(int argc, char** argv) {
  ARBOR_ASSIGN_OR_RETURN(Flags flags, Flags::parse(argc, argv, 2,
                                                   {{"--model", true},
                                                    {"--backend", true},
                                                    {"--batch", true},
                                                    {"--tokens", true},
                                                    {"--prompt-len", true},
                                                    {"--repeats", true},
                                                    {"--concurrency", true},
                                                    {"--rounds", true},
                                                    {"--context", true},
                                                    {"--dtype", true},
                                                    {"--cuda-graphs", true},
                                                    {"--json", false}}));
  if (flags.positional().size() != 1) {
    return Status::invalid_argument(
        "usage: arbor bench decode|prefill|runtime|fork --model DIR ...");
  }
  const std::string mode = flags.positional()[0];
  if (mode == "runtime") return run_bench_runtime(flags);
  const std::string backend_name = flags.get("--backend").value_or("cpu");
  ARBOR_ASSIGN_OR_RETURN(models::ModelOptions options, model_options(flags));
  if (mode == "fork") {
    ARBOR_ASSIGN_OR_RETURN(std::string dir, flags.require("--model"));
    ARBOR_ASSIGN_OR_RETURN(std::vector<std::int64_t> contexts,
                           parse_int_list(flags.get("--context").value_or("2048,8192"),
                                          "--context"));
    ARBOR_ASSIGN_OR_RETURN(auto model, models::Model::open(dir, options));
    Json results = Json::array();
    for (std::int64_t ctx : contexts) {
      if (ctx < 1 || ctx > (1 << 20)) {
        return Status::invalid_argument("--context values must be in [1, 1048576]");
      }
      ARBOR_ASSIGN_OR_RETURN(Json r, bench_fork(*model, static_cast<std::int32_t>(ctx)));
      results.push_back(std::move(r));
    }
    print_json_line(Json({{"bench", "fork"}, {"model", dir}, {"results", results}}).dump(1));
    return Status();
  }
  if (mode != "decode" && mode != "prefill") {
    return Status::invalid_argument("unknown bench '" + mode +
                                    "' (expected decode, prefill, runtime or fork)");
  }
  ARBOR_ASSIGN_OR_RETURN(std::string dir, flags.require("--model"));
  ARBOR_ASSIGN_OR_RETURN(std::vector<std::int64_t> batches,
                         parse_int_list(flags.get("--batch").value_or("1"), "--batch"));
  const bool decode = mode == "decode";
  ARBOR_ASSIGN_OR_RETURN(std::int64_t n_tokens, flags.get_int("--tokens", 128));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t prompt_len,
                         flags.get_int("--prompt-len", decode ? 64 : 512));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t repeats, flags.get_int("--repeats", 5));
  for (std::int64_t b : batches) {
    if (b < 1 || b > 4096) return Status::invalid_argument("--batch sizes must be in [1, 4096]");
  }
  if (n_tokens < 1 || prompt_len < 1 || repeats < 1) {
    return Status::invalid_argument("--tokens, --prompt-len and --repeats must be >= 1");
  }
  ARBOR_ASSIGN_OR_RETURN(auto model, models::Model::open(dir, options));

  Json results = Json::array();
  for (std::int64_t b : batches) {
    const auto batch = static_cast<std::int32_t>(b);
    StatusOr<double> tps = decode ? bench_decode(*model, batch, static_cast<std::int32_t>(prompt_len),
                                                 static_cast<std::int32_t>(n_tokens))
                                  : bench_prefill(*model, batch, static_cast<std::int32_t>(prompt_len),
                                                  static_cast<std::int32_t>(repeats));
    ARBOR_RETURN_IF_ERROR(tps.status());
    results.push_back({{"batch", batch}, {"tokens_per_s", std::round(*tps * 10) / 10}});
  }
  const models::ModelConfig& c = model->config();
  Json doc = {{"bench", mode},
              {"model", dir},
              {"arch", std::string(models::arch_name(c.arch))},
              {"backend", backend_name},
              {"weight_dtype", std::string(dtype_name(model->backend().weight_dtype()))},
              {"prompt_tokens", prompt_len},
              {"results", results}};
  if (decode) {
    doc["new_tokens"] = n_tokens;
    const kernels::Backend::GraphStats g = model->backend().graph_stats();
    doc["cuda_graphs"] = Json{{"enabled", model->cuda_graphs()},
                              {"captured", g.captured},
                              {"launched", g.launched},
                              {"fallbacks", g.fallbacks}};
  }
  print_json_line(doc.dump(1));
  return Status();
}

Status run_random_model(int argc, char** argv) {
  ARBOR_ASSIGN_OR_RETURN(Flags flags, Flags::parse(argc, argv, 2,
                                                   {{"--config", true},
                                                    {"--out", true},
                                                    {"--seed", true}}));
  ARBOR_ASSIGN_OR_RETURN(std::string config_path, flags.require("--config"));
  ARBOR_ASSIGN_OR_RETURN(std::string out, flags.require("--out"));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t seed, flags.get_int("--seed", 0));
  ARBOR_ASSIGN_OR_RETURN(Json config, read_json_file(config_path));
  ARBOR_RETURN_IF_ERROR(
      models::save_random_checkpoint(config, out, static_cast<std::uint64_t>(seed)));
  print_json_line(Json({{"model", out}}).dump());
  return Status();
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  Status s = run_bench(argc, argv);
  return s.ok() ? 0 : report_error("bench", s);
}

int cmd_random_model(int argc, char** argv) {
  Status s = run_random_model(argc, argv);
  return s.ok() ? 0 : report_error("random-model", s);
}

}  // namespace arbor::apps
