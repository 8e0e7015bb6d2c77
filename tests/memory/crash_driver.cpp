// crash_driver: a stand-in for `arbor run` that the crash test kills and resumes.
//
//   crash_driver DB N_PROBLEMS WORK_US
//
// Opens (or resumes) run "crash-test" in DB, prints "resume finished=F abandoned=A", then works
// through problems p0000..p{N-1} that are not finished: an episode with three steps, WORK_US
// microseconds of "work", and one committed result (with a tree) per problem. Writes are
// queued, not awaited, except the episode start. Exits 0 after printing "done", 1 on any error
// (re-recording a finished problem is one).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>

#include <unistd.h>

#include "memory/store.h"

namespace {

using arbor::Status;
using namespace arbor::memory;

[[noreturn]] void fail(const std::string& what, const Status& s) {
  std::printf("error %s: %s\n", what.c_str(), s.to_string().c_str());
  std::fflush(stdout);
  std::_Exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: crash_driver DB N_PROBLEMS WORK_US\n");
    return 2;
  }
  const std::string db = argv[1];
  const int n = std::atoi(argv[2]);
  const int work_us = std::atoi(argv[3]);
  StoreOptions options;
  options.create_if_missing = true;
  options.readers = 1;
  auto store = Store::open(db, options);
  if (!store.ok()) fail("open", store.status());
  auto progress = (*store)->open_run({"crash-test", "config-hash-1", R"({"problems": 0})"}).wait();
  if (!progress.ok()) fail("open_run", progress.status());
  std::printf("resume finished=%zu abandoned=%zu\n", progress->finished.size(),
              progress->abandoned.size());
  std::fflush(stdout);
  const std::set<std::string> finished(progress->finished.begin(), progress->finished.end());
  for (int i = 0; i < n; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "p%04d", i);
    if (finished.count(name)) continue;
    NewEpisode e;
    e.run = progress->run;
    e.problem = name;
    e.env = "arith";
    auto episode = (*store)->begin_episode(e).wait();
    if (!episode.ok()) fail("begin_episode", episode.status());
    for (int s = 0; s < 3; ++s) {
      NewStep step;
      step.action = "think " + std::to_string(s);
      step.observation = "partial " + std::to_string(i * s);
      (*store)->append_step(*episode, step).then([](arbor::StatusOr<std::int64_t> st) {
        if (!st.ok()) fail("append_step", st.status());
      });
    }
    std::this_thread::sleep_for(std::chrono::microseconds(work_us));
    const int answer = (i * i + 7) % 1000;
    ProblemResult r;
    r.run = progress->run;
    r.problem = name;
    r.episode = *episode;
    r.result_json = "{\"problem\": \"" + std::string(name) +
                    "\", \"answer\": " + std::to_string(answer) +
                    ", \"pid\": " + std::to_string(::getpid()) + "}";
    r.tree_json = "{\"nodes\": [{\"id\": 0, \"text\": \"" + std::string(name) + "\"}]}";
    r.outcome_json = "{\"answer\": " + std::to_string(answer) + "}";
    (*store)->finish_problem(r).then([name = std::string(name)](arbor::Status st) {
      if (!st.ok()) fail("finish_problem " + name, st);
    });
  }
  const Status flushed = (*store)->flush().wait();
  if (!flushed.ok()) fail("flush", flushed);
  std::printf("done\n");
  std::fflush(stdout);
  return 0;
}
