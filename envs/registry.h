// EnvRegistry: environment ids -> factories, like Gymnasium's register/make.
//
// An id is a name, optionally followed by ':' and an argument the factory interprets:
//   textworld            the built-in text world (argument: a size, "textworld:hard")
//   game24               Game of 24 (argument: a puzzle, "game24:4 4 6 8")
//   arith                one synthetic arithmetic problem per episode (argument: a difficulty)
//   zmachine:<story>     a Z-machine story file played through dfrotz
//   external:<command>   an environment server speaking JSON-RPC on its stdio
//
// make() wraps every environment in a StepLimit with the registered default number of steps,
// which options["max_episode_steps"] overrides (0 turns the limit off).
//
// Thread safety: make() and list() may be called concurrently; add() must not race with them
// (register everything at start-up).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "envs/environment.h"

namespace arbor::envs {

// Makes an environment from the id's argument (the text after ':', possibly empty) and the
// options object. `id` is the whole id, for the spec and messages.
using EnvFactory = std::function<StatusOr<EnvironmentPtr>(
    std::string_view id, std::string_view argument, const Json& options)>;

struct EnvRegistration {
  std::string name;         // "zmachine"
  std::string usage;        // "zmachine:<story file>"
  std::string description;  // one line
  bool needs_argument = false;
  int default_max_episode_steps = 0;  // 0: no limit
  EnvFactory factory;
};

class EnvRegistry {
 public:
  // REQUIRES: no registration with the same name yet.
  void add(EnvRegistration registration);

  // kNotFound for an unknown name (the message lists the known ones), kInvalidArgument for a
  // missing argument or bad options, or whatever the factory returns.
  StatusOr<EnvironmentPtr> make(std::string_view id, const Json& options = Json::object()) const;

  const std::vector<EnvRegistration>& list() const { return entries_; }

  // The registry with every environment of this module.
  static const EnvRegistry& builtin();

 private:
  std::vector<EnvRegistration> entries_;
};

}  // namespace arbor::envs
