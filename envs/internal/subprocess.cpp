#include "envs/internal/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace arbor::envs::internal {
namespace {

constexpr std::size_t kStderrKeep = 4096;  // enough for a traceback's last lines

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

}  // namespace

StatusOr<std::unique_ptr<Subprocess>> Subprocess::spawn(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0].empty())
    return Status::invalid_argument("empty command");
  int in[2], out[2], err[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    return Status::internal(std::string("socketpair: ") + std::strerror(errno));
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return Status::internal(std::string("pipe: ") + std::strerror(errno));
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return Status::internal(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[1], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all_default;
  sigemptyset(&none);
  sigemptyset(&all_default);
  sigaddset(&all_default, SIGPIPE);
  sigaddset(&all_default, SIGINT);
  sigaddset(&all_default, SIGTERM);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all_default);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[1]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    for (int fd : {in[0], out[0], err[0]}) ::close(fd);
    return Status::not_found("cannot start '" + argv[0] + "': " + std::strerror(rc));
  }
  auto p = std::unique_ptr<Subprocess>(new Subprocess());
  p->pid_ = pid;
  p->stdin_fd_ = in[0];
  p->stdout_fd_ = out[0];
  p->stderr_fd_ = err[0];
  ::fcntl(p->stdout_fd_, F_SETFL, ::fcntl(p->stdout_fd_, F_GETFL) | O_NONBLOCK);
  ::fcntl(p->stderr_fd_, F_SETFL, ::fcntl(p->stderr_fd_, F_GETFL) | O_NONBLOCK);
  return p;
}

Subprocess::~Subprocess() {
  terminate(std::chrono::milliseconds(200));
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
}

Status Subprocess::write(std::string_view data) {
  if (stdin_fd_ < 0)
    return Status::unavailable("the process's stdin is closed");
  while (!data.empty()) {
    const ssize_t n = ::send(stdin_fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return gone("writing to it");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok_status();
}

bool Subprocess::pump(int timeout_ms) {
  pollfd fds[2];
  int n = 0;
  if (!stdout_eof_)
    fds[n++] = {stdout_fd_, POLLIN, 0};
  if (stderr_fd_ >= 0)
    fds[n++] = {stderr_fd_, POLLIN, 0};
  if (n == 0)
    return false;
  const int rc = ::poll(fds, static_cast<nfds_t>(n), timeout_ms);
  if (rc <= 0)
    return false;
  char buf[65536];
  bool got_stdout = false;
  for (int i = 0; i < n; ++i) {
    if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
      continue;
    const ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
    if (fds[i].fd == stdout_fd_) {
      if (r > 0) {
        out_buffer_.append(buf, static_cast<std::size_t>(r));
        got_stdout = true;
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        stdout_eof_ = true;
        got_stdout = true;
      }
    } else if (r > 0) {
      stderr_tail_.append(buf, static_cast<std::size_t>(r));
      if (stderr_tail_.size() > 2 * kStderrKeep) {
        stderr_tail_.erase(0, stderr_tail_.size() - kStderrKeep);
      }
    } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
      close_fd(stderr_fd_);
    }
  }
  return got_stdout;
}

Status Subprocess::gone(const char* doing) {
  // Give it a moment to be reaped so that the message can say how it ended.
  for (int i = 0; i < 50 && running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  while (pump(0)) {
  }
  std::string msg = "the process " + exit_description() + " (while " + doing + ")";
  if (!stderr_tail_.empty()) {
    std::string tail =
        stderr_tail_.size() > 600 ? stderr_tail_.substr(stderr_tail_.size() - 600) : stderr_tail_;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    msg += "; its stderr ends: " + tail;
  }
  return Status::unavailable(msg);
}

StatusOr<std::string> Subprocess::read_line(Millis timeout, std::size_t max_line) {
  const auto deadline = Clock::now() + timeout;
  std::size_t scanned = 0;
  while (true) {
    const std::size_t nl = out_buffer_.find('\n', scanned);
    if (nl != std::string::npos) {
      std::string line = out_buffer_.substr(0, nl);
      out_buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      return line;
    }
    scanned = out_buffer_.size();
    if (out_buffer_.size() > max_line) {
      return Status::resource_exhausted("the process wrote a line longer than " +
                                        std::to_string(max_line) + " bytes");
    }
    if (stdout_eof_)
      return gone("waiting for a line on its stdout");
    const int left = remaining_ms(deadline);
    if (left == 0) {
      return Status::deadline_exceeded("no reply within " + std::to_string(timeout.count()) +
                                       " ms");
    }
    pump(left);
  }
}

StatusOr<std::string> Subprocess::read_until(const std::function<bool(std::string_view)>& done,
                                             Millis timeout, Millis quiet) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (done(out_buffer_)) {
      // Settled when nothing more comes for `quiet`.
      if (!pump(static_cast<int>(quiet.count()))) {
        std::string text = std::move(out_buffer_);
        out_buffer_.clear();
        return text;
      }
      continue;
    }
    if (stdout_eof_)
      return gone("waiting for its output");
    const int left = remaining_ms(deadline);
    if (left == 0) {
      return Status::deadline_exceeded("no complete reply within " +
                                       std::to_string(timeout.count()) + " ms");
    }
    pump(left);
  }
}

void Subprocess::close_stdin() {
  if (stdin_fd_ >= 0)
    ::shutdown(stdin_fd_, SHUT_WR);
  close_fd(stdin_fd_);
}

bool Subprocess::running() {
  if (reaped_ || pid_ <= 0)
    return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    wait_status_ = status;
    return false;
  }
  return r == 0;
}

std::string Subprocess::exit_description() const {
  if (!reaped_)
    return "is still running";
  if (WIFEXITED(wait_status_))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) {
    return "was killed by signal " + std::to_string(WTERMSIG(wait_status_)) + " (" +
           strsignal(WTERMSIG(wait_status_)) + ")";
  }
  return "ended";
}

std::string Subprocess::terminate(Millis grace) {
  close_stdin();
  const auto wait_for_exit = [&](Millis limit) {
    const auto deadline = Clock::now() + limit;
    while (running()) {
      if (Clock::now() >= deadline)
        return false;
      // Keep draining so that a child flushing its output on exit never blocks.
      pump(2);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  };
  // Signals go to the child's process group, so its own children go too.
  const auto signal_group = [&](int sig) {
    if (::kill(-pid_, sig) != 0)
      ::kill(pid_, sig);
  };
  if (!reaped_ && pid_ > 0 && !wait_for_exit(grace)) {
    signal_group(SIGTERM);
    if (!wait_for_exit(grace)) {
      signal_group(SIGKILL);
      int status = 0;
      if (::waitpid(pid_, &status, 0) == pid_) {
        reaped_ = true;
        wait_status_ = status;
      }
    }
  }
  return exit_description();
}

}  // namespace arbor::envs::internal
