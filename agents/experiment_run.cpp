#include "agents/experiment_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "agents/arith_answers.h"
#include "agents/engine_language_model.h"
#include "agents/experiment_config.h"
#include "agents/turn_stats.h"
#include "agents/verifiers.h"
#include "core/file.h"
#include "core/strings.h"
#include "envs/answer_extract.h"
#include "envs/arith.h"
#include "envs/datasets.h"
#include "envs/game24.h"
#include "envs/math_grader.h"
#include "models/model.h"
#include "search/algorithm.h"
#include "search/evaluator.h"
#include "search/seeds.h"

namespace arbor::agents {

namespace asio = boost::asio;
namespace fs = std::filesystem;

// ---- RunContext ------------------------------------------------------------------------------

RunContext::RunContext(Json config, std::string run_dir, memory::Store& store, memory::RunId run,
                       std::set<std::string> finished, RunHooks hooks)
    : config_(std::move(config)),
      run_dir_(std::move(run_dir)),
      store_(store),
      run_(run),
      finished_(std::move(finished)),
      hooks_(std::move(hooks)) {}

StatusOr<runtime::Engine*> RunContext::engine() {
  if (engine_) return engine_.get();
  const Json& m = config_["model"];
  const std::string dir = m["path"].get<std::string>();
  ARBOR_ASSIGN_OR_RETURN(kernels::DeviceKind device,
                         kernels::parse_device_kind(m["device"].get<std::string>()));
  models::ModelOptions options{device};
  const std::string dtype = m["dtype"].get<std::string>();
  if (dtype == "float32") options.weight_dtype = DType::kF32;
  if (dtype == "bfloat16") options.weight_dtype = DType::kBF16;
  if (dtype == "float16") options.weight_dtype = DType::kF16;
  StatusOr<std::unique_ptr<models::Model>> model = models::Model::open(dir, options);
  if (!model.ok()) {
    // A dtype the backend cannot keep weights in is the config's model.dtype, not its path.
    const bool dtype_refused = options.weight_dtype.has_value() &&
                               model.status().code() == StatusCode::kInvalidArgument &&
                               model.status().message().find("weights") != std::string::npos;
    if (dtype_refused) {
      return Status::invalid_argument("model.dtype: '" + dtype + "' is not available: " +
                                      model.status().message());
    }
    return model.status().with_context("model.path");
  }
  if ((*model)->tokenizer() == nullptr) {
    return Status::failed_precondition("model.path: " + dir + " has no tokenizer.json");
  }
  const Json& e = config_["engine"];
  runtime::EngineOptions o;
  o.state_budget_bytes = static_cast<std::size_t>(m["memory_budget_mb"].get<double>() * 1048576);
  o.host_spill_bytes = static_cast<std::size_t>(m["host_spill_mb"].get<double>() * 1048576);
  o.max_batch_seqs = e["batch"].get<std::int32_t>();
  o.max_batch_tokens = e["max_batch_tokens"].get<std::int32_t>();
  o.prefill_chunk = e["prefill_chunk"].get<std::int32_t>();
  ARBOR_ASSIGN_OR_RETURN(engine_, runtime::Engine::create(std::move(*model), o));
  return engine_.get();
}

void RunContext::record(const std::string& key, Json line, std::function<void(Status)> done) {
  memory::ProblemResult r;
  r.run = run_;
  r.problem = key;
  r.result_json = line.dump();
  const std::string text = r.result_json + "\n";
  const std::string path = join_path(run_dir_, "results.jsonl");
  store_.finish_problem(std::move(r)).then([this, text, path, key, done](Status s) {
    if (s.ok()) {
      std::lock_guard lock(mu_);
      std::FILE* f = std::fopen(path.c_str(), "a");
      if (f == nullptr || std::fwrite(text.data(), 1, text.size(), f) != text.size() ||
          std::fflush(f) != 0) {
        s = Status::internal(path + ": cannot append a result (" + std::strerror(errno) +
                             "); it is committed in run.sqlite: resume rewrites the file");
      }
      if (f != nullptr) std::fclose(f);
    } else {
      s = s.with_context("committing '" + key + "' to run.sqlite");
    }
    if (!s.ok()) {
      std::lock_guard lock(mu_);
      if (first_error_.ok()) first_error_ = s;
    }
    if (done) done(s);
  });
}

Status RunContext::flush() {
  ARBOR_RETURN_IF_ERROR(store_.flush().wait());
  return first_error();
}

Status RunContext::first_error() const {
  std::lock_guard lock(mu_);
  return first_error_;
}

// ---- problems and graders --------------------------------------------------------------------

namespace {

struct Grader {
  search::AnswerRules rules;
  std::function<bool(std::string_view answer, const envs::Problem& p)> correct;
};

StatusOr<Grader> make_grader(const std::string& mode) {
  Grader g;
  if (mode == "arith") {
    g.rules = arith_answer_rules();
    g.correct = [](std::string_view a, const envs::Problem& p) {
      return arith_answer_correct(a, p.answer);
    };
    return g;
  }
  if (mode == "game24") {
    g.rules.extract = [](std::string_view s) -> std::optional<std::string> {
      std::string last;
      for (const std::string& line : split(s, '\n')) {
        std::string_view t = trim(line);
        if (starts_with(t, "Answer:")) t = trim(t.substr(7));
        if (!t.empty()) last = std::string(t);
      }
      if (last.empty()) return std::nullopt;
      return last;
    };
    g.correct = [](std::string_view a, const envs::Problem& p) {
      std::vector<int> numbers;
      for (const Json& n : p.metadata.value("numbers", Json::array())) numbers.push_back(n);
      return envs::check_game24(numbers, a).correct;
    };
    return g;
  }
  ARBOR_ASSIGN_OR_RETURN(envs::GradeMode m, envs::parse_grade_mode(mode));
  g.rules.extract = [m](std::string_view s) -> std::optional<std::string> {
    envs::Extraction e = envs::extract_answer(s, m);
    if (!e.found()) return std::nullopt;
    return e.answer;
  };
  g.rules.vote_key = [m](std::string_view a) { return envs::answer_vote_key(a, m); };
  g.correct = [m](std::string_view a, const envs::Problem& p) {
    return envs::grade_answer(p.answer, a, m).correct;
  };
  return g;
}

StatusOr<std::vector<envs::Problem>> load_problems(const Json& d) {
  const std::string id = d["id"].get<std::string>();
  std::int64_t start = 0, end = -1;
  if (d["range"].is_array()) {
    start = d["range"][0].get<std::int64_t>();
    end = d["range"][1].get<std::int64_t>();
  }
  std::vector<envs::Problem> out;
  if (id == "arith") {
    const Json& a = d["arith"];
    envs::ArithOptions o;
    ARBOR_ASSIGN_OR_RETURN(o.split, envs::parse_arith_split(d["split"].get<std::string>()));
    ARBOR_ASSIGN_OR_RETURN(o.difficulties,
                           envs::parse_arith_difficulties(a["difficulty"].get<std::string>()));
    ARBOR_ASSIGN_OR_RETURN(o.kinds, envs::parse_arith_kinds(a["kinds"].get<std::string>()));
    o.heldout_permille = a["heldout_permille"].get<int>();
    StatusOr<envs::ArithGenerator> gen = envs::ArithGenerator::create(o);
    if (!gen.ok()) return gen.status().with_context("dataset.arith");
    for (std::int64_t i = start; i < end; ++i) {
      out.push_back(gen->generate(a["seed"].get<std::uint64_t>(), static_cast<std::uint64_t>(i))
                        .to_problem());
    }
    return out;
  }
  const std::string path = d["path"].get<std::string>();
  envs::LoadOptions lo;
  lo.skip_malformed = d["skip_malformed"].get<bool>();
  if (id == "jsonl") {
    ARBOR_ASSIGN_OR_RETURN(std::string text, read_file(path));
    std::int64_t line_no = 0;
    for (const std::string& line : split(text, '\n')) {
      ++line_no;
      if (trim(line).empty()) continue;
      const std::string where = "dataset.path: " + path + ":" + std::to_string(line_no);
      ARBOR_ASSIGN_OR_RETURN(Json j, parse_json(line, where));
      envs::Problem p;
      ARBOR_ASSIGN_OR_RETURN(p.id, json_get<std::string>(j, "id", where));
      ARBOR_ASSIGN_OR_RETURN(p.question, json_get<std::string>(j, "question", where));
      ARBOR_ASSIGN_OR_RETURN(p.answer, json_get<std::string>(j, "answer", where));
      out.push_back(std::move(p));
    }
  } else {
    StatusOr<envs::LoadedDataset> loaded = envs::load_dataset(id, path, lo);
    if (!loaded.ok()) return loaded.status().with_context("dataset.path");
    out = std::move(loaded->problems);
  }
  if (end >= 0) {
    if (start >= static_cast<std::int64_t>(out.size())) {
      return Status::invalid_argument("dataset.range: starts at " + std::to_string(start) +
                                      " but " + path + " has " + std::to_string(out.size()) +
                                      " problems");
    }
    end = std::min<std::int64_t>(end, static_cast<std::int64_t>(out.size()));
    out = std::vector<envs::Problem>(out.begin() + start, out.begin() + end);
  }
  if (out.empty()) return Status::invalid_argument("dataset: no problems");
  return out;
}

std::string safe_file_name(const std::string& s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
            c == '=' || c == ',')
               ? c
               : '_';
  return out.empty() ? "_" : out;
}

// A tree file: written to a temporary and renamed (never half-written after a crash), without
// the fsync of write_file_atomic (one per problem would dominate small runs): a tree lost to a
// power cut is a debugging aid lost, its result is in run.sqlite.
Status write_tree_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::internal(tmp + ": cannot create: " + std::strerror(errno));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int saved = errno;
  if (std::fclose(f) != 0 || !ok) {
    std::remove(tmp.c_str());
    return Status::internal(path + ": cannot write (" + std::strerror(ok ? errno : saved) +
                            "; is the disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::internal(path + ": cannot rename the temporary: " + std::strerror(errno));
  }
  return Status();
}

// pass@k with the unbiased estimator over n answers of which c are correct (Chen et al., 2021);
// with fewer than k answers, whether any is correct.
double pass_at(std::int64_t n, std::int64_t c, std::int64_t k) {
  if (c <= 0) return 0;
  if (n < k) return 1;
  if (n - c < k) return 1;
  double miss = 1;
  for (std::int64_t i = n - c + 1; i <= n; ++i) miss *= 1.0 - static_cast<double>(k) / i;
  return 1 - miss;
}

// Engine counters over an interval.
struct EngineDelta {
  double tokens = 0;
  double steps = 0;
  double seqs = 0;  // summed batch sizes
};

EngineDelta delta(const runtime::Metrics& a, const runtime::Metrics& b) {
  EngineDelta d;
  d.tokens = static_cast<double>(b.tokens_generated - a.tokens_generated);
  for (const auto& [n, count] : b.batch_histogram) {
    auto it = a.batch_histogram.find(n);
    const double k = static_cast<double>(count - (it == a.batch_histogram.end() ? 0 : it->second));
    d.seqs += k * n;
    d.steps += k;
  }
  return d;
}

struct Counters {
  std::atomic<std::int64_t> done{0};
  std::atomic<std::int64_t> correct{0};
};

struct SearchUnit {
  std::size_t index;  // problem index (its seed)
  const envs::Problem* problem;
};

Task<Status> search_worker(RunContext& ctx, search::LanguageModel& lm,
                           const search::Algorithm& algorithm, const AlgorithmRun& spec,
                           search::RunOptions base, const Grader& grader,
                           const std::vector<SearchUnit>& units, std::size_t* next,
                           Counters* counters) {
  const Json& config = ctx.config();
  const auto seed = config["experiment"]["seed"].get<std::uint64_t>();
  const bool keep_trees = config["output"]["trees"].get<bool>();
  std::vector<std::int64_t> ks;
  for (const Json& k : config["eval"]["k"]) ks.push_back(k.get<std::int64_t>());
  while (*next < units.size() && !ctx.stop_requested() && ctx.first_error().ok()) {
    const SearchUnit unit = units[(*next)++];
    const envs::Problem& p = *unit.problem;
    search::RunOptions o = base;
    o.seed = search::derive_seed(seed, unit.index);
    search::Problem problem{p.id, p.question};
    StatusOr<search::SearchResult> r =
        co_await search::run_search(algorithm, lm, std::move(problem), std::move(o));
    if (!r.ok()) co_return r.status().with_context(spec.name + " on problem " + p.id);
    auto is_correct = [&](std::string_view a) { return grader.correct(a, p); };
    const search::ResultScore s = search::score_result(*r, is_correct);
    // pass@k and maj@k over the answers in the order the search produced them.
    std::vector<search::Ballot> ballots;
    std::vector<bool> right;
    std::map<std::string, std::string> answer_of_key;
    for (const search::AnswerRecord& a : r->candidates) {
      ballots.push_back({a.key, 1.0});
      right.push_back(is_correct(a.answer));
      answer_of_key.emplace(a.key, a.answer);
    }
    const auto n = static_cast<std::int64_t>(right.size());
    const auto c = static_cast<std::int64_t>(std::count(right.begin(), right.end(), true));
    Json pass = Json::object(), maj = Json::object();
    for (std::int64_t k : ks) {
      pass[std::to_string(k)] = pass_at(n, c, k);
      std::vector<search::Ballot> first(ballots.begin(),
                                        ballots.begin() + std::min<std::int64_t>(k, n));
      std::optional<search::VoteOutcome> v = search::vote(first);
      maj[std::to_string(k)] = v.has_value() && is_correct(answer_of_key[v->key]);
    }
    const std::string key = spec.name + "/" + p.id;
    std::string tree_file;
    if (keep_trees) {
      tree_file =
          join_path("trees", join_path(safe_file_name(spec.name), safe_file_name(p.id) + ".json"));
      Json t = r->to_json(true);
      t["gold"] = p.answer;
      t["correct"] = s.correct;
      Status w = write_tree_file(join_path(ctx.run_dir(), tree_file), t.dump(1));
      if (!w.ok()) co_return w.with_context("writing the tree of " + key);
    }
    Json line = {{"id", p.id},
                 {"algorithm", spec.name},
                 {"gold", p.answer},
                 {"prediction", r->answer ? Json(*r->answer) : Json(nullptr)},
                 {"correct", s.correct},
                 {"pass_at_k", s.pass_at_k},
                 {"k", s.k},
                 {"pass_at", pass},
                 {"maj_at", maj},
                 {"tokens", r->usage.tokens},
                 {"model_calls", r->usage.calls},
                 {"time", r->usage.seconds},
                 {"stop", search::stop_reason_name(r->stop)},
                 {"tree", tree_file.empty() ? Json(nullptr) : Json(tree_file)}};
    if (has_answer_chains(r->algorithm)) line["chains"] = chains_json(*r, is_correct);
    const bool ok = s.correct;
    ctx.record(key, std::move(line), [counters, ok](Status st) {
      if (!st.ok()) return;
      counters->done++;
      if (ok) counters->correct++;
    });
  }
  co_return Status();
}

StatusOr<Json> read_json_or_empty(const std::string& path) {
  if (!file_exists(path)) return Json::object();
  return read_json_file(path);
}

}  // namespace

StatusOr<Json> run_search_kind(RunContext& ctx) {
  const Json& config = ctx.config();
  ARBOR_ASSIGN_OR_RETURN(std::vector<envs::Problem> problems, load_problems(config["dataset"]));
  ARBOR_ASSIGN_OR_RETURN(Grader grader,
                         make_grader(config["dataset"]["grader"].get<std::string>()));
  ARBOR_ASSIGN_OR_RETURN(search::Prompts prompts,
                         search::Prompts::from_json(config["prompts"], "prompts"));
  const std::vector<AlgorithmRun> runs = algorithm_runs(config);
  const std::int64_t total = static_cast<std::int64_t>(problems.size() * runs.size());
  std::int64_t already = 0, already_correct = 0;
  {
    // Correct answers among the units committed before (for the progress line).
    ARBOR_ASSIGN_OR_RETURN(std::vector<memory::ProblemRecord> records,
                           ctx.store().results(ctx.run()).wait());
    for (const memory::ProblemRecord& r : records) {
      ++already;
      StatusOr<Json> j = parse_json(r.result_json, "run.sqlite");
      if (j.ok() && j->value("correct", false)) ++already_correct;
    }
  }
  ARBOR_ASSIGN_OR_RETURN(runtime::Engine * engine, ctx.engine());
  EngineLanguageModel lm(*engine);
  const std::string timing_path = join_path(ctx.run_dir(), "timing.json");
  ARBOR_ASSIGN_OR_RETURN(Json timing, read_json_or_empty(timing_path));

  Counters counters;
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<bool> reporting{true};
  std::string phase;
  std::mutex phase_mu;
  // The progress reporter: a few lines a second from engine counters and the unit counters.
  std::thread reporter([&] {
    runtime::Metrics last = engine->metrics();
    auto last_t = std::chrono::steady_clock::now();
    double tps = 0, batch = 0;
    while (reporting.load()) {
      for (int i = 0; i < 5 && reporting.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      const runtime::Metrics now = engine->metrics();
      const auto t = std::chrono::steady_clock::now();
      const double dt = std::chrono::duration<double>(t - last_t).count();
      const EngineDelta d = delta(last, now);
      if (dt > 0) tps = d.tokens / dt;
      if (d.steps > 0) batch = d.seqs / d.steps;
      last = now;
      last_t = t;
      if (!ctx.hooks().progress) continue;
      RunProgress p;
      p.done = already + counters.done.load();
      p.total = total;
      p.accuracy = p.done > 0 ? static_cast<double>(already_correct + counters.correct.load()) /
                                    static_cast<double>(p.done)
                              : 0;
      p.tokens_per_s = tps;
      p.mean_batch = batch;
      p.elapsed_s = std::chrono::duration<double>(t - t0).count();
      const std::int64_t here = counters.done.load();
      if (here > 0) {
        p.eta_s = p.elapsed_s / static_cast<double>(here) * static_cast<double>(total - p.done);
      }
      {
        std::lock_guard lock(phase_mu);
        p.phase = phase;
      }
      ctx.hooks().progress(p);
    }
  });

  Status status;
  for (std::size_t a = 0; a < runs.size() && status.ok(); ++a) {
    const AlgorithmRun& spec = runs[a];
    std::vector<SearchUnit> units;
    for (std::size_t i = 0; i < problems.size(); ++i) {
      if (!ctx.finished(spec.name + "/" + problems[i].id)) units.push_back({i, &problems[i]});
    }
    if (units.empty()) continue;
    {
      std::lock_guard lock(phase_mu);
      phase = spec.name;
    }
    StatusOr<std::unique_ptr<search::Algorithm>> algorithm =
        search::make_algorithm(spec.algorithm, "search." + spec.name);
    if (!algorithm.ok()) {
      status = algorithm.status();
      break;
    }
    std::unique_ptr<search::Evaluator> evaluator;
    if (!spec.evaluator.is_null()) {
      StatusOr<std::unique_ptr<search::Evaluator>> e =
          search::make_evaluator(spec.evaluator, env_verifiers(), "search." + spec.name + ".evaluator");
      if (!e.ok()) {
        status = e.status();
        break;
      }
      evaluator = std::move(*e);
    }
    search::RunOptions base;
    base.prompts = prompts;
    base.answers = grader.rules;
    StatusOr<search::Budget> budget = search::Budget::from_json(spec.budget, "search.budget");
    if (!budget.ok()) {
      status = budget.status();
      break;
    }
    base.budget = *budget;
    base.evaluator = evaluator.get();
    if (config["output"]["trees"].get<bool>()) {
      std::error_code ec;
      const std::string dir =
          join_path(join_path(ctx.run_dir(), "trees"), safe_file_name(spec.name));
      fs::create_directories(dir, ec);
      if (ec) {
        status = Status::internal(dir + ": cannot create the folder: " + ec.message());
        break;
      }
    }
    const runtime::Metrics before = engine->metrics();
    const auto s0 = std::chrono::steady_clock::now();
    asio::io_context io;
    std::size_t next = 0;
    const std::int32_t workers = std::max<std::int32_t>(
        1, std::min<std::int32_t>(config["engine"]["concurrency"].get<std::int32_t>(),
                                  static_cast<std::int32_t>(units.size())));
    for (std::int32_t w = 0; w < workers; ++w) {
      asio::co_spawn(
          io, search_worker(ctx, lm, **algorithm, spec, base, grader, units, &next, &counters),
          [&](std::exception_ptr e, Status s) {
            if (e) {
              try {
                std::rethrow_exception(e);
              } catch (const std::exception& ex) {
                s = Status::internal(std::string("search failed: ") + ex.what());
              }
            }
            if (!s.ok() && status.ok()) {
              status = s;
              next = units.size();
            }
          });
    }
    io.run();
    // Wait for this algorithm's commits, so its counters and timing are complete.
    if (Status f = ctx.flush(); !f.ok() && status.ok()) status = f;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
    const EngineDelta d = delta(before, engine->metrics());
    Json& t = timing[spec.name];
    if (!t.is_object()) t = {{"seconds", 0.0}, {"tokens", 0.0}, {"steps", 0.0}, {"seqs", 0.0}};
    t["seconds"] = t["seconds"].get<double>() + seconds;
    t["tokens"] = t["tokens"].get<double>() + d.tokens;
    t["steps"] = t["steps"].get<double>() + d.steps;
    t["seqs"] = t["seqs"].get<double>() + d.seqs;
    if (Status w = write_file_atomic(timing_path, timing.dump(1)); !w.ok() && status.ok()) {
      status = w;
    }
    if (ctx.stop_requested()) break;
  }
  reporting = false;
  reporter.join();
  ARBOR_RETURN_IF_ERROR(status);
  if (ctx.stop_requested()) return Status::cancelled("interrupted");
  return Json::object();
}

// ---- run folders -----------------------------------------------------------------------------

namespace {

constexpr char kResolvedFile[] = "config.resolved.json";

Json summarize(const Json& config, const std::vector<memory::ProblemRecord>& records,
               const Json& timing) {
  std::vector<std::string> order;
  for (const AlgorithmRun& r : algorithm_runs(config)) order.push_back(r.name);
  struct Acc {
    double n = 0, correct = 0, pass = 0, tokens = 0, calls = 0, time = 0;
    std::map<std::string, double> pass_at, maj_at;
    TurnStats turns;  // self-correction chains (self_refine, sets)
  };
  std::map<std::string, Acc> acc;
  for (const memory::ProblemRecord& rec : records) {
    StatusOr<Json> j = parse_json(rec.result_json, "run.sqlite");
    if (!j.ok() || !j->is_object()) continue;
    const std::string name = j->value("algorithm", std::string(""));
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
    Acc& a = acc[name];
    a.n += 1;
    a.correct += j->value("correct", false) ? 1 : 0;
    a.pass += j->value("pass_at_k", false) ? 1 : 0;
    a.tokens += j->value("tokens", 0.0);
    a.calls += j->value("model_calls", 0.0);
    a.time += j->value("time", 0.0);
    if (j->contains("chains")) a.turns.add_json((*j)["chains"]);
    const Json pass_at = j->value("pass_at", Json::object());
    const Json maj_at = j->value("maj_at", Json::object());
    for (const auto& [k, v] : pass_at.items()) {
      a.pass_at[k] += v.is_number() ? v.get<double>() : 0;
    }
    for (const auto& [k, v] : maj_at.items()) {
      a.maj_at[k] += v.is_boolean() && v.get<bool>() ? 1 : 0;
    }
  }
  Json algorithms = Json::object();
  Json names = Json::array();
  double total_tokens = 0, total_seconds = 0, total_steps = 0, total_seqs = 0;
  for (const std::string& name : order) {
    if (!acc.count(name)) continue;
    const Acc& a = acc[name];
    Json pa = Json::object(), ma = Json::object();
    for (const auto& [k, v] : a.pass_at) pa[k] = v / a.n;
    for (const auto& [k, v] : a.maj_at) ma[k] = v / a.n;
    const Json t = timing.value(name, Json::object());
    const double seconds = t.value("seconds", 0.0);
    const double steps = t.value("steps", 0.0);
    Json j = {{"problems", a.n},
              {"accuracy", a.correct / a.n},
              {"pass_at_k", a.pass / a.n},
              {"pass_at", pa},
              {"maj_at", ma},
              {"tokens_per_problem", a.tokens / a.n},
              {"calls_per_problem", a.calls / a.n},
              {"seconds", seconds},
              {"tokens_per_s", seconds > 0 ? t.value("tokens", 0.0) / seconds : 0.0},
              {"mean_batch", steps > 0 ? t.value("seqs", 0.0) / steps : 0.0}};
    if (a.turns.chains() > 0) j["turns"] = a.turns.to_json();
    total_tokens += t.value("tokens", 0.0);
    total_seconds += seconds;
    total_steps += steps;
    total_seqs += t.value("seqs", 0.0);
    algorithms[name] = j;
    names.push_back(name);
  }
  Json s = {{"experiment", config["experiment"]["name"]},
            {"algorithms", algorithms},
            {"order", names},
            {"seconds", total_seconds},
            {"tokens_per_s", total_seconds > 0 ? total_tokens / total_seconds : 0.0},
            {"mean_batch", total_steps > 0 ? total_seqs / total_steps : 0.0}};
  if (names.size() == 1) {
    for (const char* k : {"problems", "accuracy", "pass_at_k", "pass_at", "maj_at",
                          "tokens_per_problem", "calls_per_problem"}) {
      s[k] = algorithms[names[0].get<std::string>()][k];
    }
  }
  return s;
}

Status rewrite_results(const std::string& run_dir,
                       const std::vector<memory::ProblemRecord>& records) {
  std::string text;
  for (const memory::ProblemRecord& r : records) text += r.result_json + "\n";
  Status s = write_file_atomic(join_path(run_dir, "results.jsonl"), text);
  return s.ok() ? s : s.with_context("results.jsonl");
}

StatusOr<Json> execute(const Json& config, const std::string& hash, const std::string& run_dir,
                       const RunOptions& options) {
  const std::string db = join_path(run_dir, "run.sqlite");
  memory::StoreOptions so;
  so.create_if_missing = true;
  StatusOr<std::unique_ptr<memory::Store>> store = memory::Store::open(db, so);
  if (!store.ok()) return store.status().with_context(db);
  memory::RunSpec spec;
  spec.name = config["experiment"]["name"].get<std::string>();
  spec.config_hash = hash;
  spec.config_json = config.dump();
  StatusOr<memory::RunProgress> progress = (*store)->open_run(spec).wait();
  if (!progress.ok()) {
    return Status::failed_precondition(run_dir + ": " + progress.status().message() +
                                       " (the config changed since the run started; start a "
                                       "new run instead)");
  }
  std::set<std::string> finished(progress->finished.begin(), progress->finished.end());
  {
    ARBOR_ASSIGN_OR_RETURN(auto records, (*store)->results(progress->run).wait());
    ARBOR_RETURN_IF_ERROR(rewrite_results(run_dir, records));
  }
  RunContext ctx(config, run_dir, **store, progress->run, std::move(finished), options.hooks);
  const std::string kind =
      config.contains("agent") ? config["agent"]["kind"].get<std::string>() : "search";
  const RunKind* k = find_run_kind(kind);
  if (k == nullptr) return Status::invalid_argument("agent.kind: unknown run kind '" + kind + "'");
  StatusOr<Json> extra = k->run(ctx);
  const Status flushed = ctx.flush();
  // Whatever happened, write what is committed.
  auto records = (*store)->results(progress->run).wait();
  if (!records.ok()) return records.status();
  Status w = rewrite_results(run_dir, *records);
  auto timing = read_json_or_empty(join_path(run_dir, "timing.json"));
  Json summary = summarize(config, *records, timing.ok() ? *timing : Json::object());
  const bool complete = extra.ok() && flushed.ok();
  summary["complete"] = complete;
  summary["config_hash"] = hash;
  if (extra.ok()) {
    for (const auto& [key, v] : extra->items()) summary[key] = v;
  }
  Status ws = write_file_atomic(join_path(run_dir, "summary.json"), summary.dump(1) + "\n");
  if (!extra.ok()) {
    if (extra.status().code() == StatusCode::kCancelled) {
      return Status::cancelled("interrupted: " + std::to_string(records->size()) +
                               " finished units kept in " + run_dir +
                               "; continue with: arbor run --resume " + run_dir);
    }
    return extra.status().with_context(std::to_string(records->size()) +
                                       " finished units kept in " + run_dir);
  }
  ARBOR_RETURN_IF_ERROR(flushed);
  ARBOR_RETURN_IF_ERROR(w);
  if (!ws.ok()) return ws.with_context("summary.json");
  return summary;
}

}  // namespace

std::string default_run_folder(const Json& resolved) {
  std::string folder = resolved["output"]["folder"].get<std::string>();
  const std::string name = safe_file_name(resolved["experiment"]["name"].get<std::string>());
  char buf[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", &tm);
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"{name}", name},
                                   std::pair<std::string, std::string>{"{time}", buf}}) {
    for (auto p = folder.find(key); p != std::string::npos; p = folder.find(key)) {
      folder.replace(p, key.size(), value);
    }
  }
  return folder;
}

StatusOr<Json> start_run(const Json& resolved, const std::string& run_dir,
                         const RunOptions& options) {
  if (file_exists(join_path(run_dir, kResolvedFile))) {
    return Status::already_exists(run_dir +
                                  ": already holds a run (continue it with arbor run "
                                  "--resume " +
                                  run_dir + ", or choose another --out)");
  }
  if (resolved.contains("dataset")) {
    // The problems must load (a range past the end of the file, a malformed line) before the
    // run folder exists, so that a config error leaves nothing behind.
    StatusOr<std::vector<envs::Problem>> problems = load_problems(resolved["dataset"]);
    if (!problems.ok()) return problems.status();
  }
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec)
    return Status::invalid_argument(run_dir + ": cannot create the run folder: " + ec.message());
  const std::string hash = config_hash(resolved);
  const Json file = {
      {"arbor_version", options.code_version}, {"config_hash", hash}, {"config", resolved}};
  Status w = write_file_atomic(join_path(run_dir, kResolvedFile), file.dump(1) + "\n");
  if (!w.ok()) return w.with_context(kResolvedFile);
  return execute(resolved, hash, run_dir, options);
}

StatusOr<Json> resume_run(const std::string& run_dir, const std::vector<std::string>& sets,
                          const RunOptions& options) {
  const std::string path = join_path(run_dir, kResolvedFile);
  if (!is_directory(run_dir)) return Status::not_found(run_dir + ": no such run folder");
  if (!file_exists(path)) {
    return Status::not_found(run_dir + ": not a run folder (no " + std::string(kResolvedFile) +
                             ")");
  }
  if (!file_exists(join_path(run_dir, "run.sqlite"))) {
    return Status::not_found(run_dir + ": the run store run.sqlite is missing");
  }
  ARBOR_ASSIGN_OR_RETURN(Json file, read_json_file(path));
  if (!file.is_object() || !file.contains("config") || !file.contains("config_hash") ||
      !file["config_hash"].is_string()) {
    return Status::invalid_argument(path + ": expected {arbor_version, config_hash, config}");
  }
  Json config = file["config"];
  const std::string recorded = file["config_hash"].get<std::string>();
  for (const std::string& s : sets) ARBOR_RETURN_IF_ERROR(apply_override(config, s));
  const std::string hash = config_hash(config);
  if (hash != recorded) {
    return Status::failed_precondition(
        run_dir + ": the config's hash changed (" + recorded + " when the run started, " + hash +
        " now): a resumed run must use the same config; start a new run instead");
  }
  // Validate again (the checkpoint or dataset may have moved since).
  ARBOR_ASSIGN_OR_RETURN(Json checked, resolve_experiment(config));
  (void)checked;
  return execute(config, hash, run_dir, options);
}

}  // namespace arbor::agents
