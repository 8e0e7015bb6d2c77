// Environment: the interface every environment implements (text worlds, Z-machine games,
// Game of 24, arithmetic problems, environments in another process).
//
// The shape follows Gymnasium: reset() starts an episode and returns the first observation;
// step() takes an action (text) and returns the next observation, the reward of that step, and
// whether the episode ended inside the game (terminated: won, lost, game over) or was cut off
// from outside (truncated: a step limit). After either, call reset() again.
//
// Expected failures return Status: a child process that crashed, hung or spoke garbage
// (kUnavailable / kDeadlineExceeded / kDataLoss), a step before reset or after the end
// (kFailedPrecondition). An action the game does not accept is NOT an error: step() returns OK
// with the game's reply and info["last_action_error"] set, so an agent can read it and go on.
//
// save() / restore() snapshot the whole state of an episode as opaque bytes, so that a tree
// search can branch: restore(save()) puts the environment back where it was, including the
// score, the move count and the last observation. Snapshots are only valid for the same
// environment id and options.
//
// Thread safety: an Environment is used by one thread at a time; distinct instances are
// independent.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace arbor::envs {

// Standard keys of the `info` object (TextWorld / Jericho / BrowserGym conventions). An
// environment sets those it knows; other keys are environment-specific.
inline constexpr char kInfoAdmissibleActions[] = "admissible_actions";  // array of strings
inline constexpr char kInfoScore[] = "score";                           // cumulative score
inline constexpr char kInfoMaxScore[] = "max_score";
inline constexpr char kInfoWon[] = "won";
inline constexpr char kInfoLost[] = "lost";
inline constexpr char kInfoMoves[] = "moves";
inline constexpr char kInfoObjective[] = "objective";
inline constexpr char kInfoLastActionError[] = "last_action_error";  // string; absent when ok

struct ResetResult {
  std::string observation;
  Json info = Json::object();
};

struct StepResult {
  std::string observation;
  double reward = 0.0;
  bool terminated = false;  // the episode ended inside the environment (won, lost, game over)
  bool truncated = false;   // the episode was cut off from outside (step limit)
  Json info = Json::object();
};

// What an environment is and what it can do.
struct EnvSpec {
  std::string id;                   // the registry id it was made from ("textworld:easy")
  int max_episode_steps = 0;        // 0: no limit
  bool admissible_actions = false;  // admissible_actions() is implemented
  bool save_restore = false;        // save() / restore() are implemented
  bool deterministic = true;        // the same seed and actions give the same episode
};

class Environment {
 public:
  virtual ~Environment() = default;

  virtual const EnvSpec& spec() const = 0;

  // Starts a new episode. `seed` (re)seeds the environment's randomness; nullopt continues
  // from its current random state. `options` are environment-specific (an object or null).
  virtual StatusOr<ResetResult> reset(std::optional<std::uint64_t> seed, const Json& options) = 0;

  // Applies one action. REQUIRES nothing: stepping before reset() or after the episode ended
  // returns kFailedPrecondition.
  virtual StatusOr<StepResult> step(std::string_view action) = 0;

  // The actions that make sense now (TextWorld's admissible commands). kUnimplemented unless
  // spec().admissible_actions.
  virtual StatusOr<std::vector<std::string>> admissible_actions();

  // A snapshot of the episode as opaque bytes, and its inverse. kUnimplemented unless
  // spec().save_restore.
  virtual StatusOr<std::string> save();
  virtual Status restore(std::string_view snapshot);

  // Releases outside resources (child processes, files) now rather than at destruction.
  // Idempotent; later calls other than close() fail.
  virtual void close() {}
};

using EnvironmentPtr = std::unique_ptr<Environment>;

// Tracks the life cycle every environment shares, so that each implementation says the same
// thing about calls out of order.
class EpisodeGuard {
 public:
  // OK when an episode is running; kFailedPrecondition naming `env_id` otherwise.
  Status check_running(std::string_view env_id) const;
  void start() { state_ = State::kRunning; }
  void finish() { state_ = State::kOver; }
  // A fatal failure: further steps report `why` until the next reset.
  void fail(const Status& why) {
    state_ = State::kFailed;
    failure_ = why;
  }
  bool running() const { return state_ == State::kRunning; }
  bool over() const { return state_ == State::kOver; }

 private:
  enum class State { kIdle, kRunning, kOver, kFailed };
  State state_ = State::kIdle;
  Status failure_;
};

}  // namespace arbor::envs
