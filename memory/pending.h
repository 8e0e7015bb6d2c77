// Pending<T>: the result of a Store operation that runs on another thread.
//
// The Store queues the work (writes on its writer thread, reads on its reader pool) and returns
// at once; the caller either attaches a callback or, on a thread that may block, waits:
//
//   store.add(m).then([ex](StatusOr<AddResult> r) { asio::post(ex, ...); });  // event loop
//   StatusOr<AddResult> r = store.add(m).wait();                               // tool, test
//
// then() runs the callback exactly once: on the thread that completes the operation, or on
// the calling thread right away when the result is already there. Callbacks run on the Store's
// threads, so they must be short (post the result to your executor) and must never wait() on
// another Store operation. Pending<void> carries a Status.
//
// Thread safety: a Pending is used by one thread; its completion may come from any thread.
// Call exactly one of then() or wait(), once. Dropping a Pending discards the result (the
// operation still runs).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/check.h"
#include "core/status.h"

namespace arbor::memory {

template <typename T>
using Result = std::conditional_t<std::is_void_v<T>, Status, StatusOr<T>>;

namespace internal_pending {

template <typename T>
struct State {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<T>> result;
  std::function<void(Result<T>)> callback;
  bool consumed = false;   // then() or wait() was called
  bool completed = false;  // Completer::complete() was called
};

}  // namespace internal_pending

template <typename T>
class Pending {
 public:
  explicit Pending(std::shared_ptr<internal_pending::State<T>> state) : state_(std::move(state)) {}

  void then(std::function<void(Result<T>)> done) && {
    ARBOR_CHECK(done != nullptr);
    std::unique_lock lock(state_->mu);
    ARBOR_CHECK(!state_->consumed) << "then() or wait() called twice on one Pending";
    state_->consumed = true;
    if (!state_->result.has_value()) {
      state_->callback = std::move(done);
      return;
    }
    Result<T> r = std::move(*state_->result);
    lock.unlock();
    done(std::move(r));
  }

  // Blocks until the result is there. Never call it on an event-loop thread.
  Result<T> wait() && {
    std::unique_lock lock(state_->mu);
    ARBOR_CHECK(!state_->consumed) << "then() or wait() called twice on one Pending";
    state_->consumed = true;
    state_->cv.wait(lock, [&] { return state_->result.has_value(); });
    return std::move(*state_->result);
  }

  bool ready() const {
    std::lock_guard lock(state_->mu);
    return state_->completed;
  }

 private:
  std::shared_ptr<internal_pending::State<T>> state_;
};

// The producer side: completes its Pending once. Copyable (copies share the state).
template <typename T>
class Completer {
 public:
  explicit Completer(std::shared_ptr<internal_pending::State<T>> state)
      : state_(std::move(state)) {}

  void complete(Result<T> r) const {
    std::unique_lock lock(state_->mu);
    ARBOR_CHECK(!state_->completed) << "a Pending completed twice";
    state_->completed = true;
    if (state_->callback) {
      auto callback = std::move(state_->callback);
      lock.unlock();
      callback(std::move(r));
      return;
    }
    state_->result.emplace(std::move(r));
    lock.unlock();
    state_->cv.notify_all();
  }

 private:
  std::shared_ptr<internal_pending::State<T>> state_;
};

template <typename T>
std::pair<Pending<T>, Completer<T>> make_pending() {
  auto state = std::make_shared<internal_pending::State<T>>();
  return {Pending<T>(state), Completer<T>(state)};
}

// A Pending that is already complete (for errors found before any work is queued).
template <typename T>
Pending<T> ready_pending(Result<T> r) {
  auto [pending, completer] = make_pending<T>();
  completer.complete(std::move(r));
  return std::move(pending);
}

}  // namespace arbor::memory
