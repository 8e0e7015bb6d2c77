// The agent run kinds of `arbor run` ("react" and "reflexion", agents/run_kinds.cpp): the
// episodes of a config with `env` + `agent` (agents/agent_config.h) on the run's engine.
//
// Tasks run `engine.concurrency` at once on the run's engine (each with its own environment,
// its attempts in order; run_episodes). A unit is a task: all its attempts, committed through
// RunContext::record as one line of results.jsonl once the task is won or out of attempts, under
// the key "<kind>/task:<i>", so `arbor run --resume` skips finished tasks. The line: {"id":
// "task:<i>", "algorithm": kind, "env", "seed", "correct" (won), "won_at_attempt" (1-based, or
// null), "attempts", "steps", "reward", "tokens", "model_calls", "time", "episodes": [each
// attempt's record]}, so the summary's `algorithms.<kind>.accuracy` is the success rate.
// Reflections go to the database of `memory.database` when set, else to the run's own store
// (run.sqlite), so a resumed run still has them (a task retrieves its own reflections and those
// stored before this process started, never another task's from this process, so its episodes do
// not depend on the concurrency); every attempt is also recorded there as an episode with its
// steps. Lines are appended as tasks finish (not in task order). An environment that dies mid-run
// ends the run with its error; finished tasks stay committed.
//
// Thread safety: one run at a time (the engine is the run's).
#pragma once

#include "agents/run_kinds.h"
#include "core/json.h"
#include "core/status.h"

namespace arbor::agents {

// Runs the unfinished tasks; returns {"agent": {"kind", "env", "tasks", "attempts",
// "success_rate", "success_by_attempt", "mean_steps", "reflections"}} over every committed task.
StatusOr<Json> run_agent_kind(RunContext& context);

}  // namespace arbor::agents
