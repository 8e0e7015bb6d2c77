#include <cstdio>

#include "apps/commands.h"
#include "core/version.h"

namespace arbor::apps {

int cmd_version(int /*argc*/, char** /*argv*/) {
  std::printf("arbor %s (CUDA backend %s)\n", ARBOR_VERSION,
              ARBOR_CUDA_BUILT ? "compiled" : "not compiled");
  return 0;
}

}  // namespace arbor::apps
