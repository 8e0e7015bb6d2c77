#include "memory/internal/run_ops.h"

#include "core/json.h"

namespace arbor::memory::internal {
namespace {

Status check_json(const std::string& text, const std::string& what) {
  return parse_json(text, what).status();
}

EpisodeStatus parse_status(std::string_view s) {
  if (s == "finished") return EpisodeStatus::kFinished;
  if (s == "abandoned") return EpisodeStatus::kAbandoned;
  return EpisodeStatus::kRunning;
}

constexpr const char* kEpisodeColumns =
    "id, run_id, problem, env, task, info_json, status, outcome_json, started_at, finished_at";

Episode read_episode(const Stmt& s) {
  Episode e;
  e.id = s.col_int(0);
  if (!s.is_null(1)) e.run = s.col_int(1);
  e.problem = s.col_string(2);
  e.env = s.col_string(3);
  e.task = s.col_string(4);
  e.info_json = s.col_string(5);
  e.status = parse_status(s.col_text(6));
  if (!s.is_null(7)) e.outcome_json = s.col_string(7);
  e.started_at = s.col_int(8);
  if (!s.is_null(9)) e.finished_at = s.col_int(9);
  return e;
}

StatusOr<std::vector<Episode>> read_episodes(Stmt& stmt) {
  std::vector<Episode> out;
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) return out;
    out.push_back(read_episode(stmt));
  }
}

}  // namespace

StatusOr<EpisodeId> begin_episode(Connection& conn, WriteContext& ctx, const NewEpisode& e) {
  ARBOR_RETURN_IF_ERROR(check_json(e.info_json, "episode info_json"));
  if (e.run) {
    ARBOR_ASSIGN_OR_RETURN(Stmt run, conn.prepare("SELECT 1 FROM runs WHERE id = ?1"));
    run.bind(1, *e.run);
    ARBOR_ASSIGN_OR_RETURN(const bool exists, run.step());
    if (!exists) return Status::not_found("run " + std::to_string(*e.run) + " does not exist");
  }
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt,
                         conn.prepare("INSERT INTO episodes(run_id, problem, env, task, info_json, "
                                      "started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  if (e.run) stmt.bind(1, *e.run);
  ARBOR_RETURN_IF_ERROR(stmt.bind(2, e.problem)
                            .bind(3, e.env)
                            .bind(4, e.task)
                            .bind(5, e.info_json)
                            .bind(6, ctx.now_ms)
                            .run());
  return conn.last_insert_id();
}

StatusOr<std::int64_t> append_step(Connection& conn, WriteContext& ctx, EpisodeId episode,
                                   const NewStep& step) {
  ARBOR_RETURN_IF_ERROR(check_json(step.info_json, "step info_json"));
  ARBOR_ASSIGN_OR_RETURN(Stmt status, conn.prepare("SELECT status FROM episodes WHERE id = ?1"));
  status.bind(1, episode);
  ARBOR_ASSIGN_OR_RETURN(const bool exists, status.step());
  if (!exists) return Status::not_found("episode " + std::to_string(episode) + " does not exist");
  if (status.col_text(0) != "running") {
    return Status::failed_precondition("episode " + std::to_string(episode) + " is " +
                                       status.col_string(0) +
                                       "; steps are appended only to "
                                       "a running episode");
  }
  ARBOR_ASSIGN_OR_RETURN(
      Stmt stmt,
      conn.prepare("INSERT INTO steps(episode_id, idx, action, observation, reward, info_json, "
                   "created_at) SELECT ?1, coalesce(max(idx) + 1, 0), ?2, ?3, ?4, ?5, ?6 "
                   "FROM steps WHERE episode_id = ?1 RETURNING idx"));
  stmt.bind(1, episode)
      .bind(2, step.action)
      .bind(3, step.observation)
      .bind(4, step.reward)
      .bind(5, step.info_json)
      .bind(6, ctx.now_ms);
  ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
  if (!row) return Status::internal("appending a step returned no index");
  const std::int64_t idx = stmt.col_int(0);
  ARBOR_RETURN_IF_ERROR(stmt.run());
  return idx;
}

Status finish_episode(Connection& conn, WriteContext& ctx, EpisodeId episode,
                      const std::string& outcome_json) {
  ARBOR_RETURN_IF_ERROR(check_json(outcome_json, "episode outcome_json"));
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt,
                         conn.prepare("UPDATE episodes SET status = 'finished', outcome_json = ?1, "
                                      "finished_at = ?2 WHERE id = ?3 AND status = 'running'"));
  ARBOR_RETURN_IF_ERROR(stmt.bind(1, outcome_json).bind(2, ctx.now_ms).bind(3, episode).run());
  if (conn.changes() == 0) {
    return Status::failed_precondition("episode " + std::to_string(episode) +
                                       " does not exist or is not running");
  }
  return Status();
}

StatusOr<RunProgress> open_run(Connection& conn, WriteContext& ctx, const RunSpec& spec) {
  if (spec.name.empty()) return Status::invalid_argument("run name is empty");
  ARBOR_RETURN_IF_ERROR(check_json(spec.config_json, "run config_json"));
  RunProgress progress;
  ARBOR_ASSIGN_OR_RETURN(Stmt find,
                         conn.prepare("SELECT id, config_hash FROM runs WHERE name = ?1"));
  find.bind(1, spec.name);
  ARBOR_ASSIGN_OR_RETURN(const bool exists, find.step());
  if (!exists) {
    ARBOR_ASSIGN_OR_RETURN(Stmt insert,
                           conn.prepare("INSERT INTO runs(name, config_hash, config_json, "
                                        "created_at) VALUES (?1, ?2, ?3, ?4)"));
    ARBOR_RETURN_IF_ERROR(insert.bind(1, spec.name)
                              .bind(2, spec.config_hash)
                              .bind(3, spec.config_json)
                              .bind(4, ctx.now_ms)
                              .run());
    progress.run = conn.last_insert_id();
    return progress;
  }
  progress.run = find.col_int(0);
  progress.resumed = true;
  if (find.col_text(1) != spec.config_hash) {
    return Status::failed_precondition("run '" + spec.name + "' was started with config hash " +
                                       find.col_string(1) + ", this config hashes to " +
                                       spec.config_hash + "; refusing to resume a changed run");
  }
  {
    ARBOR_ASSIGN_OR_RETURN(Stmt running,
                           conn.prepare(std::string("SELECT ") + kEpisodeColumns +
                                        " FROM episodes WHERE run_id = ?1 AND status = "
                                        "'running' ORDER BY id"));
    running.bind(1, progress.run);
    ARBOR_ASSIGN_OR_RETURN(progress.abandoned, read_episodes(running));
  }
  ARBOR_ASSIGN_OR_RETURN(Stmt abandon,
                         conn.prepare("UPDATE episodes SET status = 'abandoned', finished_at = ?1 "
                                      "WHERE run_id = ?2 AND status = 'running'"));
  ARBOR_RETURN_IF_ERROR(abandon.bind(1, ctx.now_ms).bind(2, progress.run).run());
  for (Episode& e : progress.abandoned) {
    e.status = EpisodeStatus::kAbandoned;
    e.finished_at = ctx.now_ms;
  }
  ARBOR_ASSIGN_OR_RETURN(
      Stmt done,
      conn.prepare("SELECT problem FROM problem_results WHERE run_id = ?1 ORDER BY problem"));
  done.bind(1, progress.run);
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, done.step());
    if (!row) break;
    progress.finished.push_back(done.col_string(0));
  }
  return progress;
}

Status finish_problem(Connection& conn, WriteContext& ctx, const ProblemResult& r) {
  if (r.problem.empty()) return Status::invalid_argument("problem id is empty");
  ARBOR_RETURN_IF_ERROR(check_json(r.result_json, "result of problem '" + r.problem + "'"));
  if (r.tree_json) {
    ARBOR_RETURN_IF_ERROR(check_json(*r.tree_json, "tree of problem '" + r.problem + "'"));
  }
  ARBOR_ASSIGN_OR_RETURN(Stmt seen, conn.prepare("SELECT 1 FROM problem_results WHERE run_id = "
                                                 "?1 AND problem = ?2"));
  seen.bind(1, r.run).bind(2, r.problem);
  ARBOR_ASSIGN_OR_RETURN(const bool exists, seen.step());
  if (exists) {
    return Status::already_exists("problem '" + r.problem + "' of run " + std::to_string(r.run) +
                                  " is already recorded");
  }
  if (r.episode) ARBOR_RETURN_IF_ERROR(finish_episode(conn, ctx, *r.episode, r.outcome_json));
  ARBOR_ASSIGN_OR_RETURN(Stmt insert,
                         conn.prepare("INSERT INTO problem_results(run_id, problem, episode_id, "
                                      "result_json, finished_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
  insert.bind(1, r.run).bind(2, r.problem);
  if (r.episode) insert.bind(3, *r.episode);
  ARBOR_RETURN_IF_ERROR(
      insert.bind(4, r.result_json)
          .bind(5, ctx.now_ms)
          .run()
          .with_context("recording problem '" + r.problem + "' of run " + std::to_string(r.run)));
  if (r.tree_json) {
    ARBOR_ASSIGN_OR_RETURN(Stmt tree, conn.prepare("INSERT INTO search_trees(run_id, problem, "
                                                   "tree_json) VALUES (?1, ?2, ?3)"));
    ARBOR_RETURN_IF_ERROR(tree.bind(1, r.run).bind(2, r.problem).bind(3, *r.tree_json).run());
  }
  return Status();
}

StatusOr<std::optional<Episode>> get_episode(Connection& conn, EpisodeId id) {
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(std::string("SELECT ") + kEpisodeColumns +
                                                 " FROM episodes WHERE id = ?1"));
  stmt.bind(1, id);
  ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
  if (!row) return std::optional<Episode>();
  return std::optional<Episode>(read_episode(stmt));
}

StatusOr<std::vector<Episode>> run_episodes(Connection& conn, RunId run) {
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(std::string("SELECT ") + kEpisodeColumns +
                                                 " FROM episodes WHERE run_id = ?1 ORDER BY id"));
  stmt.bind(1, run);
  return read_episodes(stmt);
}

StatusOr<std::vector<Step>> get_steps(Connection& conn, EpisodeId episode, std::int64_t from,
                                      std::int64_t limit) {
  ARBOR_ASSIGN_OR_RETURN(
      Stmt stmt, conn.prepare("SELECT idx, action, observation, reward, info_json, created_at "
                              "FROM steps WHERE episode_id = ?1 AND idx >= ?2 ORDER BY idx "
                              "LIMIT ?3"));
  stmt.bind(1, episode).bind(2, from).bind(3, limit);
  std::vector<Step> out;
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) return out;
    Step s;
    s.episode = episode;
    s.index = stmt.col_int(0);
    s.action = stmt.col_string(1);
    s.observation = stmt.col_string(2);
    s.reward = stmt.col_double(3);
    s.info_json = stmt.col_string(4);
    s.created_at = stmt.col_int(5);
    out.push_back(std::move(s));
  }
}

StatusOr<std::vector<ProblemRecord>> run_results(Connection& conn, RunId run) {
  ARBOR_ASSIGN_OR_RETURN(
      Stmt stmt,
      conn.prepare("SELECT r.problem, r.result_json, r.episode_id, r.finished_at, t.problem IS "
                   "NOT NULL FROM problem_results r LEFT JOIN search_trees t ON t.run_id = "
                   "r.run_id AND t.problem = r.problem WHERE r.run_id = ?1 ORDER BY r.problem"));
  stmt.bind(1, run);
  std::vector<ProblemRecord> out;
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) return out;
    ProblemRecord p;
    p.problem = stmt.col_string(0);
    p.result_json = stmt.col_string(1);
    if (!stmt.is_null(2)) p.episode = stmt.col_int(2);
    p.finished_at = stmt.col_int(3);
    p.has_tree = stmt.col_int(4) != 0;
    out.push_back(std::move(p));
  }
}

StatusOr<std::optional<std::string>> get_tree(Connection& conn, RunId run,
                                              const std::string& problem) {
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare("SELECT tree_json FROM search_trees WHERE "
                                                 "run_id = ?1 AND problem = ?2"));
  stmt.bind(1, run).bind(2, problem);
  ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(stmt.col_string(0));
}

}  // namespace arbor::memory::internal
