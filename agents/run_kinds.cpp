#include "agents/run_kinds.h"

#include "agents/agent_config.h"
#include "agents/agent_run.h"

namespace arbor::agents {

const std::vector<RunKind>& run_kinds() {
  // Agent loops add their kinds here: {"react", validate_react, run_react}, ...
  static const std::vector<RunKind> kKinds = {
      {"search", nullptr, run_search_kind},
      {"react", validate_agent_config, run_agent_kind},
      {"reflexion", validate_agent_config, run_agent_kind},
  };
  return kKinds;
}

const RunKind* find_run_kind(const std::string& name) {
  for (const RunKind& k : run_kinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

}  // namespace arbor::agents
