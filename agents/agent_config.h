// The `env` and `agent` sections of a run config for the agent loops (docs/agents.md):
//
//   "env":   {"id": "textworld:easy",   // an envs::EnvRegistry id
//             "options": {},            // passed to the environment (e.g. max_episode_steps)
//             "tasks": 10,              // task i is the environment reset with seed + i
//             "seed": 1}
//   "agent": {"kind": "react" | "reflexion",
//             "attempts": 1,            // per task while not won (reflexion: 3)
//             "reflections_k": 3,       // reflexion: reflections retrieved per attempt
//             "memory_scope": "",       // reflexion: default "reflexion:<env id>"
//             ...the ReactOptions fields: max_steps, think, use_admissible, temperature,
//             thought_max_tokens, action_max_tokens, reflection_max_tokens,
//             max_observation_chars, prompts}
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "agents/react.h"
#include "core/json.h"
#include "core/status.h"

namespace arbor::agents {

struct AgentRunConfig {
  std::string kind;  // "react" or "reflexion"
  Json env_options = Json::object();
  EpisodesOptions episodes;  // env_id, tasks, env_seed, attempts, reflexion, react options
};

// The agent run of `config` (the whole run config; only `env` and `agent` are read).
// InvalidArgument listing every problem, one "json.path: message" per line.
StatusOr<AgentRunConfig> agent_run_config(const Json& config);

// The same problems as "json.path: message" lines (none: valid), for a config validator.
std::vector<std::string> validate_agent_config(const Json& config);

// A factory of fresh environments for the run (the builtin registry).
EnvFactory env_factory(const AgentRunConfig& config);

}  // namespace arbor::agents
