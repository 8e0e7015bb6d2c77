// Generation and solving of the built-in text world (see envs/text_world.h).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "envs/internal/text_world_model.h"
#include "envs/text_world.h"

namespace arbor::envs::internal {

// A solvable world for `config`, the same for the same seed on every platform.
TwWorld tw_generate(const TextWorldConfig& config, std::uint64_t seed);

// A shortest action list from `s` to the goal, or nullopt when none exists. With `prune`, only
// actions that can help are tried (moving, opening, unlocking, taking keys and the goal item,
// putting the goal item in place); closing, dropping and distractors never shorten a plan, so
// the result is still shortest. Without it, every valid action is tried (for tests).
std::optional<std::vector<TwAction>> tw_solve(const TwWorld& w, const TwState& s, bool prune);

}  // namespace arbor::envs::internal
