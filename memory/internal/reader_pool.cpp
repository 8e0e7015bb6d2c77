#include "memory/internal/reader_pool.h"

#include "core/check.h"

namespace arbor::memory::internal {

ReaderPool::ReaderPool(std::vector<std::unique_ptr<Connection>> connections)
    : connections_(std::move(connections)) {
  ARBOR_CHECK(!connections_.empty());
  running_ = connections_.size();
  for (auto& conn : connections_) {
    threads_.emplace_back([this, c = conn.get()] { loop(c); });
  }
}

ReaderPool::~ReaderPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ReaderPool::submit(Job job) {
  std::unique_lock lock(mu_);
  if (running_ == 0) {
    lock.unlock();
    job(nullptr);
    return;
  }
  queue_.push_back(std::move(job));
  lock.unlock();
  cv_.notify_one();
}

void ReaderPool::loop(Connection* conn) {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) {
        --running_;
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job(conn);
  }
}

}  // namespace arbor::memory::internal
