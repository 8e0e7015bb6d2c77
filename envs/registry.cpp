#include "envs/registry.h"

#include <algorithm>

#include "core/strings.h"
#include "envs/arith_env.h"
#include "envs/external_env.h"
#include "envs/game24.h"
#include "envs/step_limit.h"
#include "envs/text_world.h"
#include "envs/zmachine_env.h"

namespace arbor::envs {

void EnvRegistry::add(EnvRegistration registration) {
  ARBOR_CHECK(std::none_of(entries_.begin(), entries_.end(),
                           [&](const EnvRegistration& e) { return e.name == registration.name; }))
      << "environment '" << registration.name << "' registered twice";
  entries_.push_back(std::move(registration));
}

StatusOr<EnvironmentPtr> EnvRegistry::make(std::string_view id, const Json& options) const {
  const auto colon = id.find(':');
  const std::string_view name = id.substr(0, colon);
  const std::string_view argument =
      colon == std::string_view::npos ? std::string_view() : id.substr(colon + 1);
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const EnvRegistration& e) { return e.name == name; });
  if (it == entries_.end()) {
    std::string known;
    for (const EnvRegistration& e : entries_) known += (known.empty() ? "" : ", ") + e.usage;
    return Status::not_found("unknown environment '" + std::string(id) + "' (known: " + known +
                             ")");
  }
  if (it->needs_argument && trim(argument).empty()) {
    return Status::invalid_argument("environment '" + std::string(id) +
                                    "' needs an argument: " + it->usage);
  }
  if (!options.is_null() && !options.is_object()) {
    return Status::invalid_argument("options for '" + std::string(id) + "' must be a JSON object");
  }
  int max_steps = it->default_max_episode_steps;
  if (options.is_object() && options.contains("max_episode_steps")) {
    ARBOR_ASSIGN_OR_RETURN(max_steps,
                           json_get<int>(options, "max_episode_steps", "environment options"));
    if (max_steps < 0) {
      return Status::invalid_argument("environment options: max_episode_steps must be >= 0");
    }
  }
  ARBOR_ASSIGN_OR_RETURN(EnvironmentPtr env, it->factory(id, argument, options));
  if (max_steps > 0)
    env = std::make_unique<StepLimit>(std::move(env), max_steps);
  return env;
}

namespace {

EnvRegistry make_builtin() {
  EnvRegistry r;
  r.add({"game24", "game24[:a b c d]",
         "Game of 24: combine four numbers with + - * / to make 24, one move per step", false, 0,
         [](std::string_view id, std::string_view arg, const Json&) -> StatusOr<EnvironmentPtr> {
           std::vector<int> puzzle;
           if (!trim(arg).empty()) {
             ARBOR_ASSIGN_OR_RETURN(puzzle, parse_game24_puzzle(arg));
           }
           return EnvironmentPtr(std::make_unique<Game24Env>(std::string(id), std::move(puzzle)));
         }});
  r.add({"textworld", "textworld[:trivial|easy|medium|hard]",
         "built-in text adventure: rooms, doors, keys, containers and a goal, seeded", false, 100,
         [](std::string_view id, std::string_view arg,
            const Json& options) -> StatusOr<EnvironmentPtr> {
           ARBOR_ASSIGN_OR_RETURN(TextWorldConfig config, TextWorldConfig::preset(trim(arg)));
           // Validate the options now so that a bad one fails at make(), not at reset().
           TextWorldConfig check = config;
           ARBOR_RETURN_IF_ERROR(check.apply_options(options));
           return EnvironmentPtr(std::make_unique<TextWorldEnv>(std::string(id), config));
         }});
  r.add({"arith", "arith[:difficulty]",
         "one synthetic arithmetic problem per episode; the action is a whole solution", false, 0,
         [](std::string_view id, std::string_view arg, const Json&) -> StatusOr<EnvironmentPtr> {
           ArithOptions o;
           if (!trim(arg).empty()) {
             ARBOR_ASSIGN_OR_RETURN(o.difficulties, parse_arith_difficulties(trim(arg)));
           }
           return EnvironmentPtr(std::make_unique<ArithEnv>(std::string(id), o));
         }});
  r.add({"zmachine", "zmachine:<story file>",
         "a Z-machine game (.z3-.z8, Blorb) played through the dfrotz interpreter", true, 0,
         [](std::string_view id, std::string_view arg,
            const Json& options) -> StatusOr<EnvironmentPtr> {
           ARBOR_ASSIGN_OR_RETURN(
               auto env, ZMachineEnv::create(std::string(id), std::string(trim(arg)), options));
           return EnvironmentPtr(std::move(env));
         }});
  r.add({"external", "external:<command> [args][#env]",
         "an environment server speaking JSON-RPC 2.0 on its stdin/stdout", true, 0,
         [](std::string_view id, std::string_view arg,
            const Json& options) -> StatusOr<EnvironmentPtr> {
           ARBOR_ASSIGN_OR_RETURN(ExternalEnvOptions o, ExternalEnvOptions::parse(arg, options));
           ARBOR_ASSIGN_OR_RETURN(auto env, ExternalEnv::create(std::string(id), std::move(o)));
           return EnvironmentPtr(std::move(env));
         }});
  return r;
}

}  // namespace

const EnvRegistry& EnvRegistry::builtin() {
  static const EnvRegistry kRegistry = make_builtin();
  return kRegistry;
}

}  // namespace arbor::envs
