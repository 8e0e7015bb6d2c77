// Helpers for the memory tests: temporary folders, raw file bytes, child processes (the arbor
// CLI, the crash driver, the lock holder), a settable clock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace arbor::memory::testing {

// A fresh folder under the system's temporary folder, removed with its contents at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The bytes of `path`, or "" when it does not exist.
std::string read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::string& bytes);
bool contains(const std::string& haystack, const std::string& needle);

struct ProcessOptions {
  // Run as this user and group (only possible when the test runs as root).
  std::optional<uid_t> uid;
  // RLIMIT_FSIZE for the child, with SIGXFSZ ignored: writes past it fail like a full disk.
  std::optional<std::uint64_t> max_file_bytes;
};

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) with the arguments and waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Starts argv[0] with stdout going to `stdout_path`; returns its pid.
pid_t start_process(const std::vector<std::string>& argv, const std::string& stdout_path);
// Waits for `pid`; returns the exit code, or -signal when a signal ended it.
int wait_process(pid_t pid);

// Polls `path` until it contains `text` or `timeout_ms` passed.
bool wait_for_text(const std::string& path, const std::string& text, int timeout_ms);

// The built binaries.
std::string arbor_binary();
std::string test_binary(const std::string& name);  // from tests/memory

// The uid to drop to for permission tests when running as root, or nullopt when not root.
std::optional<uid_t> unprivileged_uid();

// A clock for StoreOptions::clock that only moves when told to.
class FakeClock {
 public:
  explicit FakeClock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  std::int64_t now() const { return now_.load(); }
  void advance(std::int64_t ms) { now_ += ms; }
  std::function<std::int64_t()> fn() {
    return [this] { return now_.load(); };
  }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace arbor::memory::testing
