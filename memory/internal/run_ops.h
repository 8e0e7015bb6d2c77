// Episodes, steps, runs and per-problem results as functions of a connection (see
// memory_ops.h for the transaction rules).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "memory/internal/sqlite.h"
#include "memory/internal/writer.h"
#include "memory/types.h"

namespace arbor::memory::internal {

// ---- writes --------------------------------------------------------------------------------

StatusOr<EpisodeId> begin_episode(Connection& conn, WriteContext& ctx, const NewEpisode& e);
// Appends after the episode's last step; returns the new step's index.
StatusOr<std::int64_t> append_step(Connection& conn, WriteContext& ctx, EpisodeId episode,
                                   const NewStep& step);
Status finish_episode(Connection& conn, WriteContext& ctx, EpisodeId episode,
                      const std::string& outcome_json);
// Creates the run, or resumes it: refuses a different config hash, marks the run's running
// episodes abandoned and lists what is finished.
StatusOr<RunProgress> open_run(Connection& conn, WriteContext& ctx, const RunSpec& spec);
// Records a finished problem: its result, its tree and (when set) its episode's end, together.
Status finish_problem(Connection& conn, WriteContext& ctx, const ProblemResult& result);

// ---- reads ---------------------------------------------------------------------------------

StatusOr<std::optional<Episode>> get_episode(Connection& conn, EpisodeId id);
StatusOr<std::vector<Episode>> run_episodes(Connection& conn, RunId run);
// Steps with index in [from, from + limit).
StatusOr<std::vector<Step>> get_steps(Connection& conn, EpisodeId episode, std::int64_t from,
                                      std::int64_t limit);
StatusOr<std::vector<ProblemRecord>> run_results(Connection& conn, RunId run);
StatusOr<std::optional<std::string>> get_tree(Connection& conn, RunId run,
                                              const std::string& problem);

}  // namespace arbor::memory::internal
