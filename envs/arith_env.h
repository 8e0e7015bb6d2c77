// ArithEnv: one `arith` problem per episode (envs/arith.h). The observation is the question;
// the single action is a whole solution ("37 + 48 = 85\n...\nAnswer: 85"), graded by the step
// checker: reward 1 when the answer is right, info["verdict"] has the per-step verdicts and
// info["step_score"] the share of valid steps, for process rewards.
//
// reset(seed) poses problem 0 of that seed; reset(nullopt) the next problem of the same seed.
// Options: "difficulty" ("1,2", "easy"...), "kinds", "split" (as `arbor dataset arith`), and
// "index" to pose a given problem.
#pragma once

#include <optional>

#include "envs/arith.h"
#include "envs/environment.h"

namespace arbor::envs {

class ArithEnv final : public Environment {
 public:
  ArithEnv(std::string id, ArithOptions options);

  const EnvSpec& spec() const override { return spec_; }
  StatusOr<ResetResult> reset(std::optional<std::uint64_t> seed, const Json& options) override;
  StatusOr<StepResult> step(std::string_view action) override;

 private:
  EnvSpec spec_;
  ArithOptions base_options_;
  std::uint64_t seed_ = 0;
  std::uint64_t next_index_ = 0;
  std::optional<ArithProblem> problem_;
  EpisodeGuard guard_;
};

}  // namespace arbor::envs
