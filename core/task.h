// Task<T>: the coroutine type of Arbor's async code (search, agents, runtime requests): a
// Boost.Asio awaitable. when_all() runs independent tasks concurrently on the caller's executor
// and returns their results in order; it is how a search issues all the requests of a round at
// once so the engine can batch them.
//
// Thread safety: tasks of one search share its state, so run them on one strand or a
// single-threaded io_context; when_all spawns its children on the caller's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <utility>
#include <vector>

namespace arbor {

template <typename T = void>
using Task = boost::asio::awaitable<T>;

// Awaits every task; the i-th result belongs to the i-th task. An exception in a task is
// rethrown after all have finished. REQUIRES: T is default-constructible.
template <typename T>
Task<std::vector<T>> when_all(std::vector<Task<T>> tasks) {
  namespace asio = boost::asio;
  if (tasks.empty()) co_return std::vector<T>();
  auto ex = co_await asio::this_coro::executor;
  using Op = decltype(asio::co_spawn(ex, std::move(tasks.front()), asio::deferred));
  std::vector<Op> ops;
  ops.reserve(tasks.size());
  for (auto& t : tasks) ops.push_back(asio::co_spawn(ex, std::move(t), asio::deferred));
  auto [order, errors, results] =
      co_await asio::experimental::make_parallel_group(std::move(ops))
          .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  co_return std::move(results);
}

}  // namespace arbor
