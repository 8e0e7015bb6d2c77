#include "agents/search_eval.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "agents/arith_answers.h"
#include "agents/engine_language_model.h"
#include "agents/stats.h"
#include "agents/turn_stats.h"
#include "agents/verifiers.h"
#include "core/file.h"
#include "core/strings.h"
#include "search/algorithm.h"
#include "search/evaluator.h"
#include "search/seeds.h"

namespace arbor::agents {

namespace asio = boost::asio;

StatusOr<std::vector<EvalProblem>> read_problems(const std::string& path, std::int64_t limit) {
  ARBOR_ASSIGN_OR_RETURN(std::string text, read_file(path));
  std::vector<EvalProblem> out;
  std::int64_t line_no = 0;
  for (const std::string& line : split(text, '\n')) {
    ++line_no;
    if (trim(line).empty()) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    ARBOR_ASSIGN_OR_RETURN(Json j, parse_json(line, where));
    EvalProblem p;
    ARBOR_ASSIGN_OR_RETURN(p.id, json_get<std::string>(j, "id", where));
    ARBOR_ASSIGN_OR_RETURN(p.question, json_get<std::string>(j, "question", where));
    ARBOR_ASSIGN_OR_RETURN(p.answer, json_get<std::string>(j, "answer", where));
    out.push_back(std::move(p));
    if (limit > 0 && static_cast<std::int64_t>(out.size()) >= limit) break;
  }
  if (out.empty()) return Status::invalid_argument(path + ": no problems");
  return out;
}

namespace {

// One algorithm (or greedy) at one budget over every problem.
struct Condition {
  std::string algorithm;
  std::string budget;  // "" for greedy
  std::int64_t max_tokens = 0;
  Json config;
  Json evaluator;
  std::vector<double> correct, pass, k, tokens, calls, seconds;
  std::vector<std::optional<std::string>> answers;
  std::map<std::string, std::int64_t> stops;
  double wall_seconds = 0;
  runtime::Metrics before, after;
  TurnStats turns;  // algorithms that correct chains of answers (self_refine, sets)
};

double mean_batch_between(const runtime::Metrics& a, const runtime::Metrics& b) {
  double seqs = 0, steps = 0;
  for (const auto& [n, count] : b.batch_histogram) {
    auto it = a.batch_histogram.find(n);
    const double d = static_cast<double>(count - (it == a.batch_histogram.end() ? 0 : it->second));
    seqs += d * n;
    steps += d;
  }
  return steps > 0 ? seqs / steps : 0;
}

Task<Status> worker(search::LanguageModel& lm, const search::Algorithm& algorithm,
                    const std::vector<EvalProblem>& problems, search::RunOptions base,
                    std::uint64_t seed, std::size_t* next, Condition* out,
                    const std::string& trees_dir) {
  while (*next < problems.size()) {
    const std::size_t i = (*next)++;
    search::RunOptions o = base;
    o.seed = search::derive_seed(seed, i);
    // (A named Problem: GCC 12 mishandles braced temporaries inside co_await expressions.)
    search::Problem problem{problems[i].id, problems[i].question};
    StatusOr<search::SearchResult> r =
        co_await search::run_search(algorithm, lm, std::move(problem), std::move(o));
    if (!r.ok()) co_return r.status().with_context("problem " + problems[i].id);
    const std::string gold = problems[i].answer;
    const search::ResultScore s =
        search::score_result(*r, [&](std::string_view a) { return arith_answer_correct(a, gold); });
    out->correct[i] = s.correct ? 1 : 0;
    out->pass[i] = s.pass_at_k ? 1 : 0;
    out->k[i] = s.k;
    out->tokens[i] = static_cast<double>(r->usage.tokens);
    out->calls[i] = static_cast<double>(r->usage.calls);
    out->seconds[i] = r->usage.seconds;
    out->answers[i] = r->answer;
    if (has_answer_chains(algorithm.name())) {
      out->turns.add(*r, [&](std::string_view a) { return arith_answer_correct(a, gold); });
    }
    out->stops[search::stop_reason_name(r->stop)]++;
    if (!trees_dir.empty()) {
      Json j = r->to_json(true);
      j["gold"] = gold;
      j["correct"] = s.correct;
      j["pass_at_k"] = s.pass_at_k;
      if (Status w = write_file_atomic(join_path(trees_dir, problems[i].id + ".json"), j.dump(1));
          !w.ok()) {
        co_return w;
      }
    }
  }
  co_return Status();
}

Status run_condition(runtime::Engine& engine, search::LanguageModel& lm,
                     const std::vector<EvalProblem>& problems, const search::Algorithm& algorithm,
                     const search::RunOptions& base, const SearchEvalOptions& options,
                     Condition& c) {
  const std::size_t n = problems.size();
  for (auto* v : {&c.correct, &c.pass, &c.k, &c.tokens, &c.calls, &c.seconds}) v->assign(n, 0);
  c.answers.assign(n, std::nullopt);
  std::string trees;
  if (!options.trees_dir.empty()) {
    trees = join_path(options.trees_dir,
                      c.algorithm + (c.budget.empty() ? std::string() : "@" + c.budget));
    std::error_code ec;
    std::filesystem::create_directories(trees, ec);
    if (ec) return Status::invalid_argument(trees + ": cannot create the folder: " + ec.message());
  }
  c.before = engine.metrics();
  const auto t0 = std::chrono::steady_clock::now();
  asio::io_context io;
  std::size_t next = 0;
  Status first_error;
  const std::int32_t workers = std::max<std::int32_t>(
      1, std::min<std::int32_t>(options.concurrency, static_cast<std::int32_t>(n)));
  for (std::int32_t w = 0; w < workers; ++w) {
    asio::co_spawn(io, worker(lm, algorithm, problems, base, options.seed, &next, &c, trees),
                   [&](std::exception_ptr e, Status s) {
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         s = Status::internal(std::string("search failed: ") + ex.what());
                       }
                     }
                     if (!s.ok() && first_error.ok()) {
                       first_error = s;
                       next = problems.size();  // the other workers stop after their problem
                     }
                   });
  }
  io.run();
  c.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  c.after = engine.metrics();
  return first_error;
}

Json interval_json(const PairedDifference& d) {
  return {{"accuracy_diff", d.mean}, {"ci95", {d.ci.lo, d.ci.hi}}};
}

Json condition_json(const Condition& c, const std::vector<EvalProblem>& problems,
                    bool per_problem) {
  double total_tokens = 0;
  for (double t : c.tokens) total_tokens += t;
  const auto generated = static_cast<double>(c.after.tokens_generated - c.before.tokens_generated);
  Json j = {{"algorithm", c.algorithm},
            {"budget", c.budget.empty() ? Json(nullptr) : Json(c.budget)},
            {"max_tokens", c.max_tokens > 0 ? Json(c.max_tokens) : Json(nullptr)},
            {"config", c.config},
            {"evaluator", c.evaluator},
            {"accuracy", mean(c.correct)},
            {"pass_at_k", mean(c.pass)},
            {"mean_k", mean(c.k)},
            {"mean_tokens", mean(c.tokens)},
            {"mean_calls", mean(c.calls)},
            {"mean_seconds", mean(c.seconds)},
            {"wall_seconds", c.wall_seconds},
            {"stops", c.stops},
            {"engine",
             {{"tokens_generated", c.after.tokens_generated - c.before.tokens_generated},
              {"requests", c.after.requests - c.before.requests},
              {"steps", c.after.steps - c.before.steps},
              {"mean_batch", mean_batch_between(c.before, c.after)}}},
            {"tokens_match_engine", total_tokens == generated}};
  if (c.turns.chains() > 0) j["turns"] = c.turns.to_json();
  if (per_problem) {
    Json rows = Json::array();
    for (std::size_t i = 0; i < problems.size(); ++i) {
      rows.push_back({{"id", problems[i].id},
                      {"gold", problems[i].answer},
                      {"answer", c.answers[i] ? Json(*c.answers[i]) : Json(nullptr)},
                      {"correct", c.correct[i] > 0},
                      {"pass_at_k", c.pass[i] > 0},
                      {"tokens", c.tokens[i]},
                      {"calls", c.calls[i]}});
    }
    j["per_problem"] = std::move(rows);
  }
  return j;
}

// The default fields of `name` at budget `max_tokens`, given greedy's mean tokens.
Json default_config(const std::string& name, std::int64_t max_tokens, double greedy_tokens) {
  const double ratio = static_cast<double>(max_tokens) / std::max(greedy_tokens, 1.0);
  if (name == "self_consistency" || name == "best_of_n" || name == "weighted_vote") {
    return {{"n", 0}};
  }
  if (name == "beam_search" || name == "dvts") {
    const auto n = static_cast<std::int64_t>(std::lround(ratio / 4.0)) * 4;
    return {{"n", std::clamp<std::int64_t>(n, 4, 256)}, {"m", 4}};
  }
  if (name == "step_mcts") return {{"iterations", 100000}, {"parallel", 4}};
  if (name == "mctsr") return {{"iterations", 100000}};
  if (name == "sets") {
    return {{"m", std::clamp<std::int64_t>(std::lround(ratio / 2.0), 1, 64)}};
  }
  if (name == "self_refine") return {{"rounds", 1000}};
  return Json::object();
}

Json default_evaluator(const std::string& name, bool has_prm) {
  if (name == "beam_search" || name == "dvts" || name == "step_mcts") {
    return has_prm ? Json{{"kind", "prm"}} : Json{{"kind", "verdict"}};
  }
  return {{"kind", "verdict"}};
}

StatusOr<std::int64_t> parse_budget(const std::string& spec, double greedy_tokens) {
  if (ends_with(spec, "x")) {
    ARBOR_ASSIGN_OR_RETURN(double k, parse_double(spec.substr(0, spec.size() - 1), "--budgets"));
    if (k <= 0) return Status::invalid_argument("--budgets: '" + spec + "' must be above 0x");
    return std::max<std::int64_t>(1, std::llround(k * greedy_tokens));
  }
  ARBOR_ASSIGN_OR_RETURN(std::int64_t t, parse_int(spec, "--budgets"));
  if (t < 1) return Status::invalid_argument("--budgets: '" + spec + "' must be >= 1 token");
  return t;
}

}  // namespace

StatusOr<Json> run_search_eval(runtime::Engine& engine, const std::vector<EvalProblem>& problems,
                               const SearchEvalOptions& options) {
  if (problems.empty()) return Status::invalid_argument("search-eval: no problems");
  if (engine.tokenizer() == nullptr) {
    return Status::failed_precondition(engine.model().dir() +
                                       ": the model folder has no tokenizer.json");
  }
  const Json& cfg = options.config.is_null() ? Json::object() : options.config;
  if (!cfg.is_object()) return Status::invalid_argument("config: must be an object");
  for (const auto& [key, v] : cfg.items()) {
    if (key != "algorithms" && key != "evaluators" && key != "prompts" && key != "greedy") {
      return Status::invalid_argument("config: unknown field '" + key +
                                      "' (known: algorithms, evaluators, prompts, greedy)");
    }
  }
  ARBOR_ASSIGN_OR_RETURN(
      search::Prompts prompts,
      search::Prompts::from_json(cfg.value("prompts", Json()), "config.prompts"));
  const Json overrides = cfg.value("algorithms", Json::object());
  const Json evaluators = cfg.value("evaluators", Json::object());
  for (const std::string& name : options.algorithms) {
    const auto& known = search::algorithm_names();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      return Status::invalid_argument("--algorithms: unknown algorithm '" + name +
                                      "' (known: " + list + ")");
    }
  }
  EngineLanguageModel lm(engine);
  search::RunOptions base;
  base.prompts = prompts;
  base.answers = arith_answer_rules();
  const bool has_prm = engine.value_heads().count("prm") > 0;
  const search::Verifiers verifiers = env_verifiers();
  std::vector<Condition> conditions;
  auto report = [&](const Condition& c) {
    if (options.progress) {
      options.progress(c.algorithm + (c.budget.empty() ? "" : " @" + c.budget) + ": accuracy " +
                       json_dump(mean(c.correct)) + ", mean tokens " + json_dump(mean(c.tokens)) +
                       ", " + json_dump(c.wall_seconds) + " s");
    }
  };

  // Greedy decoding: the baseline and the unit of "Kx" budgets.
  {
    Condition g;
    g.algorithm = "greedy";
    Json greedy_config = cfg.value("greedy", Json::object());
    if (!greedy_config.is_object())
      return Status::invalid_argument("config.greedy: must be an object");
    greedy_config["algorithm"] = "cot";
    greedy_config["temperature"] = 0;
    ARBOR_ASSIGN_OR_RETURN(auto cot, search::make_algorithm(greedy_config, "config.greedy"));
    g.config = cot->config();
    g.evaluator = nullptr;
    ARBOR_RETURN_IF_ERROR(run_condition(engine, lm, problems, *cot, base, options, g));
    report(g);
    conditions.push_back(std::move(g));
  }
  const double greedy_tokens = mean(conditions[0].tokens);

  Json budgets = Json::array();
  for (const std::string& spec : options.budgets) {
    ARBOR_ASSIGN_OR_RETURN(std::int64_t max_tokens, parse_budget(spec, greedy_tokens));
    budgets.push_back({{"spec", spec}, {"max_tokens", max_tokens}});
    for (const std::string& name : options.algorithms) {
      Condition c;
      c.algorithm = name;
      c.budget = spec;
      c.max_tokens = max_tokens;
      Json config = default_config(name, max_tokens, greedy_tokens);
      config["algorithm"] = name;
      if (overrides.contains(name)) {
        if (!overrides[name].is_object()) {
          return Status::invalid_argument("config.algorithms." + name + ": must be an object");
        }
        for (const auto& [k, v] : overrides[name].items()) config[k] = v;
      }
      ARBOR_ASSIGN_OR_RETURN(auto algorithm,
                             search::make_algorithm(config, "config.algorithms." + name));
      std::unique_ptr<search::Evaluator> evaluator;
      c.evaluator = nullptr;
      if (algorithm->needs_evaluator() || evaluators.contains(name)) {
        const Json spec_json =
            evaluators.contains(name) ? evaluators[name] : default_evaluator(name, has_prm);
        ARBOR_ASSIGN_OR_RETURN(
            evaluator, search::make_evaluator(spec_json, verifiers, "config.evaluators." + name));
        c.evaluator = evaluator->config();
      }
      c.config = algorithm->config();
      search::RunOptions o = base;
      o.budget.max_tokens = max_tokens;
      o.evaluator = evaluator.get();
      ARBOR_RETURN_IF_ERROR(run_condition(engine, lm, problems, *algorithm, o, options, c));
      report(c);
      conditions.push_back(std::move(c));
    }
  }

  // The report: each run, with paired intervals against greedy and self-consistency.
  Json runs = Json::array();
  const Condition& greedy = conditions[0];
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    const Condition& c = conditions[i];
    Json j = condition_json(c, problems, options.per_problem);
    if (i > 0) {
      const std::uint64_t seed = search::derive_seed(options.seed, 0xb007, i);
      j["vs_greedy"] =
          interval_json(paired_bootstrap(c.correct, greedy.correct, options.bootstrap, seed));
      for (const Condition& sc : conditions) {
        if (sc.algorithm != "self_consistency" || sc.budget != c.budget || &sc == &c) continue;
        j["vs_self_consistency"] =
            interval_json(paired_bootstrap(c.correct, sc.correct, options.bootstrap, seed + 1));
        const double ratio = mean(c.tokens) / std::max(mean(sc.tokens), 1e-9);
        j["tokens_ratio_to_self_consistency"] = ratio;
        j["tokens_within_5pct"] = std::fabs(ratio - 1.0) <= 0.05;
      }
    }
    runs.push_back(std::move(j));
  }
  return Json{{"model", engine.model().dir()},
              {"problems", problems.size()},
              {"seed", options.seed},
              {"concurrency", options.concurrency},
              {"bootstrap_resamples", options.bootstrap},
              {"greedy_mean_tokens", greedy_tokens},
              {"budgets", budgets},
              {"runs", runs}};
}

}  // namespace arbor::agents
