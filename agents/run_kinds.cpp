#include "agents/run_kinds.h"

#include "agents/agent_config.h"
#include "agents/agent_run.h"

namespace arbor::agents {

namespace {

std::vector<RunKind>& kinds() {
  // Agent loops add their kinds here: {"react", validate_react, run_react}, ...
  static std::vector<RunKind> kKinds = {
      {"search", nullptr, run_search_kind},
      {"react", validate_agent_config, run_agent_kind},
      {"reflexion", validate_agent_config, run_agent_kind},
  };
  return kKinds;
}

}  // namespace

const std::vector<RunKind>& run_kinds() {
  return kinds();
}

Status register_run_kind(RunKind kind) {
  if (kind.name.empty() || !kind.run) {
    return Status::invalid_argument("register_run_kind: a kind needs a name and a run function");
  }
  if (find_run_kind(kind.name) != nullptr) {
    return Status::already_exists("run kind '" + kind.name + "' is already registered");
  }
  kinds().push_back(std::move(kind));
  return Status();
}

const RunKind* find_run_kind(const std::string& name) {
  for (const RunKind& k : run_kinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

}  // namespace arbor::agents
