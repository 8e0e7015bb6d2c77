// The templates behind memory::Store's operations: how an operation becomes a job of the
// writer or of the reader pool and completes its Pending. Included by the Store's .cpp files.
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include "memory/internal/memory_ops.h"
#include "memory/internal/reader_pool.h"
#include "memory/internal/sqlite.h"
#include "memory/internal/writer.h"
#include "memory/store.h"

namespace arbor::memory {
namespace internal {

inline const Status& status_of(const Status& s) {
  return s;
}
template <typename T>
const Status& status_of(const StatusOr<T>& s) {
  return s.status();
}

// Bytes of the database file and its WAL.
std::int64_t database_bytes(const std::string& path);

}  // namespace internal

template <typename T, typename F>
Pending<T> Store::write(F body) {
  auto [pending, completer] = make_pending<T>();
  if (!writer_) {
    completer.complete(Result<T>(
        Status::failed_precondition(path_ + ": the memory database was opened read-only")));
    return std::move(pending);
  }
  begin_op();
  auto result = std::make_shared<std::optional<Result<T>>>();
  writer_->submit(
      [body = std::move(body), result](internal::Connection& conn,
                                       internal::WriteContext& ctx) -> Status {
        result->emplace(body(conn, ctx));
        return internal::status_of(**result);
      },
      [this, completer = completer, result](Status s) {
        completer.complete(s.ok() ? std::move(**result) : Result<T>(std::move(s)));
        end_op();
      });
  return std::move(pending);
}

template <typename T, typename F>
Pending<T> Store::write_alone(F body) {
  auto [pending, completer] = make_pending<T>();
  if (!writer_) {
    completer.complete(Result<T>(
        Status::failed_precondition(path_ + ": the memory database was opened read-only")));
    return std::move(pending);
  }
  begin_op();
  auto result = std::make_shared<std::optional<Result<T>>>();
  writer_->submit_alone(
      [body = std::move(body), result](internal::Connection& conn) -> Status {
        result->emplace(body(conn));
        return internal::status_of(**result);
      },
      [this, completer = completer, result](Status s) {
        completer.complete(s.ok() ? std::move(**result) : Result<T>(std::move(s)));
        end_op();
      });
  return std::move(pending);
}

template <typename T, typename F>
Pending<T> Store::read(F body) {
  auto [pending, completer] = make_pending<T>();
  begin_op();
  readers_->submit(
      [this, body = std::move(body), completer = completer](internal::Connection* conn) {
        if (conn == nullptr) {
          completer.complete(Result<T>(Status::cancelled(path_ + ": the store is closed")));
        } else {
          std::optional<Result<T>> r;
          const Status s = internal::with_read_transaction(*conn, [&]() -> Status {
            r.emplace(body(*conn));
            return internal::status_of(*r);
          });
          completer.complete(s.ok() ? std::move(*r) : Result<T>(s));
        }
        end_op();
      });
  return std::move(pending);
}

template <typename T>
Pending<T> Store::then_checkpoint(Pending<T> first, bool vacuum, std::function<void(T&)> finish) {
  auto first_result = std::make_shared<std::optional<Result<T>>>();
  std::move(first).then([first_result](Result<T> r) { first_result->emplace(std::move(r)); });
  // Queued after `first`, so `first_result` is set when it runs.
  return write_alone<T>([first_result, vacuum, finish](internal::Connection& conn) -> Result<T> {
    if (!(*first_result)->ok()) return std::move(**first_result);
    ARBOR_RETURN_IF_ERROR(internal::compact_file(conn, vacuum));
    if (finish) finish(***first_result);
    return std::move(**first_result);
  });
}

template <typename T>
Pending<T> Store::with_embeddings(std::vector<NewMemory> ms,
                                  std::function<Pending<T>(std::vector<NewMemory>)> next) {
  std::vector<std::string> texts;
  for (const NewMemory& m : ms) {
    if (!m.embedding) texts.push_back(m.text);
  }
  if (texts.empty() || !options_.embedder || !writer_) return next(std::move(ms));
  auto [pending, completer] = make_pending<T>();
  begin_op();
  options_.embedder->embed(
      std::move(texts), [this, ms = std::move(ms), next = std::move(next),
                         completer = completer](StatusOr<std::vector<Embedding>> e) mutable {
        if (!e.ok()) {
          completer.complete(Result<T>(e.status().with_context("embedding memories")));
          end_op();
          return;
        }
        std::size_t j = 0;
        for (NewMemory& m : ms) {
          if (!m.embedding && j < e->size()) m.embedding = std::move((*e)[j++]);
        }
        next(std::move(ms)).then([this, completer](Result<T> r) {
          completer.complete(std::move(r));
          end_op();
        });
      });
  return std::move(pending);
}

}  // namespace arbor::memory
