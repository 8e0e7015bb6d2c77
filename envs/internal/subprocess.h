// Subprocess: a child process whose stdin, stdout and stderr belong to us, with a deadline on
// every read and the shutdown sequence close-stdin, SIGTERM, SIGKILL.
//
// The child's stdin is one end of a socket pair, so writing to a child that died returns an
// error (EPIPE) instead of raising SIGPIPE in this process. stderr is drained while we wait on
// stdout (a child blocked on a full stderr pipe would look hung) and its last few kilobytes are
// kept for error messages. The child runs in its own process group, so a Ctrl-C in the
// terminal reaches Arbor, which then shuts the child down in order.
//
// Thread safety: one thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace arbor::envs::internal {

class Subprocess {
 public:
  using Millis = std::chrono::milliseconds;

  // Starts argv[0] (searched in PATH) with the given arguments. kNotFound when the program
  // cannot be started.
  static StatusOr<std::unique_ptr<Subprocess>> spawn(const std::vector<std::string>& argv);

  // Shuts the child down (terminate with a short grace period) if it still runs.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Writes all of `data` to the child's stdin. kUnavailable when the child is gone.
  Status write(std::string_view data);

  // The next line of stdout, without its newline. kDeadlineExceeded after `timeout`;
  // kUnavailable when stdout closes (the child exited: the message says how, with the end of its
  // stderr); kResourceExhausted for a line longer than `max_line` bytes.
  StatusOr<std::string> read_line(Millis timeout, std::size_t max_line = 64 << 20);

  // Reads stdout until `done(text so far)` holds and then nothing more arrives for `quiet`;
  // returns all of it. Errors as read_line.
  StatusOr<std::string> read_until(const std::function<bool(std::string_view)>& done,
                                   Millis timeout, Millis quiet);

  // Closes the child's stdin (it sees end of file).
  void close_stdin();

  // close_stdin, wait up to `grace` for the child to exit, SIGTERM, wait `grace` again, SIGKILL.
  // Returns how it ended ("exited with status 0", "killed by signal 9"). Idempotent.
  std::string terminate(Millis grace);

  // True while the child has not exited (reaps it when it has).
  bool running();

  // "exited with status 3", "killed by signal 11", or "running".
  std::string exit_description() const;
  // The last few kilobytes the child wrote to stderr.
  std::string stderr_tail() const { return stderr_tail_; }
  pid_t pid() const { return pid_; }

 private:
  Subprocess() = default;
  // Polls stdout and stderr once; appends to out_buffer_ / stderr_tail_. Returns false on a
  // timeout; sets stdout_eof_ when stdout closed.
  bool pump(int timeout_ms);
  Status gone(const char* doing);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  bool stdout_eof_ = false;
  bool reaped_ = false;
  int wait_status_ = 0;
  std::string out_buffer_;
  std::string stderr_tail_;
};

}  // namespace arbor::envs::internal
