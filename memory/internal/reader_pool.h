// ReaderPool: threads with one read-only connection each, for the Store's reads.
//
// In WAL mode readers never wait for the writer; they see the last commit at the start of
// their read transaction. A job runs on whichever reader is free.
//
// Thread safety: submit() from any thread, also from a job or a callback.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"
#include "memory/internal/sqlite.h"

namespace arbor::memory::internal {

class ReaderPool {
 public:
  using Job = std::function<void(Connection*)>;  // nullptr: the pool is closed

  // Takes the connections (opened and configured) and starts one thread per connection.
  // REQUIRES: !connections.empty().
  explicit ReaderPool(std::vector<std::unique_ptr<Connection>> connections);
  // Finishes the queued jobs, then stops the threads.
  ~ReaderPool();
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  void submit(Job job);

 private:
  void loop(Connection* conn);

  std::vector<std::unique_ptr<Connection>> connections_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::size_t running_ = 0;  // threads still in loop()
  std::vector<std::thread> threads_;
};

}  // namespace arbor::memory::internal
