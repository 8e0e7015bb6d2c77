// The built-in text world: seeded text adventures of rooms, doors, keys and containers with a
// goal ("Find the golden coin and put it in the iron chest in the kitchen."), fast enough for
// thousands of episodes per second, with admissible actions, cheap snapshots and an optimal
// solver.
//
// Generation (docs/envs.md): rooms on a grid joined as a tree from the start room; some doors
// closed, some locked; containers in rooms, some locked; every key placed where it can be
// reached before its lock (on the floor or in a container whose own key comes earlier), so
// every world is solvable; the goal item deep in the map; distractor items. Sizes trivial,
// easy, medium, hard set these counts; options override them one by one.
//
// Commands (the admissible actions use exactly these forms): "go north|east|south|west"
// ("north", "n" ...), "open X", "close X", "unlock X with KEY", "take ITEM",
// "take ITEM from CONTAINER", "put ITEM in CONTAINER", "drop ITEM", "look", "inventory" ("i").
// Articles are ignored. Anything else is answered in the observation with
// info["last_action_error"] set and nothing changed.
//
// Reward 1 and terminated (won) when the goal holds; info has score, max_score (1), won, lost,
// moves, objective and admissible_actions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "envs/environment.h"

namespace arbor::envs {

namespace internal {
struct TwWorld;
struct TwState;
}  // namespace internal

struct TextWorldConfig {
  int rooms = 6;
  int locked_doors = 1;  // locked doors on the way (each with its key somewhere earlier)
  int closed_doors = 2;  // closed, unlocked doors
  int containers = 2;
  int locked_containers = 0;
  int distractors = 3;   // items that do not matter
  bool put_goal = true;  // goal: put the item in a container (else: take it)

  // "trivial" (1 room, take an item), "easy", "medium", "hard".
  static StatusOr<TextWorldConfig> preset(std::string_view size);
  // Overrides from {"rooms": 8, "locked_doors": 2, ...}; kInvalidArgument for values out of
  // range (rooms 1..20; doors at most rooms - 1; containers, locks, items at most 12).
  Status apply_options(const Json& options);
};

class TextWorldEnv final : public Environment {
 public:
  TextWorldEnv(std::string id, TextWorldConfig config);
  ~TextWorldEnv() override;

  const EnvSpec& spec() const override { return spec_; }
  // Options: the TextWorldConfig fields for this episode, and "walkthrough": true to get the
  // solver's plan in info["walkthrough"].
  StatusOr<ResetResult> reset(std::optional<std::uint64_t> seed, const Json& options) override;
  StatusOr<StepResult> step(std::string_view action) override;
  StatusOr<std::vector<std::string>> admissible_actions() override;
  StatusOr<std::string> save() override;
  Status restore(std::string_view snapshot) override;

  // A shortest sequence of commands from the current state to the goal (breadth-first search
  // over the actions that can matter); empty when the goal already holds or before reset.
  std::vector<std::string> solve() const;

  // Includes info["admissible_actions"] in every result (default true).
  void set_include_admissible(bool on) { include_admissible_ = on; }

 private:
  Json info() const;
  std::string describe_room() const;
  std::string explain_failure(const std::string& command) const;
  Status build(std::uint64_t seed, const TextWorldConfig& config);

  EnvSpec spec_;
  TextWorldConfig base_config_;
  TextWorldConfig config_;
  std::uint64_t seed_ = 0;
  std::uint64_t next_seed_ = 0;
  std::unique_ptr<internal::TwWorld> world_;
  std::unique_ptr<internal::TwState> state_;
  int moves_ = 0;
  bool include_admissible_ = true;
  EpisodeGuard guard_;
};

}  // namespace arbor::envs
