// Experiment runs: `arbor run CONFIG` and `arbor run --resume RUN_DIR` (docs/experiments.md).
//
// A run folder holds:
//   config.resolved.json  {"arbor_version", "config_hash", "config": the resolved config}
//   run.sqlite            the run store (memory::Store): one committed result per finished unit
//   results.jsonl         one line per finished unit (problem x algorithm, or episode)
//   summary.json          the aggregate (written at the end, and when interrupted)
//   timing.json           wall time and engine counters per algorithm, over every session
//   trees/<algorithm>/<problem id>.json   each search's tree (output.trees)
//
// A unit is committed to run.sqlite before its line is appended to results.jsonl, and
// results.jsonl is rewritten from the store when a run starts or ends, so a crash, a Ctrl-C or
// a full disk loses no finished unit; `--resume` skips the committed ones and redoes the rest.
// Resuming refuses a config whose hash differs from the one the run was started with.
//
// Thread safety: one run per process at a time (the engine is the run's).
#pragma once

#include <string>
#include <vector>

#include "agents/run_kinds.h"
#include "core/json.h"
#include "core/status.h"

namespace arbor::agents {

struct RunOptions {
  std::string code_version;  // `arbor --version`, recorded in config.resolved.json
  RunHooks hooks;
};

// output.folder with {name} (experiment.name, made file-safe) and {time} (UTC,
// YYYYMMDD-HHMMSS) filled in.
std::string default_run_folder(const Json& resolved);

// Starts a run of `resolved` (from resolve_experiment) in `run_dir`, which must not hold a run
// yet (AlreadyExists: resume it instead). Returns the summary. Cancelled when stopped through
// hooks.stop: the finished units are kept and summary.json says "complete": false.
StatusOr<Json> start_run(const Json& resolved, const std::string& run_dir,
                         const RunOptions& options);

// Continues the run in `run_dir`. `sets` (--set overrides) change the config, and so its hash:
// a run whose config hash changed is refused (FailedPrecondition naming both hashes).
StatusOr<Json> resume_run(const std::string& run_dir, const std::vector<std::string>& sets,
                          const RunOptions& options);

}  // namespace arbor::agents
