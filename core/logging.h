// Minimal leveled logging to stderr. Human progress and diagnostics go to stderr; machine-
// readable output (JSON) goes to stdout and never through this.
//
//   ARBOR_LOG(kInfo) << "loaded " << n << " tensors";
//
// Thread safety: each message is written with one fwrite, so lines do not interleave.
#pragma once

#include <sstream>

namespace arbor {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

// Messages below this level are dropped. Defaults to kWarning, or ARBOR_LOG_LEVEL
// (debug|info|warning|error|off) from the environment.
void set_log_level(LogLevel level);
LogLevel log_level();

namespace internal_log {
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};
struct Voidify {
  void operator&(std::ostream&) {}
};
}  // namespace internal_log

}  // namespace arbor

#define ARBOR_LOG(level)                                                         \
  (::arbor::LogLevel::level < ::arbor::log_level())                              \
      ? (void)0                                                                  \
      : ::arbor::internal_log::Voidify() &                                       \
            ::arbor::internal_log::LogMessage(::arbor::LogLevel::level, __FILE__, \
                                              __LINE__)                          \
                .stream()
