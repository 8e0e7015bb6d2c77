#include "envs/step_limit.h"

#include <cstring>

namespace arbor::envs {

StepLimit::StepLimit(EnvironmentPtr inner, int max_steps) : inner_(std::move(inner)) {
  ARBOR_CHECK(inner_ != nullptr);
  ARBOR_CHECK_GT(max_steps, 0);
  spec_ = inner_->spec();
  spec_.max_episode_steps = max_steps;
}

StatusOr<ResetResult> StepLimit::reset(std::optional<std::uint64_t> seed, const Json& options) {
  steps_ = 0;
  truncated_ = false;
  return inner_->reset(seed, options);
}

StatusOr<StepResult> StepLimit::step(std::string_view action) {
  if (truncated_) {
    return Status::failed_precondition(spec_.id + ": the episode was truncated after " +
                                       std::to_string(steps_) +
                                       " steps; call reset to start another");
  }
  ARBOR_ASSIGN_OR_RETURN(StepResult r, inner_->step(action));
  ++steps_;
  r.info["steps"] = steps_;
  if (!r.terminated && steps_ >= spec_.max_episode_steps) {
    r.truncated = true;
    truncated_ = true;
  }
  return r;
}

StatusOr<std::vector<std::string>> StepLimit::admissible_actions() {
  return inner_->admissible_actions();
}

// Snapshot layout: 4 bytes step count (little-endian), 1 byte truncated flag, inner snapshot.
StatusOr<std::string> StepLimit::save() {
  ARBOR_ASSIGN_OR_RETURN(std::string inner, inner_->save());
  std::string out(5, '\0');
  const auto n = static_cast<std::uint32_t>(steps_);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out[4] = truncated_ ? 1 : 0;
  out += inner;
  return out;
}

Status StepLimit::restore(std::string_view snapshot) {
  if (snapshot.size() < 5) {
    return Status::invalid_argument(spec_.id + ": snapshot too short to restore");
  }
  ARBOR_RETURN_IF_ERROR(inner_->restore(snapshot.substr(5)));
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) {
    n |= static_cast<std::uint32_t>(static_cast<unsigned char>(snapshot[i])) << (8 * i);
  }
  steps_ = static_cast<int>(n);
  truncated_ = snapshot[4] != 0;
  return Status::ok_status();
}

}  // namespace arbor::envs
