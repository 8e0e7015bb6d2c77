#include "tests/memory/test_util.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace arbor::memory::testing {

TempDir::TempDir() {
  std::string tmpl = ::testing::TempDir() + "arbor_memory_XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return;
  }
  path_ = made;
  // Permission tests run children as another user: let them in.
  ::chmod(path_.c_str(), 0777);
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  // Undo read-only modes the tests set, so the folder can be removed.
  for (auto& entry : std::filesystem::recursive_directory_iterator(path_, ec)) {
    std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
  }
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add, ec);
  std::filesystem::remove_all(path_, ec);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const std::string& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  TempDir io;
  const std::string out_path = io.file("stdout");
  const std::string err_path = io.file("stderr");
  std::vector<char*> args = c_argv(argv);
  // Everything the child needs is prepared before fork(): between fork and exec it only makes
  // async-signal-safe calls.
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (out < 0 || err < 0) ::_exit(126);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (options.max_file_bytes) {
      ::signal(SIGXFSZ, SIG_IGN);
      struct rlimit limit {};
      limit.rlim_cur = limit.rlim_max = *options.max_file_bytes;
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
    }
    if (options.uid) {
      if (::setgid(*options.uid) != 0 || ::setuid(*options.uid) != 0) ::_exit(126);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ProcessResult r;
  if (pid < 0) return r;
  const int status = wait_process(pid);
  if (status < 0) {
    r.signal = -status;
  } else {
    r.exit_code = status;
  }
  r.out = read_bytes(out_path);
  r.err = read_bytes(err_path);
  return r;
}

pid_t start_process(const std::vector<std::string>& argv, const std::string& stdout_path) {
  std::vector<char*> args = c_argv(argv);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (out < 0) ::_exit(126);
    ::dup2(out, 1);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int wait_process(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -255;
  }
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

bool wait_for_text(const std::string& path, const std::string& text, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (contains(read_bytes(path), text)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

std::string arbor_binary() {
  return std::string(ARBOR_BINARY_DIR) + "/apps/arbor";
}

std::string test_binary(const std::string& name) {
  return std::string(ARBOR_BINARY_DIR) + "/tests/memory/" + name;
}

std::optional<uid_t> unprivileged_uid() {
  if (::geteuid() != 0) return std::nullopt;
  return static_cast<uid_t>(65534);  // nobody
}

}  // namespace arbor::memory::testing
