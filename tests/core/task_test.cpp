#include "core/task.h"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <string>

namespace arbor {
namespace {

namespace asio = boost::asio;

// Finishes after `ms` milliseconds and records the order in which tasks finish.
Task<int> delayed(int value, int ms, std::vector<int>* finished) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(asio::use_awaitable);
  finished->push_back(value);
  co_return value * 10;
}

TEST(TaskTest, WhenAllRunsConcurrentlyAndKeepsOrder) {
  asio::io_context io;
  std::vector<int> finished;
  std::vector<int> results;
  const auto t0 = std::chrono::steady_clock::now();
  asio::co_spawn(io, [&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    tasks.push_back(delayed(1, 60, &finished));
    tasks.push_back(delayed(2, 10, &finished));
    tasks.push_back(delayed(3, 30, &finished));
    results = co_await when_all(std::move(tasks));
  }, asio::detached);
  io.run();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(results, (std::vector<int>{10, 20, 30}));    // in task order
  EXPECT_EQ(finished, (std::vector<int>{2, 3, 1}));       // ran concurrently
  EXPECT_LT(elapsed, std::chrono::milliseconds(100 + 30)); // not 100 ms in sequence... with slack
}

TEST(TaskTest, WhenAllOfNothingAndExceptions) {
  asio::io_context io;
  bool empty_ok = false;
  bool caught = false;
  asio::co_spawn(io, [&]() -> Task<void> {
    auto none = co_await when_all(std::vector<Task<int>>());
    empty_ok = none.empty();
    std::vector<Task<int>> tasks;
    tasks.push_back([]() -> Task<int> { co_return 1; }());
    tasks.push_back([]() -> Task<int> {
      throw std::runtime_error("boom");
      co_return 2;
    }());
    try {
      co_await when_all(std::move(tasks));
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "boom";
    }
  }, asio::detached);
  io.run();
  EXPECT_TRUE(empty_ok);
  EXPECT_TRUE(caught);
}

}  // namespace
}  // namespace arbor
