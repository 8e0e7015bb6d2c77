#include "agents/agent_config.h"

#include <set>

#include "core/strings.h"
#include "envs/registry.h"

namespace arbor::agents {
namespace {

// Reads the sections, appending "path: message" lines to `errors`.
AgentRunConfig read(const Json& config, std::vector<std::string>& errors) {
  AgentRunConfig out;
  auto error = [&](const std::string& path, const std::string& message) {
    errors.push_back(path + ": " + message);
  };
  const Json env = config.is_object() ? config.value("env", Json()) : Json();
  const Json agent = config.is_object() ? config.value("agent", Json()) : Json();
  if (!env.is_object()) error("env", "missing or not an object");
  if (!agent.is_object()) error("agent", "missing or not an object");
  if (!errors.empty()) return out;

  auto int_field = [&](const Json& section, const std::string& where, const char* key,
                       std::int64_t fallback, std::int64_t lo, std::int64_t hi) -> std::int64_t {
    if (!section.contains(key) || section[key].is_null()) return fallback;
    const Json& v = section[key];
    if (!v.is_number_integer() || v.get<std::int64_t>() < lo || v.get<std::int64_t>() > hi) {
      error(where + "." + key, "must be an integer in [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "], not " + v.dump());
      return fallback;
    }
    return v.get<std::int64_t>();
  };

  // env
  static const std::set<std::string> kEnvKeys = {"id", "options", "tasks", "seed"};
  for (const auto& [key, v] : env.items()) {
    if (kEnvKeys.count(key) == 0)
      error("env." + key, "unknown field (known: id, options, tasks, seed)");
  }
  if (!env.contains("id") || !env["id"].is_string() || trim(env["id"].get<std::string>()).empty()) {
    error("env.id", "missing: an environment id such as \"textworld:easy\"");
  } else {
    out.episodes.env_id = env["id"].get<std::string>();
  }
  if (env.contains("options") && !env["options"].is_null()) {
    if (!env["options"].is_object()) {
      error("env.options", "must be an object");
    } else {
      out.env_options = env["options"];
    }
  }
  out.episodes.tasks = static_cast<std::int32_t>(int_field(env, "env", "tasks", 1, 1, 1000000));
  out.episodes.env_seed =
      static_cast<std::uint64_t>(int_field(env, "env", "seed", 1, 0, INT64_MAX));

  // agent
  if (!agent.contains("kind") || !agent["kind"].is_string() ||
      (agent["kind"] != "react" && agent["kind"] != "reflexion")) {
    error("agent.kind", "must be \"react\" or \"reflexion\"");
  } else {
    out.kind = agent["kind"].get<std::string>();
  }
  const bool reflexion = out.kind == "reflexion";
  out.episodes.reflexion = reflexion;
  out.episodes.attempts =
      static_cast<std::int32_t>(int_field(agent, "agent", "attempts", reflexion ? 3 : 1, 1, 1000));
  out.episodes.reflections_k =
      static_cast<std::int32_t>(int_field(agent, "agent", "reflections_k", 3, 0, 100));
  if (agent.contains("memory_scope")) {
    if (!agent["memory_scope"].is_string()) {
      error("agent.memory_scope", "must be a string");
    } else {
      out.episodes.memory_scope = agent["memory_scope"].get<std::string>();
    }
  }
  if (!reflexion) {
    for (const char* key : {"reflections_k", "memory_scope"}) {
      if (agent.contains(key)) error(std::string("agent.") + key, "only with kind \"reflexion\"");
    }
  }
  Json react = agent;
  for (const char* key : {"kind", "attempts", "reflections_k", "memory_scope"}) react.erase(key);
  StatusOr<ReactOptions> options = ReactOptions::from_json(react, "agent");
  if (!options.ok()) {
    errors.push_back(options.status().message());
  } else {
    out.episodes.react = std::move(*options);
  }
  return out;
}

}  // namespace

StatusOr<AgentRunConfig> agent_run_config(const Json& config) {
  std::vector<std::string> errors;
  AgentRunConfig out = read(config, errors);
  if (errors.empty()) return out;
  std::string msg =
      std::to_string(errors.size()) + " config error" + (errors.size() > 1 ? "s" : "") + ":";
  for (const std::string& e : errors) msg += "\n  " + e;
  return Status::invalid_argument(msg);
}

std::vector<std::string> validate_agent_config(const Json& config) {
  std::vector<std::string> errors;
  read(config, errors);
  return errors;
}

EnvFactory env_factory(const AgentRunConfig& config) {
  const std::string id = config.episodes.env_id;
  const Json options = config.env_options;
  return [id, options]() { return envs::EnvRegistry::builtin().make(id, options); };
}

}  // namespace arbor::agents
