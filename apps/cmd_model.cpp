// arbor logits / arbor generate: run a checkpoint folder on one sequence.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/flags.h"
#include "apps/model_flags.h"
#include "core/json.h"
#include "core/strings.h"
#include "models/generate.h"
#include "models/model.h"

namespace arbor::apps {

StatusOr<models::ModelOptions> model_options(const Flags& flags) {
  models::ModelOptions options;
  ARBOR_ASSIGN_OR_RETURN(options.device,
                         kernels::parse_device_kind(flags.get("--backend").value_or("cpu")));
  if (const auto dtype = flags.get("--dtype")) {
    if (*dtype == "fp32") {
      options.weight_dtype = DType::kF32;
    } else if (*dtype == "bf16") {
      options.weight_dtype = DType::kBF16;
    } else {
      return Status::invalid_argument("--dtype must be fp32 or bf16, not '" + *dtype + "'");
    }
  }
  if (const auto graphs = flags.get("--cuda-graphs")) {
    if (*graphs != "on" && *graphs != "off") {
      return Status::invalid_argument("--cuda-graphs must be on or off, not '" + *graphs + "'");
    }
    options.cuda_graphs = *graphs == "on";
  }
  return options;
}

namespace {

StatusOr<std::unique_ptr<models::Model>> open_model(const Flags& flags) {
  ARBOR_ASSIGN_OR_RETURN(std::string dir, flags.require("--model"));
  ARBOR_ASSIGN_OR_RETURN(models::ModelOptions options, model_options(flags));
  return models::Model::open(dir, options);
}

StatusOr<std::vector<std::int32_t>> parse_ids(const std::string& text, std::int32_t vocab) {
  ARBOR_ASSIGN_OR_RETURN(std::vector<std::int64_t> ids, parse_int_list(text, "--ids"));
  std::vector<std::int32_t> out;
  for (std::int64_t id : ids) {
    if (id < 0 || id >= vocab) {
      return Status::out_of_range("--ids: token id " + std::to_string(id) +
                                  " is outside the vocabulary [0, " + std::to_string(vocab) +
                                  ")");
    }
    out.push_back(static_cast<std::int32_t>(id));
  }
  return out;
}

// JSON numbers for logits: floats printed with 9 significant digits round-trip exactly.
Json float_array(const float* x, std::int32_t n) {
  Json a = Json::array();
  for (std::int32_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) {
      a.push_back(nullptr);
    } else {
      a.push_back(static_cast<double>(x[i]));
    }
  }
  return a;
}

Status run_logits(int argc, char** argv) {
  ARBOR_ASSIGN_OR_RETURN(Flags flags, Flags::parse(argc, argv, 2,
                                                   {{"--model", true},
                                                    {"--ids", true},
                                                    {"--all-positions", false},
                                                    {"--backend", true},
                                                    {"--dtype", true}}));
  ARBOR_ASSIGN_OR_RETURN(std::string ids_text, flags.require("--ids"));
  ARBOR_ASSIGN_OR_RETURN(auto model, open_model(flags));
  const std::int32_t vocab = model->config().vocab_size;
  ARBOR_ASSIGN_OR_RETURN(std::vector<std::int32_t> ids, parse_ids(ids_text, vocab));
  ARBOR_ASSIGN_OR_RETURN(auto arena, model->make_state_arena(1));
  const bool all = flags.has("--all-positions");
  const kernels::SeqSpan span{0, static_cast<std::int32_t>(ids.size()), kernels::kNoSlot, 0};
  models::StepOutput out;
  ARBOR_RETURN_IF_ERROR(model->forward({ids, {&span, 1}, all}, *arena, &out));
  Json result;
  if (all) {
    result["logits"] = Json::array();
    for (std::size_t t = 0; t < ids.size(); ++t) {
      result["logits"].push_back(float_array(out.logits.data() + t * vocab, vocab));
    }
  } else {
    result["logits"] = float_array(out.logits.data(), vocab);
  }
  print_json_line(json_dump(result));
  return Status();
}

Status run_generate(int argc, char** argv) {
  ARBOR_ASSIGN_OR_RETURN(
      Flags flags, Flags::parse(argc, argv, 2,
                                {{"--model", true}, {"--prompt", true}, {"--ids", true},
                                 {"--max-tokens", true}, {"--temperature", true},
                                 {"--top-k", true}, {"--top-p", true}, {"--min-p", true},
                                 {"--seed", true}, {"--json", false}, {"--ignore-eos", false},
                                 {"--backend", true}, {"--dtype", true}}));
  if (flags.has("--prompt") == flags.has("--ids")) {
    return Status::invalid_argument("give exactly one of --prompt TEXT or --ids LIST");
  }
  models::GenerateOptions opts;
  ARBOR_ASSIGN_OR_RETURN(std::int64_t max_tokens, flags.get_int("--max-tokens", 64));
  ARBOR_ASSIGN_OR_RETURN(double temperature, flags.get_double("--temperature", 0.0));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t top_k, flags.get_int("--top-k", 0));
  ARBOR_ASSIGN_OR_RETURN(double top_p, flags.get_double("--top-p", 1.0));
  ARBOR_ASSIGN_OR_RETURN(double min_p, flags.get_double("--min-p", 0.0));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t seed, flags.get_int("--seed", 0));
  if (max_tokens < 0 || max_tokens > 1'000'000) {
    return Status::invalid_argument("--max-tokens must be between 0 and 1000000");
  }
  if (top_k < 0 || top_k > 1'000'000'000) return Status::invalid_argument("--top-k must be >= 0");
  opts.max_tokens = static_cast<std::int32_t>(max_tokens);
  opts.sampling = {static_cast<float>(temperature), static_cast<std::int32_t>(top_k),
                   static_cast<float>(top_p), static_cast<float>(min_p)};
  opts.seed = static_cast<std::uint64_t>(seed);
  opts.stop_at_eos = !flags.has("--ignore-eos");
  ARBOR_RETURN_IF_ERROR(models::validate_sampling(opts.sampling));

  ARBOR_ASSIGN_OR_RETURN(auto model, open_model(flags));
  const models::Tokenizer* tok = model->tokenizer();
  std::vector<std::int32_t> prompt;
  if (flags.has("--prompt")) {
    if (tok == nullptr) {
      return Status::invalid_argument(model->dir() +
                                      ": no tokenizer.json in the model folder; use --ids");
    }
    prompt = tok->encode(*flags.get("--prompt"));
    if (prompt.empty()) return Status::invalid_argument("--prompt: encodes to no tokens");
  } else {
    ARBOR_ASSIGN_OR_RETURN(prompt, parse_ids(*flags.get("--ids"), model->config().vocab_size));
  }
  const bool json = flags.has("--json");
  if (!json && tok != nullptr) {
    // Stream text as it is produced; bytes of a partial UTF-8 character wait for the rest.
    opts.on_token = [tok](std::int32_t id) {
      if (id >= tok->vocab_size()) return;
      const std::string piece = tok->token_bytes(id);
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    };
  }
  ARBOR_ASSIGN_OR_RETURN(models::GenerateResult result, models::generate(*model, prompt, opts));
  std::string text;
  if (tok != nullptr) {
    ARBOR_ASSIGN_OR_RETURN(text, tok->decode(result.ids));
  }
  if (json) {
    Json out;
    out["ids"] = result.ids;
    out["text"] = text;
    print_json_line(json_dump(out));
  } else if (tok == nullptr) {
    std::string line;
    for (std::size_t i = 0; i < result.ids.size(); ++i) {
      if (i > 0) line += ',';
      line += std::to_string(result.ids[i]);
    }
    print_json_line(line);
  } else {
    std::fputc('\n', stdout);
  }
  return Status();
}

}  // namespace

int cmd_logits(int argc, char** argv) {
  Status s = run_logits(argc, argv);
  return s.ok() ? 0 : report_error("logits", s);
}

int cmd_generate(int argc, char** argv) {
  Status s = run_generate(argc, argv);
  return s.ok() ? 0 : report_error("generate", s);
}

}  // namespace arbor::apps
