// Run kinds: what `arbor run` does with a validated config. A config with `dataset` + `search`
// is the built-in "search" kind (agents/experiment_run.cpp: every problem through every listed
// algorithm). A config with `env` + `agent` is run by the kind named `agent.kind`; the agent
// loops (ReAct, Reflexion, ...) add theirs to run_kinds() in agents/run_kinds.cpp:
//
//   {"react", validate_react, run_react}
//
// where validate_react(config) returns "json.path: message" lines for its own fields (the
// `agent` and `env` sections beyond agent.kind and env.id) and run_react(RunContext&) runs the
// episodes, committing each through RunContext::record (so resume and results.jsonl work), and
// returns the summary's fields. docs/experiments.md describes the contract.
//
// Thread safety: register kinds before any run starts; a RunContext belongs to one run.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "memory/store.h"
#include "runtime/engine.h"

namespace arbor::agents {

// Progress of a run, for a progress bar or log lines.
struct RunProgress {
  std::int64_t done = 0;    // finished units (problems x algorithms, or episodes), resumed ones
  std::int64_t total = 0;   // included
  double accuracy = 0;      // over the units finished so far (this process and before)
  double tokens_per_s = 0;  // engine, over the last interval
  double mean_batch = 0;    // engine sequences per step, over the last interval
  double elapsed_s = 0;     // this process
  double eta_s = -1;        // -1: unknown
  std::string phase;        // the algorithm (or attempt) running
};

struct RunHooks {
  std::function<void(const RunProgress&)> progress;  // called a few times a second, any thread
  const std::atomic<bool>* stop = nullptr;           // set: finish the units in flight, stop
};

// What a run kind gets.
class RunContext {
 public:
  RunContext(Json config, std::string run_dir, memory::Store& store, memory::RunId run,
             std::set<std::string> finished, RunHooks hooks);

  const Json& config() const { return config_; }
  const std::string& run_dir() const { return run_dir_; }
  memory::Store& store() { return store_; }
  memory::RunId run() const { return run_; }
  const RunHooks& hooks() const { return hooks_; }
  bool stop_requested() const { return hooks_.stop != nullptr && hooks_.stop->load(); }

  // Unit keys already committed by an earlier process: skip them.
  bool finished(const std::string& key) const { return finished_.count(key) > 0; }

  // The engine on config.model (opened on first use). Errors name the model folder.
  StatusOr<runtime::Engine*> engine();

  // Commits one finished unit: `line` (one line of results.jsonl) to the store in one
  // transaction, then appends it to results.jsonl. Returns at once; `done` (may be null) gets
  // the outcome on the store's writer thread. A failed commit (e.g. a full disk) keeps every
  // earlier unit, and is reported by first_error().
  void record(const std::string& key, Json line, std::function<void(Status)> done = nullptr);
  // Waits for every record() so far. Never call from an event loop.
  Status flush();
  Status first_error() const;

 private:
  Json config_;
  std::string run_dir_;
  memory::Store& store_;
  memory::RunId run_;
  std::set<std::string> finished_;
  RunHooks hooks_;
  std::unique_ptr<runtime::Engine> engine_;
  mutable std::mutex mu_;
  Status first_error_;
};

struct RunKind {
  std::string name;
  // Extra validation of the config: "path: message" lines (none: valid). May be null.
  std::function<std::vector<std::string>(const Json& config)> validate;
  // Runs the units not yet finished. Returns the summary's kind-specific fields (the caller
  // adds the common ones). Cancelled when stopped by hooks.stop.
  std::function<StatusOr<Json>(RunContext& context)> run;
};

// "search" first, then the agent kinds.
const std::vector<RunKind>& run_kinds();
// Adds a kind at run time (tests, out-of-tree loops). AlreadyExists for a taken name.
// REQUIRES: no run or validation in progress (the registry has no lock).
Status register_run_kind(RunKind kind);
const RunKind* find_run_kind(const std::string& name);

// The search kind (agents/experiment_run.cpp).
StatusOr<Json> run_search_kind(RunContext& context);

}  // namespace arbor::agents
