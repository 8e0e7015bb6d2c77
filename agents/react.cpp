#include "agents/react.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/strings.h"
#include "search/budget.h"
#include "search/gather.h"
#include "search/prompts.h"
#include "search/seeds.h"
#include "search/status_macros.h"

namespace arbor::agents {
namespace {

using search::ContextPtr;
using search::Sample;

struct PromptField {
  const char* key;
  std::string ReactPrompts::*member;
  std::vector<std::string> allowed;
};

const std::vector<PromptField>& prompt_fields() {
  static const std::vector<PromptField> kFields = {
      {"intro", &ReactPrompts::intro, {"reflections", "observation", "objective"}},
      {"reflections_header", &ReactPrompts::reflections_header, {}},
      {"reflection_item", &ReactPrompts::reflection_item, {"reflection"}},
      {"thought", &ReactPrompts::thought, {}},
      {"action", &ReactPrompts::action, {}},
      {"observation", &ReactPrompts::observation, {"observation"}},
      {"reflect", &ReactPrompts::reflect, {}},
  };
  return kFields;
}

// A one-line text: what the model wrote up to the end of its line, trimmed.
std::string one_line(std::string_view text) {
  const std::size_t nl = text.find('\n');
  return std::string(trim(nl == std::string_view::npos ? text : text.substr(0, nl)));
}

std::string clip(std::string_view text, std::int32_t max_chars) {
  std::string t(trim(text));
  if (static_cast<std::int32_t>(t.size()) > max_chars) {
    t = t.substr(0, static_cast<std::size_t>(max_chars)) + " ...";
  }
  return t;
}

// One line written by the model after `ctx`; the returned context ends after its newline.
struct Line {
  std::string text;
  double logprob = 0;
  ContextPtr context;
};

Task<StatusOr<Line>> write_line(search::LanguageModel& lm, ContextPtr ctx, std::int32_t max_tokens,
                                float temperature, std::uint64_t seed) {
  search::SampleParams p;
  p.temperature = temperature;
  p.max_tokens = max_tokens;
  p.stop = {"\n"};
  p.seed = seed;
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> s, co_await lm.sample(ctx, 1, p));
  Line out;
  out.text = one_line(s.at(0).text);
  out.logprob = s.at(0).logprob;
  out.context = s.at(0).context;
  if (s.at(0).finish != search::Finish::kStop) {
    ARBOR_CO_ASSIGN_OR_RETURN(out.context, co_await lm.extend(out.context, "\n"));
  }
  co_return out;
}

bool won_of(const Json& info, bool terminated, double total_reward) {
  if (info.is_object() && info.contains(envs::kInfoWon) && info[envs::kInfoWon].is_boolean()) {
    return info[envs::kInfoWon].get<bool>();
  }
  return terminated && total_reward > 0;
}

std::string objective_of(const Json& info) {
  if (info.is_object() && info.contains(envs::kInfoObjective) &&
      info[envs::kInfoObjective].is_string()) {
    return info[envs::kInfoObjective].get<std::string>();
  }
  return {};
}

}  // namespace

StatusOr<ReactPrompts> ReactPrompts::from_json(const Json& j, std::string_view where) {
  ReactPrompts p;
  if (j.is_null()) return p;
  if (!j.is_object()) return Status::invalid_argument(std::string(where) + ": must be an object");
  for (const auto& [key, value] : j.items()) {
    const PromptField* field = nullptr;
    for (const PromptField& f : prompt_fields()) {
      if (key == f.key) field = &f;
    }
    const std::string at = std::string(where) + "." + key;
    if (field == nullptr) {
      std::string known;
      for (const PromptField& f : prompt_fields())
        known += (known.empty() ? "" : ", ") + std::string(f.key);
      return Status::invalid_argument(at + ": unknown field (known: " + known + ")");
    }
    if (!value.is_string()) return Status::invalid_argument(at + ": must be a string");
    p.*(field->member) = value.get<std::string>();
    ARBOR_RETURN_IF_ERROR(search::check_template(p.*(field->member), field->allowed, at));
  }
  return p;
}

Json ReactPrompts::to_json() const {
  Json j = Json::object();
  for (const PromptField& f : prompt_fields()) j[f.key] = this->*(f.member);
  return j;
}

StatusOr<ReactOptions> ReactOptions::from_json(const Json& j, std::string_view where) {
  ReactOptions o;
  if (j.is_null()) return o;
  if (!j.is_object()) return Status::invalid_argument(std::string(where) + ": must be an object");
  const std::string w(where);
  auto get_int = [&](const char* key, std::int32_t* out, std::int64_t lo) -> Status {
    if (!j.contains(key) || j[key].is_null()) return Status();
    const Json& v = j[key];
    if (!v.is_number_integer() || v.get<std::int64_t>() < lo || v.get<std::int64_t>() > (1 << 20)) {
      return Status::invalid_argument(w + "." + key + ": must be an integer in [" +
                                      std::to_string(lo) + ", " + std::to_string(1 << 20) +
                                      "], not " + v.dump());
    }
    *out = static_cast<std::int32_t>(v.get<std::int64_t>());
    return Status();
  };
  auto get_bool = [&](const char* key, bool* out) -> Status {
    if (!j.contains(key) || j[key].is_null()) return Status();
    if (!j[key].is_boolean()) {
      return Status::invalid_argument(w + "." + key + ": must be true or false, not " +
                                      j[key].dump());
    }
    *out = j[key].get<bool>();
    return Status();
  };
  static const std::set<std::string> kKnown = {"max_steps",
                                               "think",
                                               "use_admissible",
                                               "temperature",
                                               "thought_max_tokens",
                                               "action_max_tokens",
                                               "reflection_max_tokens",
                                               "max_observation_chars",
                                               "prompts"};
  for (const auto& [key, value] : j.items()) {
    if (kKnown.count(key) == 0) {
      std::string known;
      for (const std::string& k : kKnown) known += (known.empty() ? "" : ", ") + k;
      return Status::invalid_argument(w + "." + key + ": unknown field (known: " + known + ")");
    }
  }
  ARBOR_RETURN_IF_ERROR(get_int("max_steps", &o.max_steps, 1));
  ARBOR_RETURN_IF_ERROR(get_int("thought_max_tokens", &o.thought_max_tokens, 1));
  ARBOR_RETURN_IF_ERROR(get_int("action_max_tokens", &o.action_max_tokens, 1));
  ARBOR_RETURN_IF_ERROR(get_int("reflection_max_tokens", &o.reflection_max_tokens, 1));
  ARBOR_RETURN_IF_ERROR(get_int("max_observation_chars", &o.max_observation_chars, 16));
  ARBOR_RETURN_IF_ERROR(get_bool("think", &o.think));
  ARBOR_RETURN_IF_ERROR(get_bool("use_admissible", &o.use_admissible));
  if (j.contains("temperature") && !j["temperature"].is_null()) {
    const Json& t = j["temperature"];
    if (!t.is_number() || t.get<double>() < 0 || t.get<double>() > 100) {
      return Status::invalid_argument(w + ".temperature: must be a number in [0, 100], not " +
                                      t.dump());
    }
    o.temperature = static_cast<float>(t.get<double>());
  }
  ARBOR_ASSIGN_OR_RETURN(o.prompts,
                         ReactPrompts::from_json(j.value("prompts", Json()), w + ".prompts"));
  return o;
}

Json ReactOptions::to_json() const {
  return {{"max_steps", max_steps},
          {"think", think},
          {"use_admissible", use_admissible},
          {"temperature", temperature},
          {"thought_max_tokens", thought_max_tokens},
          {"action_max_tokens", action_max_tokens},
          {"reflection_max_tokens", reflection_max_tokens},
          {"max_observation_chars", max_observation_chars},
          {"prompts", prompts.to_json()}};
}

Json StepRecord::to_json() const {
  return {{"thought", thought}, {"action", action},         {"observation", observation},
          {"reward", reward},   {"admissible", admissible}, {"action_logprob", action_logprob}};
}

Json EpisodeResult::to_json() const {
  Json s = Json::array();
  for (const StepRecord& r : steps) s.push_back(r.to_json());
  Json j = {{"env", env},
            {"task", task},
            {"seed", seed},
            {"attempt", attempt},
            {"won", won},
            {"terminated", terminated},
            {"truncated", truncated},
            {"total_reward", total_reward},
            {"n_steps", steps.size()},
            {"reflections_used", reflections_used},
            {"reflection", reflection},
            {"tokens", tokens},
            {"calls", calls},
            {"seconds", seconds},
            {"steps", std::move(s)}};
  if (!error.ok()) j["error"] = error.to_string();
  return j;
}

Task<StatusOr<EpisodeResult>> run_react_episode(search::LanguageModel& base, envs::Environment& env,
                                                std::uint64_t seed,
                                                std::vector<std::string> reflections, bool reflect,
                                                const ReactOptions& o) {
  search::MeteredModel lm(base, search::Budget{});
  const ReactPrompts& pr = o.prompts;
  EpisodeResult out;
  out.env = env.spec().id;
  out.seed = seed;
  out.reflections_used = reflections;
  StatusOr<envs::ResetResult> reset = env.reset(seed, Json::object());
  if (!reset.ok()) co_return reset.status().with_context("environment " + out.env + ": reset");
  out.first_observation = clip(reset->observation, o.max_observation_chars);

  std::string block;
  if (!reflections.empty()) {
    block = pr.reflections_header;
    for (const std::string& r : reflections)
      block += search::render(pr.reflection_item, {{"reflection", r}});
  }
  const std::string intro = search::render(pr.intro, {{"reflections", block},
                                                      {"observation", out.first_observation},
                                                      {"objective", objective_of(reset->info)}});
  const bool scored = o.use_admissible && env.spec().admissible_actions;
  // A model failure ends the episode like an environment failure: the steps so far are kept.
  auto finish = [&](Status error) {
    const search::Usage u = lm.usage();
    out.tokens = u.tokens;
    out.calls = u.calls;
    out.seconds = u.seconds;
    out.error = std::move(error);
    return out;
  };
  StatusOr<ContextPtr> ctx = co_await lm.start(intro);
  if (!ctx.ok()) co_return finish(ctx.status().with_context("model"));
  Json last_info = reset->info;
  for (std::int32_t step = 0; step < o.max_steps; ++step) {
    const std::string where = "environment " + out.env + ", step " + std::to_string(step + 1);
    StepRecord rec;
    if (o.think) {
      StatusOr<ContextPtr> tctx = co_await lm.extend(*ctx, pr.thought);
      if (!tctx.ok()) co_return finish(tctx.status().with_context("model"));
      StatusOr<Line> thought =
          co_await write_line(lm, *tctx, o.thought_max_tokens, o.temperature,
                              search::derive_seed(seed, 1, static_cast<std::uint64_t>(step)));
      if (!thought.ok()) co_return finish(thought.status().with_context("model"));
      rec.thought = thought->text;
      ctx = thought->context;
    }
    StatusOr<ContextPtr> actx = co_await lm.extend(*ctx, pr.action);
    if (!actx.ok()) co_return finish(actx.status().with_context("model"));
    std::vector<std::string> admissible;
    if (scored) {
      StatusOr<std::vector<std::string>> a = env.admissible_actions();
      if (!a.ok()) co_return finish(a.status().with_context(where + ": admissible actions"));
      admissible = std::move(*a);
    }
    if (!admissible.empty()) {
      std::vector<Task<StatusOr<double>>> scores;
      for (const std::string& a : admissible) scores.push_back(lm.logprob(*actx, " " + a + "\n"));
      StatusOr<std::vector<double>> lp = co_await search::gather(std::move(scores));
      if (!lp.ok()) co_return finish(lp.status().with_context("model"));
      std::size_t best = 0;
      for (std::size_t i = 1; i < lp->size(); ++i) {
        if ((*lp)[i] > (*lp)[best]) best = i;
      }
      rec.action = admissible[best];
      rec.action_logprob = (*lp)[best];
      rec.admissible = static_cast<std::int32_t>(admissible.size());
      ctx = co_await lm.extend(*actx, " " + rec.action + "\n");
      if (!ctx.ok()) co_return finish(ctx.status().with_context("model"));
    } else {
      StatusOr<Line> line =
          co_await write_line(lm, *actx, o.action_max_tokens, o.temperature,
                              search::derive_seed(seed, 2, static_cast<std::uint64_t>(step)));
      if (!line.ok()) co_return finish(line.status().with_context("model"));
      rec.action = line->text;
      rec.action_logprob = line->logprob;
      ctx = line->context;
    }
    StatusOr<envs::StepResult> r = env.step(rec.action);
    if (!r.ok()) {
      co_return finish(r.status().with_context(where + ", action '" + rec.action + "'"));
    }
    rec.observation = clip(r->observation, o.max_observation_chars);
    rec.reward = r->reward;
    out.total_reward += r->reward;
    out.terminated = r->terminated;
    out.truncated = r->truncated;
    last_info = r->info;
    out.steps.push_back(rec);
    // (A named text: GCC 12 mishandles braced temporaries inside co_await expressions.)
    const search::TemplateVars vars = {{"observation", rec.observation}};
    std::string text = search::render(pr.observation, vars);
    ctx = co_await lm.extend(*ctx, std::move(text));
    if (!ctx.ok()) co_return finish(ctx.status().with_context("model"));
    if (r->terminated || r->truncated) break;
  }
  out.won = won_of(last_info, out.terminated, out.total_reward);
  if (!out.won && reflect) {
    StatusOr<ContextPtr> rctx = co_await lm.extend(*ctx, pr.reflect);
    if (!rctx.ok()) co_return finish(rctx.status().with_context("model"));
    StatusOr<Line> line = co_await write_line(lm, *rctx, o.reflection_max_tokens, o.temperature,
                                              search::derive_seed(seed, 3));
    if (!line.ok()) co_return finish(line.status().with_context("model"));
    out.reflection = line->text;
  }
  co_return finish(Status());
}

namespace {

namespace asio = boost::asio;

std::string task_tag(std::int32_t task) {
  return "task:" + std::to_string(task);
}

// The reflections for an attempt, at most k: `written` (this task's, from this call, oldest
// first) newest first, then of the memories created before `before` (ms since the epoch): the
// task's own newest first, then the best matches of `query` in the scope.
StatusOr<std::vector<std::string>> find_reflections(memory::Store& store, const std::string& scope,
                                                    std::int32_t task, const std::string& query,
                                                    std::int32_t k,
                                                    const std::vector<std::string>& written,
                                                    std::int64_t before) {
  std::vector<std::string> out;
  auto add = [&](const std::string& text) {
    if (static_cast<std::int32_t>(out.size()) < k &&
        std::find(out.begin(), out.end(), text) == out.end()) {
      out.push_back(text);
    }
  };
  for (auto it = written.rbegin(); it != written.rend(); ++it) add(*it);
  if (static_cast<std::int32_t>(out.size()) >= k) return out;
  memory::MemoryFilter own;
  own.kinds = {"reflection"};
  own.scopes = {scope};
  own.tags = {task_tag(task)};
  own.created_before = before;
  ARBOR_ASSIGN_OR_RETURN(std::vector<memory::Memory> mine, store.recent(own, k).wait());
  for (const memory::Memory& m : mine) add(m.text);
  if (static_cast<std::int32_t>(out.size()) < k && !trim(query).empty()) {
    memory::Query q;
    q.text = query;
    q.k = k;
    q.filter.kinds = {"reflection"};
    q.filter.scopes = {scope};
    q.filter.created_before = before;
    ARBOR_ASSIGN_OR_RETURN(std::vector<memory::ScoredMemory> hits, store.retrieve(q).wait());
    for (const memory::ScoredMemory& h : hits) add(h.memory.text);
  }
  return out;
}

// Records an attempt as a store episode with its steps and outcome, and its reflection.
Status record(memory::Store& store, const EpisodesOptions& o, const std::string& scope,
              const EpisodeResult& e) {
  memory::NewEpisode ne;
  ne.problem = task_tag(e.task) + "/attempt:" + std::to_string(e.attempt);
  ne.env = o.env_id;
  ne.task = task_tag(e.task);
  ne.info_json = Json{{"seed", e.seed}, {"reflections_used", e.reflections_used}}.dump();
  ARBOR_ASSIGN_OR_RETURN(memory::EpisodeId id, store.begin_episode(ne).wait());
  for (const StepRecord& s : e.steps) {
    memory::NewStep ns;
    ns.action = s.action;
    ns.observation = s.observation;
    ns.reward = s.reward;
    ns.info_json = Json{{"thought", s.thought}, {"admissible", s.admissible}}.dump();
    ARBOR_RETURN_IF_ERROR(store.append_step(id, ns).wait().status());
  }
  Json outcome = {{"won", e.won}, {"total_reward", e.total_reward}, {"steps", e.steps.size()}};
  if (!e.error.ok()) outcome["error"] = e.error.to_string();
  ARBOR_RETURN_IF_ERROR(store.finish_episode(id, outcome.dump()).wait());
  if (!e.reflection.empty()) {
    memory::NewMemory m;
    m.kind = "reflection";
    m.scope = scope;
    m.text = e.reflection;
    m.tags = {task_tag(e.task)};
    m.episode = id;
    ARBOR_ASSIGN_OR_RETURN(memory::AddResult added, store.add(m).wait());
    if (!added.created) {
      // The same lesson was stored for another task: tag it with this task too. (Store jobs
      // run one at a time, so no other task's tag update comes between this read and write.)
      ARBOR_ASSIGN_OR_RETURN(std::optional<memory::Memory> old, store.get(added.id).wait());
      if (old && std::find(old->tags.begin(), old->tags.end(), m.tags[0]) == old->tags.end()) {
        memory::MemoryUpdate u;
        u.tags = old->tags;
        u.tags->push_back(m.tags[0]);
        ARBOR_RETURN_IF_ERROR(store.update(added.id, u).wait());
      }
    }
  }
  return Status();
}

Task<Status> run_job(std::function<Status()> job) {
  co_return job();
}

// The state of one run_episodes call, shared by its task coroutines on one event loop.
struct EpisodesRun {
  search::LanguageModel& lm;
  const EnvFactory& make_env;
  memory::Store* store;
  const EpisodesOptions& o;
  std::string scope;
  std::int64_t memory_before = 0;  // reflections created from then on are this call's
  asio::thread_pool& memory_thread;
  std::vector<std::int32_t> tasks;  // to play, in order
  std::size_t next = 0;             // the next of `tasks` to start
  EpisodesReport report;

  // Keeps the first failure; an error replaces a stop request.
  void fail(Status s) {
    if (report.status.ok() ||
        (report.status.code() == StatusCode::kCancelled && s.code() != StatusCode::kCancelled)) {
      report.status = std::move(s);
    }
  }

  // Runs `job` (it may wait on the Store) on the memory thread, one job at a time in the
  // order submitted; resumes the caller on its executor.
  Task<Status> on_memory_thread(std::function<Status()> job) {
    co_return co_await asio::co_spawn(memory_thread, run_job(std::move(job)), asio::use_awaitable);
  }
};

// Plays the attempts of `task` in order until one wins or none is left.
Task<void> play_task(EpisodesRun& run, std::int32_t task) {
  const EpisodesOptions& o = run.o;
  const std::uint64_t seed = o.env_seed + static_cast<std::uint64_t>(task);
  std::string query;                 // the task's first observation, for retrieval
  std::vector<std::string> written;  // this task's reflections so far, oldest first
  for (std::int32_t attempt = 0; attempt < o.attempts; ++attempt) {
    const std::string where =
        o.env_id + " task " + std::to_string(task) + " attempt " + std::to_string(attempt + 1);
    if (!run.report.status.ok()) co_return;  // another task failed, or the run was stopped
    if (o.should_stop && o.should_stop()) {
      run.fail(Status::cancelled("stopped before " + where));
      co_return;
    }
    StatusOr<envs::EnvironmentPtr> env = run.make_env();
    if (!env.ok()) {
      run.fail(env.status().with_context(where));
      co_return;
    }
    std::vector<std::string> reflections;
    if (o.reflexion && attempt > 0) {
      const Status found = co_await run.on_memory_thread([&]() -> Status {
        ARBOR_ASSIGN_OR_RETURN(reflections,
                               find_reflections(*run.store, run.scope, task, query, o.reflections_k,
                                                written, run.memory_before));
        return Status();
      });
      if (!found.ok()) {
        (*env)->close();
        run.fail(found.with_context(where + ": memory"));
        co_return;
      }
    }
    StatusOr<EpisodeResult> e;
    try {
      e = co_await run_react_episode(run.lm, **env, seed, reflections, o.reflexion, o.react);
    } catch (const std::exception& ex) {
      e = Status::internal(std::string("episode failed: ") + ex.what());
    }
    (*env)->close();
    if (!e.ok()) {
      run.fail(e.status().with_context(where));
      co_return;
    }
    e->task = task;
    e->attempt = attempt;
    if (query.empty()) query = e->first_observation;
    if (!e->reflection.empty() &&
        std::find(written.begin(), written.end(), e->reflection) == written.end()) {
      written.push_back(e->reflection);
    }
    if (run.store != nullptr) {
      const Status s =
          co_await run.on_memory_thread([&]() { return record(*run.store, o, run.scope, *e); });
      if (!s.ok()) {
        run.report.episodes.push_back(std::move(*e));
        run.fail(s.with_context(where + ": memory"));
        co_return;
      }
    }
    const bool won = e->won;
    const Status error = e->error;
    run.report.episodes.push_back(std::move(*e));
    if (o.on_episode) o.on_episode(run.report.episodes.back());
    if (!error.ok()) {
      run.fail(error.with_context(where));
      co_return;
    }
    if (won) break;
  }
}

// Starts the next task while there is one and nothing failed.
Task<void> task_worker(EpisodesRun& run) {
  while (run.next < run.tasks.size() && run.report.status.ok()) {
    co_await play_task(run, run.tasks[run.next++]);
  }
}

}  // namespace

EpisodesReport run_episodes(search::LanguageModel& lm, const EnvFactory& make_env,
                            memory::Store* store, const EpisodesOptions& o) {
  if (o.reflexion && store == nullptr) {
    EpisodesReport report;
    report.status = Status::invalid_argument("reflexion needs a memory store");
    return report;
  }
  asio::thread_pool memory_thread(1);
  EpisodesRun run{lm,
                  make_env,
                  store,
                  o,
                  o.memory_scope.empty() ? "reflexion:" + o.env_id : o.memory_scope,
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count(),
                  memory_thread};
  for (std::int32_t task = 0; task < o.tasks; ++task) {
    if (!(o.skip_task && o.skip_task(task))) run.tasks.push_back(task);
  }
  asio::io_context io;
  const auto workers = static_cast<std::int32_t>(std::min<std::size_t>(
      static_cast<std::size_t>(std::max(o.concurrency, 1)), run.tasks.size()));
  for (std::int32_t w = 0; w < workers; ++w) {
    asio::co_spawn(io, task_worker(run), [&run](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        run.fail(Status::internal(std::string("episode failed: ") + ex.what()));
      }
    });
  }
  io.run();
  memory_thread.join();
  std::stable_sort(run.report.episodes.begin(), run.report.episodes.end(),
                   [](const EpisodeResult& a, const EpisodeResult& b) {
                     return a.task != b.task ? a.task < b.task : a.attempt < b.attempt;
                   });
  return std::move(run.report);
}

Json EpisodesReport::summary(std::int32_t tasks, std::int32_t attempts) const {
  std::vector<std::int32_t> won_at(static_cast<std::size_t>(std::max(tasks, 0)), -1);
  double steps = 0, reward = 0;
  std::int64_t tokens = 0, reflections = 0;
  for (const EpisodeResult& e : episodes) {
    if (e.won && e.task >= 0 && e.task < tasks)
      won_at[static_cast<std::size_t>(e.task)] = e.attempt;
    steps += static_cast<double>(e.steps.size());
    reward += e.total_reward;
    tokens += e.tokens;
    reflections += e.reflection.empty() ? 0 : 1;
  }
  Json by_attempt = Json::array();
  std::int32_t won = 0;
  for (std::int32_t a = 0; a < attempts; ++a) {
    std::int32_t n = 0;
    for (std::int32_t w : won_at) n += w >= 0 && w <= a;
    by_attempt.push_back(tasks > 0 ? static_cast<double>(n) / tasks : 0.0);
    won = n;
  }
  const double n_ep = std::max<double>(1, static_cast<double>(episodes.size()));
  return {{"tasks", tasks},
          {"attempts", attempts},
          {"episodes", episodes.size()},
          {"success_rate", tasks > 0 ? static_cast<double>(won) / tasks : 0.0},
          {"success_by_attempt", by_attempt},
          {"mean_steps", steps / n_ep},
          {"mean_reward", reward / n_ep},
          {"tokens", tokens},
          {"reflections_written", reflections}};
}

}  // namespace arbor::agents
