// StepLimit: a wrapper that ends an episode with truncated = true after a number of steps
// (Gymnasium's TimeLimit). It adds info["steps"] and keeps the count inside snapshots.
#pragma once

#include "envs/environment.h"

namespace arbor::envs {

class StepLimit final : public Environment {
 public:
  // REQUIRES: inner != nullptr, max_steps > 0.
  StepLimit(EnvironmentPtr inner, int max_steps);

  const EnvSpec& spec() const override { return spec_; }
  StatusOr<ResetResult> reset(std::optional<std::uint64_t> seed, const Json& options) override;
  StatusOr<StepResult> step(std::string_view action) override;
  StatusOr<std::vector<std::string>> admissible_actions() override;
  StatusOr<std::string> save() override;
  Status restore(std::string_view snapshot) override;
  void close() override { inner_->close(); }

  Environment& inner() { return *inner_; }

 private:
  EnvironmentPtr inner_;
  EnvSpec spec_;
  int steps_ = 0;
  bool truncated_ = false;
};

}  // namespace arbor::envs
