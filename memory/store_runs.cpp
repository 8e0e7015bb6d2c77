// memory::Store: episodes, steps, runs and per-problem results (the memories are in store.cpp).
#include "memory/internal/run_ops.h"
#include "memory/internal/store_plumbing.h"
#include "memory/store.h"

namespace arbor::memory {

using internal::Connection;
using internal::WriteContext;

Pending<EpisodeId> Store::begin_episode(NewEpisode episode) {
  return write<EpisodeId>([e = std::move(episode)](Connection& conn, WriteContext& ctx) {
    return internal::begin_episode(conn, ctx, e);
  });
}

Pending<std::int64_t> Store::append_step(EpisodeId episode, NewStep step) {
  return write<std::int64_t>([episode, s = std::move(step)](Connection& conn, WriteContext& ctx) {
    return internal::append_step(conn, ctx, episode, s);
  });
}

Pending<void> Store::finish_episode(EpisodeId episode, std::string outcome_json) {
  return write<void>([episode, o = std::move(outcome_json)](Connection& conn, WriteContext& ctx) {
    return internal::finish_episode(conn, ctx, episode, o);
  });
}

Pending<std::optional<Episode>> Store::episode(EpisodeId id) {
  return read<std::optional<Episode>>(
      [id](Connection& conn) { return internal::get_episode(conn, id); });
}

Pending<std::vector<Step>> Store::steps(EpisodeId episode, std::int64_t from, std::int64_t limit) {
  return read<std::vector<Step>>([episode, from, limit](Connection& conn) {
    return internal::get_steps(conn, episode, from, limit);
  });
}

Pending<RunProgress> Store::open_run(RunSpec spec) {
  return write<RunProgress>([s = std::move(spec)](Connection& conn, WriteContext& ctx) {
    return internal::open_run(conn, ctx, s);
  });
}

Pending<void> Store::finish_problem(ProblemResult result) {
  return write<void>([r = std::move(result)](Connection& conn, WriteContext& ctx) {
    return internal::finish_problem(conn, ctx, r);
  });
}

Pending<std::vector<ProblemRecord>> Store::results(RunId run) {
  return read<std::vector<ProblemRecord>>(
      [run](Connection& conn) { return internal::run_results(conn, run); });
}

Pending<std::vector<Episode>> Store::episodes(RunId run) {
  return read<std::vector<Episode>>(
      [run](Connection& conn) { return internal::run_episodes(conn, run); });
}

Pending<std::optional<std::string>> Store::tree(RunId run, std::string problem) {
  return read<std::optional<std::string>>(
      [run, p = std::move(problem)](Connection& conn) { return internal::get_tree(conn, run, p); });
}

}  // namespace arbor::memory
