#include "agents/run_kinds.h"

namespace arbor::agents {

const std::vector<RunKind>& run_kinds() {
  // Agent loops add their kinds here: {"react", validate_react, run_react}, ...
  static const std::vector<RunKind> kKinds = {
      {"search", nullptr, run_search_kind},
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
