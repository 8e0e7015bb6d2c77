// arbor search: one problem through one search algorithm, printing the result and its tree.
// arbor search-eval: greedy and each algorithm at each budget over a problem file (agents/
// search_eval.h), printing the report.
#include <cstdio>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "agents/arith_answers.h"
#include "agents/engine_language_model.h"
#include "agents/search_eval.h"
#include "agents/verifiers.h"
#include "apps/commands.h"
#include "apps/flags.h"
#include "core/file.h"
#include "core/json.h"
#include "core/strings.h"
#include "models/model.h"
#include "runtime/engine.h"
#include "search/algorithm.h"
#include "search/evaluator.h"

namespace arbor::apps {
namespace {

StatusOr<std::unique_ptr<runtime::Engine>> open_engine(const Flags& flags) {
  ARBOR_ASSIGN_OR_RETURN(std::string dir, flags.require("--model"));
  ARBOR_ASSIGN_OR_RETURN(kernels::DeviceKind device,
                         kernels::parse_device_kind(flags.get("--backend").value_or("cpu")));
  ARBOR_ASSIGN_OR_RETURN(auto model, models::Model::open(dir, {device}));
  if (model->tokenizer() == nullptr) {
    return Status::failed_precondition(dir + ": the model folder has no tokenizer.json");
  }
  return runtime::Engine::create(std::move(model));
}

// A JSON flag: inline JSON ("{...}") or the path of a JSON file.
StatusOr<Json> json_flag(const Flags& flags, const char* name) {
  const std::optional<std::string> v = flags.get(name);
  if (!v) return Json(nullptr);
  if (starts_with(trim(*v), "{")) return parse_json(*v, name);
  return read_json_file(*v);
}

Status run_search(int argc, char** argv) {
  ARBOR_ASSIGN_OR_RETURN(Flags flags, Flags::parse(argc, argv, 2,
                                                   {{"--model", true},
                                                    {"--backend", true},
                                                    {"--question", true},
                                                    {"--algorithm", true},
                                                    {"--config", true},
                                                    {"--evaluator", true},
                                                    {"--prompts", true},
                                                    {"--max-tokens", true},
                                                    {"--max-calls", true},
                                                    {"--seed", true},
                                                    {"--no-tree", false}}));
  ARBOR_ASSIGN_OR_RETURN(std::string question, flags.require("--question"));
  ARBOR_ASSIGN_OR_RETURN(Json config, json_flag(flags, "--config"));
  if (config.is_null()) config = Json::object();
  if (!config.is_object()) return Status::invalid_argument("--config: must be a JSON object");
  if (auto name = flags.get("--algorithm")) config["algorithm"] = *name;
  if (!config.contains("algorithm")) {
    return Status::invalid_argument("--algorithm: missing (or give \"algorithm\" in --config)");
  }
  ARBOR_ASSIGN_OR_RETURN(auto algorithm, search::make_algorithm(config, "--config"));
  ARBOR_ASSIGN_OR_RETURN(Json prompts_json, json_flag(flags, "--prompts"));
  search::RunOptions o;
  ARBOR_ASSIGN_OR_RETURN(o.prompts, search::Prompts::from_json(prompts_json, "--prompts"));
  o.answers = agents::arith_answer_rules();
  ARBOR_ASSIGN_OR_RETURN(o.budget.max_tokens, flags.get_int("--max-tokens", 0));
  ARBOR_ASSIGN_OR_RETURN(o.budget.max_calls, flags.get_int("--max-calls", 0));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t seed, flags.get_int("--seed", 1));
  o.seed = static_cast<std::uint64_t>(seed);
  ARBOR_ASSIGN_OR_RETURN(Json evaluator_json, json_flag(flags, "--evaluator"));
  std::unique_ptr<search::Evaluator> evaluator;
  if (!evaluator_json.is_null() || algorithm->needs_evaluator()) {
    if (evaluator_json.is_null()) evaluator_json = Json{{"kind", "verdict"}};
    ARBOR_ASSIGN_OR_RETURN(
        evaluator, search::make_evaluator(evaluator_json, agents::env_verifiers(), "--evaluator"));
    o.evaluator = evaluator.get();
  }
  ARBOR_ASSIGN_OR_RETURN(auto engine, open_engine(flags));
  agents::EngineLanguageModel lm(*engine);
  boost::asio::io_context io;
  StatusOr<search::SearchResult> result = Status::internal("the search did not finish");
  boost::asio::co_spawn(io, search::run_search(*algorithm, lm, {"cli", question}, o),
                        [&](std::exception_ptr e, StatusOr<search::SearchResult> r) {
                          if (e) {
                            result = Status::internal("the search threw an exception");
                          } else {
                            result = std::move(r);
                          }
                        });
  io.run();
  ARBOR_RETURN_IF_ERROR(result.status());
  print_json_line(json_dump(result->to_json(!flags.has("--no-tree"))));
  return Status();
}

Status run_search_eval(int argc, char** argv) {
  ARBOR_ASSIGN_OR_RETURN(Flags flags, Flags::parse(argc, argv, 2,
                                                   {{"--model", true},
                                                    {"--backend", true},
                                                    {"--problems", true},
                                                    {"--limit", true},
                                                    {"--algorithms", true},
                                                    {"--budgets", true},
                                                    {"--config", true},
                                                    {"--seed", true},
                                                    {"--concurrency", true},
                                                    {"--bootstrap", true},
                                                    {"--trees", true},
                                                    {"--out", true},
                                                    {"--per-problem", false}}));
  ARBOR_ASSIGN_OR_RETURN(std::string problems_path, flags.require("--problems"));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t limit, flags.get_int("--limit", 0));
  agents::SearchEvalOptions o;
  if (auto a = flags.get("--algorithms")) o.algorithms = split(*a, ',');
  if (auto b = flags.get("--budgets")) o.budgets = split(*b, ',');
  ARBOR_ASSIGN_OR_RETURN(o.config, json_flag(flags, "--config"));
  if (o.config.is_null()) o.config = Json::object();
  ARBOR_ASSIGN_OR_RETURN(std::int64_t seed, flags.get_int("--seed", 1));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t concurrency, flags.get_int("--concurrency", 16));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t bootstrap, flags.get_int("--bootstrap", 2000));
  if (limit < 0 || concurrency < 1 || concurrency > 4096 || bootstrap < 1) {
    return Status::invalid_argument(
        "--limit must be >= 0, --concurrency in [1, 4096], --bootstrap >= 1");
  }
  o.seed = static_cast<std::uint64_t>(seed);
  o.concurrency = static_cast<std::int32_t>(concurrency);
  o.bootstrap = static_cast<std::int32_t>(bootstrap);
  o.trees_dir = flags.get("--trees").value_or("");
  o.per_problem = flags.has("--per-problem");
  o.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  ARBOR_ASSIGN_OR_RETURN(auto problems, agents::read_problems(problems_path, limit));
  ARBOR_ASSIGN_OR_RETURN(auto engine, open_engine(flags));
  ARBOR_ASSIGN_OR_RETURN(Json report, agents::run_search_eval(*engine, problems, o));
  const std::string text = report.dump(1);
  if (auto out = flags.get("--out")) ARBOR_RETURN_IF_ERROR(write_file_atomic(*out, text + "\n"));
  print_json_line(text);
  return Status();
}

}  // namespace

int cmd_search(int argc, char** argv) {
  Status s = run_search(argc, argv);
  return s.ok() ? 0 : report_error("search", s);
}

int cmd_search_eval(int argc, char** argv) {
  Status s = run_search_eval(argc, argv);
  return s.ok() ? 0 : report_error("search-eval", s);
}

}  // namespace arbor::apps
