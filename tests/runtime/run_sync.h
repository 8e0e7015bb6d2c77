// Test helper: runs a coroutine on a thread pool and waits for its result.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>

#include <exception>
#include <future>

namespace arbor::testing {

template <typename T>
T run_sync(boost::asio::awaitable<T> task, int threads = 2) {
  boost::asio::thread_pool pool(static_cast<std::size_t>(threads));
  std::promise<T> p;
  boost::asio::co_spawn(pool, std::move(task), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    p.set_value(std::move(value));
  });
  T result = p.get_future().get();
  pool.join();
  return result;
}

}  // namespace arbor::testing
