// Writer: the one thread that writes to a Store's database.
//
// Jobs queue up from any thread. The writer takes every queued job (up to a batch limit) into
// one transaction, each job inside its own SAVEPOINT: a failing job rolls back alone, the rest
// commit together (group commit: one WAL append for many small writes). Each job's `done` runs
// on the writer thread after the COMMIT, with the job's own error or the commit's.
// If SQLite rolls back the whole transaction (a full disk, an I/O error), the jobs of the batch
// are retried one transaction each, so only the job that hit the error fails.
//
// Thread safety: submit() from any thread, also from inside a `done` callback.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/status.h"
#include "memory/internal/sqlite.h"
#include "memory/internal/vector_cache.h"

namespace arbor::memory::internal {

// What a job may record besides its SQL; kept only when the job commits.
struct WriteContext {
  std::int64_t now_ms = 0;  // the Store's clock when the job started
  VectorChanges vectors;
};

class Writer {
 public:
  using Run = std::function<Status(Connection&, WriteContext&)>;
  using RunAlone = std::function<Status(Connection&)>;
  using Done = std::function<void(Status)>;

  // Takes the connection (opened, configured, schema ready) and starts the thread.
  // REQUIRES: max_batch >= 1; `cache` outlives the Writer.
  Writer(std::unique_ptr<Connection> conn, VectorCache* cache, std::function<std::int64_t()> clock,
         int max_batch);
  // Runs every job queued so far (and those their callbacks queue), then stops the thread.
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues `run` to execute in a transaction; `done` gets its result after the commit.
  // `run` may be called again after SQLite rolled its transaction back, so it must only touch
  // the database, its WriteContext and the result it leaves for `done`.
  void submit(Run run, Done done);
  // Queues `run` to execute alone, outside any transaction (VACUUM, WAL checkpoints).
  void submit_alone(RunAlone run, Done done);

 private:
  struct Job {
    Run run;
    RunAlone run_alone;  // set for jobs that run outside a transaction
    Done done;
  };

  void loop();
  void run_batch(std::deque<Job>& batch);
  // Runs the batch in one transaction. Returns false (having called no `done`) when SQLite
  // rolled the whole transaction back because of job `*failed_at`.
  bool try_batch(std::deque<Job>& batch, std::size_t* failed_at, Status* failure);
  Status bump_vector_epoch(std::int64_t* previous, std::int64_t* now);

  std::unique_ptr<Connection> conn_;
  VectorCache* cache_;
  std::function<std::int64_t()> clock_;
  std::size_t max_batch_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace arbor::memory::internal
