#include <cstdio>

#include "apps/commands.h"

namespace arbor::apps {

int report_error(const std::string& command, const Status& status) {
  std::fprintf(stderr, "arbor %s: %s\n", command.c_str(), status.message().c_str());
  switch (status.code()) {
    case StatusCode::kCancelled: return 130;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kUnimplemented:
    case StatusCode::kDataLoss:
    case StatusCode::kOutOfRange:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists:
      return 2;
    default: return 1;
  }
}

void print_json_line(const std::string& json) {
  std::fwrite(json.data(), 1, json.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace arbor::apps
