// Experiment configs: one JSON file describes a whole run (docs/experiments.md).
//
//   {"extends": "base.json",                       // optional, relative to this file
//    "experiment": {"name": "demo", "seed": 3},
//    "model": {"path": "assets/arith-mamba2", "dtype": "auto", "device": "cpu",
//              "memory_budget_mb": 256},
//    "engine": {"batch": 256, "concurrency": 16},
//    "sampler": {...}, "prompts": {...}, "evaluator": {...},
//    "search": {"algorithms": ["greedy", {"algorithm": "self_consistency", "n": 8}],
//               "budget": {"max_tokens": 512}},
//    "memory": {"database": null, "retrieval": {"k": 5}},
//    "dataset": {"id": "arith", "split": "test", "range": [0, 100], "grader": "arith"},
//    "eval": {"k": [1, 4]},
//    "output": {"folder": "runs/{name}-{time}", "trees": true},
//    "sweep": {"search.budget.max_tokens": [256, 512]}}
//
// Loading order: the file, then `extends` (recursively; objects merge key by key, the child
// wins; a cycle is an error), then the `--set path=value` overrides (value parsed as JSON,
// else taken as a string), then `sweep` (each combination of the listed values is one run),
// then validation and defaults. Validation reports every problem at once, one per line, each
// naming its JSON path ("search.algorithms[1].n: must be in [0, 65536], not -1"), and an
// unknown key names the nearest valid one. Relative paths (model.path, dataset.path,
// memory.database) are resolved against the current directory and written absolute.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace arbor::agents {

// The config file `path` with `extends` resolved and `sets` ("a.b=value", "a.list[1].c=3")
// applied; `sweep` is left in place. Errors name the file (and the chain of extends).
StatusOr<Json> load_experiment_json(const std::string& path, const std::vector<std::string>& sets);

// Applies one "path=value" override to `config`.
Status apply_override(Json& config, const std::string& assignment);

// The runs a config describes: without `sweep`, the config itself (label ""); with it, one
// config per combination (keys in sorted order, the last one varying fastest), each without
// `sweep`, its label "key=value,key=value" (last path component of each key) appended to
// experiment.name as "name[label]".
struct SweepPoint {
  std::string label;
  Json config;
};
StatusOr<std::vector<SweepPoint>> expand_sweep(const Json& config);

// Validates `config` (no `extends` or `sweep` left) and returns it with every default filled
// in and paths made absolute. InvalidArgument listing every error, one "path: message" per line.
StatusOr<Json> resolve_experiment(const Json& config);

// The names the search section accepts: the aliases greedy, beam_prm, mcts_r and every
// search::make_algorithm name.
const std::vector<std::string>& experiment_algorithm_names();

// The search section's runs, from a resolved config: each with its display name (unique),
// its search::make_algorithm config, its evaluator config (null: none) and its budget.
struct AlgorithmRun {
  std::string name;  // "greedy", "beam_prm", or the entry's "label"
  Json algorithm;    // {"algorithm": <search name>, ...fields}
  Json evaluator;    // null when the algorithm needs none
  Json budget;       // {"max_tokens", "max_calls", "max_seconds"}
};
std::vector<AlgorithmRun> algorithm_runs(const Json& resolved);

// FNV-1a 64 of the canonical serialization (keys sorted, no spaces): "fnv1a64:<16 hex>".
std::string config_hash(const Json& config);


}  // namespace arbor::agents
