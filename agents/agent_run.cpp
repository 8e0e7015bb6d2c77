#include "agents/agent_run.h"

#include <chrono>
#include <map>
#include <memory>

#include "agents/agent_config.h"
#include "agents/engine_language_model.h"
#include "agents/react.h"
#include "core/file.h"
#include "core/strings.h"

namespace arbor::agents {
namespace {

std::string task_key(const std::string& kind, std::int32_t task) {
  return kind + "/task:" + std::to_string(task);
}

// The result line of a task from its attempts.
Json task_line(const AgentRunConfig& c, std::int32_t task,
               const std::vector<const EpisodeResult*>& attempts) {
  Json episodes = Json::array();
  std::int64_t tokens = 0, calls = 0, steps = 0;
  double seconds = 0, reward = 0;
  Json won_at = nullptr;
  for (const EpisodeResult* e : attempts) {
    Json j = e->to_json();
    episodes.push_back(std::move(j));
    tokens += e->tokens;
    calls += e->calls;
    seconds += e->seconds;
    steps += static_cast<std::int64_t>(e->steps.size());
    reward = e->total_reward;
    if (e->won && won_at.is_null()) won_at = e->attempt + 1;
  }
  return {{"id", "task:" + std::to_string(task)},
          {"algorithm", c.kind},
          {"env", c.episodes.env_id},
          {"seed", c.episodes.env_seed + static_cast<std::uint64_t>(task)},
          {"correct", !won_at.is_null()},
          {"won_at_attempt", won_at},
          {"attempts", attempts.size()},
          {"steps", steps},
          {"reward", reward},
          {"tokens", tokens},
          {"model_calls", calls},
          {"time", seconds},
          {"episodes", std::move(episodes)}};
}

// Engine work between two metric snapshots.
struct EngineWork {
  double tokens = 0, steps = 0, seqs = 0;
};
EngineWork work_between(const runtime::Metrics& a, const runtime::Metrics& b) {
  EngineWork w;
  w.tokens = static_cast<double>(b.tokens_generated - a.tokens_generated);
  w.steps = static_cast<double>(b.steps - a.steps);
  for (const auto& [n, count] : b.batch_histogram) {
    auto it = a.batch_histogram.find(n);
    w.seqs += static_cast<double>(count - (it == a.batch_histogram.end() ? 0 : it->second)) * n;
  }
  return w;
}

// Adds this session's time and engine work to timing.json under `kind` (as the search kind
// does per algorithm), for the summary's seconds, tokens/s and batch columns.
Status add_timing(const std::string& run_dir, const std::string& kind, double seconds,
                  const EngineWork& w) {
  const std::string path = join_path(run_dir, "timing.json");
  Json timing = Json::object();
  if (file_exists(path)) {
    ARBOR_ASSIGN_OR_RETURN(timing, read_json_file(path));
  }
  Json& t = timing[kind];
  if (!t.is_object()) t = {{"seconds", 0.0}, {"tokens", 0.0}, {"steps", 0.0}, {"seqs", 0.0}};
  t["seconds"] = t.value("seconds", 0.0) + seconds;
  t["tokens"] = t.value("tokens", 0.0) + w.tokens;
  t["steps"] = t.value("steps", 0.0) + w.steps;
  t["seqs"] = t.value("seqs", 0.0) + w.seqs;
  return write_file_atomic(path, timing.dump(1));
}

}  // namespace

StatusOr<Json> run_agent_kind(RunContext& ctx) {
  ARBOR_ASSIGN_OR_RETURN(AgentRunConfig c, agent_run_config(ctx.config()));
  ARBOR_ASSIGN_OR_RETURN(runtime::Engine * engine, ctx.engine());
  EngineLanguageModel lm(*engine);

  // Reflections: memory.database when set, else the run's own store.
  std::unique_ptr<memory::Store> own;
  memory::Store* store = &ctx.store();
  const Json& mem = ctx.config().value("memory", Json::object());
  if (mem.is_object() && mem.contains("database") && mem["database"].is_string()) {
    memory::StoreOptions so;
    so.create_if_missing = true;
    StatusOr<std::unique_ptr<memory::Store>> s =
        memory::Store::open(mem["database"].get<std::string>(), so);
    if (!s.ok()) return s.status().with_context("memory.database");
    own = std::move(*s);
    store = own.get();
  }

  const auto t0 = std::chrono::steady_clock::now();
  const runtime::Metrics m0 = engine->metrics();
  // Tasks committed by an earlier process count in the progress line.
  std::int64_t done = 0, won = 0;
  {
    ARBOR_ASSIGN_OR_RETURN(std::vector<memory::ProblemRecord> before,
                           ctx.store().results(ctx.run()).wait());
    for (const memory::ProblemRecord& r : before) {
      StatusOr<Json> j = parse_json(r.result_json, "run.sqlite");
      if (!j.ok() || j->value("algorithm", std::string()) != c.kind) continue;
      ++done;
      won += j->value("correct", false) ? 1 : 0;
    }
  }
  auto progress = [&](const std::string& phase) {
    if (!ctx.hooks().progress) return;
    RunProgress p;
    p.done = done;
    p.total = c.episodes.tasks;
    p.accuracy = done > 0 ? static_cast<double>(won) / static_cast<double>(done) : 0;
    p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const EngineWork w = work_between(m0, engine->metrics());
    p.tokens_per_s = p.elapsed_s > 0 ? w.tokens / p.elapsed_s : 0;
    p.mean_batch = w.steps > 0 ? w.seqs / w.steps : 0;
    p.phase = phase;
    ctx.hooks().progress(p);
  };

  // The attempts of the tasks in progress (engine.concurrency at once); a task is committed
  // after its last attempt. on_episode runs on run_episodes' one event loop thread.
  std::map<std::int32_t, std::vector<EpisodeResult>> current;
  EpisodesOptions o = c.episodes;
  o.concurrency = ctx.config().value("engine", Json::object()).value("concurrency", 16);
  o.skip_task = [&](std::int32_t task) { return ctx.finished(task_key(c.kind, task)); };
  o.should_stop = [&]() { return ctx.stop_requested() || !ctx.first_error().ok(); };
  o.on_episode = [&](const EpisodeResult& e) {
    std::vector<EpisodeResult>& mine = current[e.task];
    mine.push_back(e);
    const bool last = e.won || e.attempt + 1 >= o.attempts;
    if (!e.error.ok() || !last) {
      if (!e.error.ok()) current.erase(e.task);
      progress("task " + std::to_string(e.task) + " attempt " + std::to_string(e.attempt + 2));
      return;
    }
    std::vector<const EpisodeResult*> attempts;
    for (const EpisodeResult& a : mine) attempts.push_back(&a);
    ctx.record(task_key(c.kind, e.task), task_line(c, e.task, attempts));
    ++done;
    won += e.won ? 1 : 0;
    current.erase(e.task);
    progress(c.kind);
  };
  progress(c.kind);
  const EpisodesReport report = run_episodes(lm, env_factory(c), store, o);
  const Status timed =
      add_timing(ctx.run_dir(), c.kind,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                 work_between(m0, engine->metrics()));
  if (!report.status.ok()) {
    if (report.status.code() == StatusCode::kCancelled && !ctx.first_error().ok()) {
      return ctx.first_error();
    }
    return report.status;
  }

  if (!timed.ok()) return timed.with_context("timing.json");
  // The summary over every committed task (this process and earlier ones).
  ARBOR_RETURN_IF_ERROR(ctx.flush());
  ARBOR_ASSIGN_OR_RETURN(std::vector<memory::ProblemRecord> records,
                         ctx.store().results(ctx.run()).wait());
  std::vector<std::int64_t> by_attempt(static_cast<std::size_t>(c.episodes.attempts), 0);
  std::int64_t tasks = 0, reflections = 0;
  double steps = 0;
  for (const memory::ProblemRecord& r : records) {
    StatusOr<Json> j = parse_json(r.result_json, "run.sqlite");
    if (!j.ok() || j->value("algorithm", std::string()) != c.kind) continue;
    ++tasks;
    steps += j->value("steps", 0.0);
    const Json at = j->value("won_at_attempt", Json());
    if (at.is_number_integer()) {
      for (std::int64_t a = at.get<std::int64_t>() - 1; a < c.episodes.attempts; ++a) {
        if (a >= 0) by_attempt[static_cast<std::size_t>(a)]++;
      }
    }
    for (const Json& e : j->value("episodes", Json::array())) {
      reflections += e.value("reflection", std::string()).empty() ? 0 : 1;
    }
  }
  Json curve = Json::array();
  for (std::int64_t n : by_attempt)
    curve.push_back(tasks > 0 ? static_cast<double>(n) / tasks : 0.0);
  return Json{{"agent",
               {{"kind", c.kind},
                {"env", c.episodes.env_id},
                {"tasks", tasks},
                {"attempts", c.episodes.attempts},
                {"success_rate", curve.empty() ? Json(0.0) : curve.back()},
                {"success_by_attempt", curve},
                {"mean_steps", tasks > 0 ? steps / static_cast<double>(tasks) : 0.0},
                {"reflections", reflections}}}};
}

}  // namespace arbor::agents
