// ReAct (Yao et al. 2022) on text environments, with Reflexion (Shinn et al. 2023).
//
// An episode is one growing model context:
//   {intro: reflections, first observation}
//   Thought: <one line the model writes>
//   Action: <command>
//   Observation: <the environment's reply>
//   Thought: ...
// When the environment gives admissible actions (EnvSpec::admissible_actions: the built-in text
// world, Game of 24), the action is chosen AMONG them by the model's score: log p(" " + action
// + "\n" | context after "Action:") for every admissible action, all requested at once
// (LanguageModel::logprob, the engine's `score`); the highest wins, ties going to the earlier
// one in the environment's list. Otherwise (Z-machine games) the model writes the action line.
// The episode ends when the environment terminates or truncates it, or after max_steps actions.
//
// Reflexion: after a failed attempt (not won) the same context is extended with the reflect
// prompt and the model writes a one-line reflection; run_episodes stores it in memory
// (memory::Store, kind "reflection") and, at the start of each later attempt, retrieves the
// relevant ones into the intro: the reflections this task wrote in this call, newest first,
// then, from what the store held before the call started, the task's own (newest first) and the
// best BM25 matches of the task's first observation in the same scope. Reflections that other
// tasks write during the call are not retrieved, so a task plays the same whatever the order
// in which concurrent tasks finish.
//
// Threading: run_react_episode is a coroutine for one single-threaded io_context; the
// environment's calls block it (an environment is synchronous: a Z-machine step waits for its
// interpreter). run_episodes blocks: it plays up to `concurrency` tasks at once as coroutines on
// one io_context (their model requests go to the engine together, so it batches them), each
// task's attempts in order and each attempt on its own environment. Store work runs on one
// helper thread, one job at a time in submission order, never inside the event loop.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "core/task.h"
#include "envs/environment.h"
#include "memory/store.h"
#include "search/language_model.h"

namespace arbor::agents {

struct ReactPrompts {
  // {reflections}: the reflections block (empty without any); {observation}: the first
  // observation; {objective}: info["objective"] when the environment gives one, else "".
  std::string intro =
      "You are playing a text adventure. Think, then act with one command.\n"
      "{reflections}Observation: {observation}\n";
  std::string reflections_header = "Lessons from earlier attempts:\n";
  std::string reflection_item = "- {reflection}\n";
  std::string thought = "Thought:";  // the model writes the rest of the line
  std::string action = "Action:";    // then " <command>\n"
  std::string observation = "Observation: {observation}\n";
  // After a failed attempt, in the episode's context; the model writes one line.
  std::string reflect =
      "The attempt failed. In one sentence, what should be done differently?\n"
      "Reflection:";

  // The defaults with the fields of `j` replaced; unknown fields and placeholders a template
  // cannot use are errors naming `where` and the field.
  static StatusOr<ReactPrompts> from_json(const Json& j, std::string_view where);
  Json to_json() const;
};

struct ReactOptions {
  std::int32_t max_steps = 40;  // actions per episode at most
  bool think = true;            // a thought line before every action
  bool use_admissible = true;   // choose among admissible actions by score when given
  float temperature = 0.0f;     // thoughts, written actions and reflections
  std::int32_t thought_max_tokens = 48;
  std::int32_t action_max_tokens = 16;
  std::int32_t reflection_max_tokens = 64;
  std::int32_t max_observation_chars = 1500;  // a longer observation is cut (marked "...")
  ReactPrompts prompts;

  // From {"max_steps", "think", "use_admissible", "temperature", "thought_max_tokens",
  // "action_max_tokens", "reflection_max_tokens", "max_observation_chars", "prompts"}; errors
  // name `where` and the field.
  static StatusOr<ReactOptions> from_json(const Json& j, std::string_view where);
  Json to_json() const;
};

struct StepRecord {
  std::string thought;
  std::string action;
  std::string observation;
  double reward = 0;
  std::int32_t admissible = 0;  // actions scored (0: the model wrote the action)
  double action_logprob = 0;    // of the chosen action (scored), or of the written line
  Json to_json() const;
};

struct EpisodeResult {
  std::string env;        // the environment id
  std::int32_t task = 0;  // task index: the environment is reset with seed env_seed + task
  std::uint64_t seed = 0;
  std::int32_t attempt = 0;       // 0, 1, ... (Reflexion retries)
  std::string first_observation;  // after reset (cut to max_observation_chars)
  bool won = false;
  bool terminated = false;
  bool truncated = false;
  double total_reward = 0;
  std::vector<StepRecord> steps;
  std::vector<std::string> reflections_used;  // in the intro of this attempt
  std::string reflection;                     // written after this attempt failed (Reflexion)
  std::int64_t tokens = 0;                    // generated
  std::int64_t calls = 0;                     // generate + logprob requests
  double seconds = 0;
  Status error;  // not OK: the environment or the model failed mid-episode (steps so far kept)
  Json to_json() const;
};

// Plays one episode on `env` (reset here with `seed`). `reflections` go into the intro. With
// `reflect`, a failed episode ends with the model's reflection. Environment and model failures
// end the episode with result.error set (naming the environment, the step and the action);
// the returned StatusOr is an error only for a failed reset.
Task<StatusOr<EpisodeResult>> run_react_episode(search::LanguageModel& lm, envs::Environment& env,
                                                std::uint64_t seed,
                                                std::vector<std::string> reflections, bool reflect,
                                                const ReactOptions& options);

using EnvFactory = std::function<StatusOr<envs::EnvironmentPtr>()>;

struct EpisodesOptions {
  std::string env_id;  // for records and the default memory scope
  std::int32_t tasks = 1;
  std::uint64_t env_seed = 1;  // task i resets with env_seed + i
  // Attempts per task: a task is tried again while it is not won (Reflexion when reflexion).
  std::int32_t attempts = 1;
  bool reflexion = false;  // write reflections after failures; retrieve them
  std::int32_t reflections_k = 3;
  std::string memory_scope;  // default "reflexion:" + env_id
  ReactOptions react;
  // Tasks played at once (on one event loop). The attempts of a task stay in order; a task's
  // episodes do not depend on this (its seed is env_seed + task, and it retrieves no
  // reflection written by another task during the call).
  std::int32_t concurrency = 1;
  // After each attempt, in the order attempts finish, on run_episodes' event loop thread.
  std::function<void(const EpisodeResult&)> on_episode;
  // Tasks to leave out (finished by an earlier process), and a stop request checked before
  // each attempt: the run then ends with kCancelled, keeping the attempts already finished
  // (the attempts in progress play on to their end).
  std::function<bool(std::int32_t task)> skip_task;
  std::function<bool()> should_stop;
};

struct EpisodesReport {
  // Every attempt that finished (and those that failed), by task, then attempt.
  std::vector<EpisodeResult> episodes;
  Status status;                        // the first failure; episodes before it are kept
  // {"tasks", "attempts", "success_rate" (tasks won by their last attempt), "success_by_attempt"
  //  (share of tasks won within 1, 2, ... attempts), "mean_steps", "mean_reward", "tokens",
  //  "reflections_written"}
  Json summary(std::int32_t tasks, std::int32_t attempts) const;
};

// Runs `tasks` tasks of up to `attempts` attempts each, `concurrency` tasks at once (in task
// order), a fresh environment from `make_env` per attempt (called on the event loop thread; an
// environment is never shared). With a store, each attempt is recorded as an episode (its
// steps and outcome) and, with reflexion, reflections are written and retrieved (a Store is
// required then). An environment that fails mid-episode stops the run: no attempt starts after
// it, the attempts in progress play on, report.status names the first failure, and the
// finished attempts (and the failed one's steps) are kept in the report and the store.
EpisodesReport run_episodes(search::LanguageModel& lm, const EnvFactory& make_env,
                            memory::Store* store, const EpisodesOptions& options);

}  // namespace arbor::agents
