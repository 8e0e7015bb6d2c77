#include "envs/environment.h"

namespace arbor::envs {

StatusOr<std::vector<std::string>> Environment::admissible_actions() {
  return Status::unimplemented(spec().id + ": this environment does not list admissible actions");
}

StatusOr<std::string> Environment::save() {
  return Status::unimplemented(spec().id + ": this environment cannot save its state");
}

Status Environment::restore(std::string_view /*snapshot*/) {
  return Status::unimplemented(spec().id + ": this environment cannot restore a saved state");
}

Status EpisodeGuard::check_running(std::string_view env_id) const {
  switch (state_) {
    case State::kRunning:
      return Status::ok_status();
    case State::kIdle:
      return Status::failed_precondition(std::string(env_id) + ": step before reset");
    case State::kOver:
      return Status::failed_precondition(std::string(env_id) +
                                         ": the episode is over; call reset to start another");
    case State::kFailed:
      return Status::failed_precondition(std::string(env_id) +
                                         ": the episode ended with an error (" +
                                         failure_.message() + "); call reset to start another");
  }
  return Status::internal("unreachable");
}

}  // namespace arbor::envs
