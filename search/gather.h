// gather(): when_all over tasks that return StatusOr<T> (or Status): every task runs
// concurrently on the caller's executor; the result is all values in order, or the first
// error in task order once every task has finished.
#pragma once

#include <vector>

#include "core/status.h"
#include "core/task.h"

namespace arbor::search {

template <typename T>
Task<StatusOr<std::vector<T>>> gather(std::vector<Task<StatusOr<T>>> tasks) {
  std::vector<StatusOr<T>> results = co_await when_all(std::move(tasks));
  std::vector<T> out;
  out.reserve(results.size());
  for (StatusOr<T>& r : results) {
    if (!r.ok()) co_return std::move(r).status();
    out.push_back(std::move(r).value());
  }
  co_return out;
}

inline Task<Status> gather_status(std::vector<Task<Status>> tasks) {
  std::vector<Status> results = co_await when_all(std::move(tasks));
  for (Status& s : results) {
    if (!s.ok()) co_return s;
  }
  co_return Status();
}

}  // namespace arbor::search
