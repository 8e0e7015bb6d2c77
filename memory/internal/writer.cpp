#include "memory/internal/writer.h"

#include <utility>
#include <vector>

#include "core/check.h"

namespace arbor::memory::internal {

Writer::Writer(std::unique_ptr<Connection> conn, VectorCache* cache,
               std::function<std::int64_t()> clock, int max_batch)
    : conn_(std::move(conn)),
      cache_(cache),
      clock_(std::move(clock)),
      max_batch_(static_cast<std::size_t>(max_batch)) {
  ARBOR_CHECK_GE(max_batch, 1);
  thread_ = std::thread([this] { loop(); });
}

Writer::~Writer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Writer::submit(Run run, Done done) {
  std::unique_lock lock(mu_);
  if (stopped_) {
    lock.unlock();
    done(Status::cancelled(conn_->path() + ": the store is closed"));
    return;
  }
  queue_.push_back(Job{std::move(run), nullptr, std::move(done)});
  lock.unlock();
  cv_.notify_one();
}

void Writer::submit_alone(RunAlone run, Done done) {
  std::unique_lock lock(mu_);
  if (stopped_) {
    lock.unlock();
    done(Status::cancelled(conn_->path() + ": the store is closed"));
    return;
  }
  queue_.push_back(Job{nullptr, std::move(run), std::move(done)});
  lock.unlock();
  cv_.notify_one();
}

void Writer::loop() {
  while (true) {
    std::deque<Job> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) {
        stopped_ = true;
        return;
      }
      if (queue_.front().run_alone) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } else {
        while (!queue_.empty() && !queue_.front().run_alone && batch.size() < max_batch_) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
    }
    if (batch.front().run_alone) {
      Job& job = batch.front();
      const Status s = job.run_alone(*conn_);
      job.done(s);
    } else {
      run_batch(batch);
    }
  }
}

void Writer::run_batch(std::deque<Job>& batch) {
  std::size_t failed_at = 0;
  Status failure;
  if (try_batch(batch, &failed_at, &failure)) return;
  if (batch.size() == 1) {
    batch.front().done(failure);
    return;
  }
  // SQLite rolled back the whole transaction: give every job its own, so only the jobs that
  // hit the error fail.
  for (Job& job : batch) {
    std::deque<Job> one;
    one.push_back(std::move(job));
    if (!try_batch(one, &failed_at, &failure)) one.front().done(failure);
  }
}

bool Writer::try_batch(std::deque<Job>& batch, std::size_t* failed_at, Status* failure) {
  const Status begin = conn_->exec("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    for (Job& job : batch) job.done(begin);
    return true;
  }
  const auto abort = [&](std::size_t i, Status s) {
    if (conn_->in_transaction()) (void)conn_->exec("ROLLBACK");
    *failed_at = i;
    *failure = std::move(s);
    return false;
  };
  std::vector<Status> results(batch.size());
  VectorChanges changes;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    WriteContext ctx;
    ctx.now_ms = clock_();
    Status s = conn_->exec("SAVEPOINT job");
    if (!s.ok()) return abort(i, s);
    s = batch[i].run(*conn_, ctx);
    if (!conn_->in_transaction())
      return abort(i, s.ok() ? Status::internal("transaction lost") : s);
    if (s.ok()) {
      const Status r = conn_->exec("RELEASE job");
      if (!r.ok()) return abort(i, r);
      changes.append(std::move(ctx.vectors));
    } else {
      Status r = conn_->exec("ROLLBACK TO job");
      if (r.ok()) r = conn_->exec("RELEASE job");
      if (!r.ok()) return abort(i, r);
    }
    results[i] = std::move(s);
  }
  std::int64_t previous_epoch = 0;
  std::int64_t epoch = 0;
  if (!changes.empty()) {
    const Status s = bump_vector_epoch(&previous_epoch, &epoch);
    if (!s.ok()) return abort(0, s);
    cache_->will_commit(epoch);
  }
  const Status commit = conn_->exec("COMMIT");
  if (!commit.ok()) {
    if (conn_->in_transaction()) (void)conn_->exec("ROLLBACK");
    if (!changes.empty()) cache_->commit_failed();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i].done(results[i].ok() ? commit : results[i]);
    }
    return true;
  }
  if (!changes.empty()) cache_->committed(previous_epoch, epoch, std::move(changes));
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
  return true;
}

Status Writer::bump_vector_epoch(std::int64_t* previous, std::int64_t* now) {
  ARBOR_ASSIGN_OR_RETURN(
      Stmt stmt, conn_->prepare("UPDATE meta SET value = value + 1 WHERE key = 'vector_epoch' "
                                "RETURNING value"));
  ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
  if (!row) return Status::data_loss(conn_->path() + ": table meta has no vector_epoch row");
  *now = stmt.col_int(0);
  *previous = *now - 1;
  return stmt.run();
}

}  // namespace arbor::memory::internal
