#include "memory/store.h"

#include <chrono>

#include <sqlite3.h>
#include <sys/stat.h>

#include "core/file.h"
#include "memory/internal/memory_ops.h"
#include "memory/internal/reader_pool.h"
#include "memory/internal/retrieval.h"
#include "memory/internal/run_ops.h"
#include "memory/internal/schema.h"
#include "memory/internal/sqlite.h"
#include "memory/internal/store_plumbing.h"
#include "memory/internal/vector_cache.h"
#include "memory/internal/writer.h"

namespace arbor::memory {

using internal::Connection;
using internal::OpenMode;
using internal::WriteContext;

namespace {

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Opens and checks a connection for reading. `immutable` is for read-only folders.
StatusOr<std::unique_ptr<Connection>> open_reader(const std::string& path, int busy_timeout_ms,
                                                  bool immutable) {
  ARBOR_ASSIGN_OR_RETURN(auto conn,
                         Connection::open(path, OpenMode::kReadOnly, busy_timeout_ms, immutable));
  ARBOR_RETURN_IF_ERROR(internal::configure_connection(*conn, /*writer=*/false, 0));
  return conn;
}

}  // namespace

std::int64_t internal::database_bytes(const std::string& path) {
  std::int64_t total = 0;
  for (const std::string& p : {path, path + "-wal"}) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) total += static_cast<std::int64_t>(st.st_size);
  }
  return total;
}

Store::Store(std::string path, StoreOptions options, int schema_version)
    : path_(std::move(path)),
      options_(std::move(options)),
      schema_version_(schema_version),
      cache_(std::make_unique<internal::VectorCache>()) {}

StatusOr<std::unique_ptr<Store>> Store::open(const std::string& path, StoreOptions options) {
  if (path.empty()) return Status::invalid_argument("memory database path is empty");
  if (is_directory(path)) {
    return Status::invalid_argument(path + ": is a directory, not a memory database file");
  }
  const bool exists = file_exists(path);
  if (!exists && (!options.create_if_missing || options.read_only)) {
    return Status::not_found(path + ": no such memory database");
  }
  if (!options.clock) options.clock = system_now_ms;
  const int busy = std::max(0, options.busy_timeout_ms);
  const int n_readers = std::max(1, options.readers);

  std::unique_ptr<Connection> writer_conn;
  int version = 0;
  bool immutable = false;
  if (!options.read_only) {
    ARBOR_ASSIGN_OR_RETURN(
        writer_conn,
        Connection::open(path, exists ? OpenMode::kReadWrite : OpenMode::kReadWriteCreate, busy));
    ARBOR_RETURN_IF_ERROR(internal::configure_connection(*writer_conn, true, options.max_bytes));
    // SQLite quietly opens a write-protected file read-only; say so before any write fails.
    if (sqlite3_db_readonly(writer_conn->raw(), "main") == 1) {
      return Status::failed_precondition(path +
                                         ": the file is read-only (permissions); nothing "
                                         "was written (open it read-only to search it)");
    }
    ARBOR_ASSIGN_OR_RETURN(
        version, internal::open_schema(*writer_conn,
                                       {.writable = true, .create = options.create_if_missing}));
  } else {
    auto probe = open_reader(path, busy, false);
    StatusOr<int> checked = probe.ok() ? internal::open_schema(**probe, {}) : probe.status();
    if (!checked.ok() && !file_exists(path + "-wal") &&
        (checked.status().code() == StatusCode::kFailedPrecondition ||
         checked.status().code() == StatusCode::kInvalidArgument)) {
      // A WAL database in a folder we cannot write: SQLite cannot create FILE-shm. With no
      // FILE-wal left behind, everything is in the main file and can be read as immutable.
      auto retry = open_reader(path, busy, true);
      if (retry.ok()) {
        StatusOr<int> again = internal::open_schema(**retry, {});
        if (again.ok()) {
          checked = again;
          immutable = true;
        }
      }
    }
    ARBOR_ASSIGN_OR_RETURN(version, std::move(checked));
  }

  std::vector<std::unique_ptr<Connection>> reader_conns;
  for (int i = 0; i < n_readers; ++i) {
    ARBOR_ASSIGN_OR_RETURN(auto conn, open_reader(path, busy, immutable));
    reader_conns.push_back(std::move(conn));
  }
  std::unique_ptr<Store> store(new Store(path, std::move(options), version));
  store->readers_ = std::make_unique<internal::ReaderPool>(std::move(reader_conns));
  if (writer_conn) {
    store->writer_ = std::make_unique<internal::Writer>(std::move(writer_conn), store->cache_.get(),
                                                        store->options_.clock,
                                                        std::max(1, store->options_.max_batch));
  }
  return store;
}

Store::~Store() {
  {
    std::unique_lock lock(ops_mu_);
    ops_cv_.wait(lock, [&] { return ops_in_flight_ == 0; });
  }
  readers_.reset();
  writer_.reset();
}

void Store::begin_op() {
  std::lock_guard lock(ops_mu_);
  ++ops_in_flight_;
}

void Store::end_op() {
  std::lock_guard lock(ops_mu_);
  if (--ops_in_flight_ == 0) ops_cv_.notify_all();
}

// ---- memories ----------------------------------------------------------------------------------

Pending<AddResult> Store::add(NewMemory m) {
  std::vector<NewMemory> one;
  one.push_back(std::move(m));
  return with_embeddings<AddResult>(std::move(one), [this](std::vector<NewMemory> ms) {
    return write<AddResult>([m = std::move(ms[0])](Connection& conn, WriteContext& ctx) {
      return internal::add_memory(conn, ctx, m);
    });
  });
}

Pending<std::vector<AddResult>> Store::add_many(std::vector<NewMemory> ms) {
  return with_embeddings<std::vector<AddResult>>(std::move(ms), [this](std::vector<NewMemory> all) {
    return write<std::vector<AddResult>>(
        [all = std::move(all)](Connection& conn,
                               WriteContext& ctx) -> StatusOr<std::vector<AddResult>> {
          std::vector<AddResult> out;
          for (const NewMemory& m : all) {
            ARBOR_ASSIGN_OR_RETURN(AddResult r, internal::add_memory(conn, ctx, m));
            out.push_back(r);
          }
          return out;
        });
  });
}

Pending<MemoryId> Store::supersede(MemoryId old_id, NewMemory replacement) {
  std::vector<NewMemory> one;
  one.push_back(std::move(replacement));
  return with_embeddings<MemoryId>(std::move(one), [this, old_id](std::vector<NewMemory> ms) {
    return write<MemoryId>([old_id, m = std::move(ms[0])](Connection& conn, WriteContext& ctx) {
      return internal::supersede_memory(conn, ctx, old_id, m);
    });
  });
}

Pending<void> Store::update(MemoryId id, MemoryUpdate u) {
  return write<void>([id, u = std::move(u)](Connection& conn, WriteContext& ctx) {
    return internal::update_memory(conn, ctx, id, u);
  });
}

Pending<void> Store::touch(std::vector<MemoryId> ids) {
  return write<void>([ids = std::move(ids)](Connection& conn, WriteContext& ctx) {
    return internal::touch_memories(conn, ctx, ids);
  });
}

Pending<std::int64_t> Store::erase(std::vector<MemoryId> ids, bool purge) {
  auto erased =
      write<std::int64_t>([ids = std::move(ids), purge](Connection& conn, WriteContext& ctx) {
        return internal::erase_memories(conn, ctx, ids, purge);
      });
  if (!purge || !writer_) return erased;
  return then_checkpoint(std::move(erased), /*vacuum=*/false);
}

Pending<std::int64_t> Store::erase_scope(std::string scope, bool purge) {
  auto erased =
      write<std::int64_t>([scope = std::move(scope), purge](Connection& conn, WriteContext& ctx) {
        return internal::erase_scope(conn, ctx, scope, purge);
      });
  if (!purge || !writer_) return erased;
  return then_checkpoint(std::move(erased), /*vacuum=*/false);
}

Pending<std::int64_t> Store::retain(RetentionPolicy policy) {
  return write<std::int64_t>([policy = std::move(policy)](Connection& conn, WriteContext& ctx) {
    return internal::apply_retention(conn, ctx, policy);
  });
}

Pending<CompactStats> Store::compact(CompactOptions options) {
  auto rows = write<CompactStats>(
      [options, path = path_](Connection& conn, WriteContext& ctx) -> StatusOr<CompactStats> {
        CompactStats stats;
        stats.bytes_before = internal::database_bytes(path);
        ARBOR_ASSIGN_OR_RETURN(stats.deleted, internal::compact_rows(conn, ctx, options));
        return stats;
      });
  return then_checkpoint<CompactStats>(
      std::move(rows), options.vacuum,
      [path = path_](CompactStats& stats) { stats.bytes_after = internal::database_bytes(path); });
}

Pending<std::vector<ScoredMemory>> Store::retrieve(Query query) {
  if (!query.embedding && options_.embedder && !query.text.empty()) {
    auto [pending, completer] = make_pending<std::vector<ScoredMemory>>();
    begin_op();
    options_.embedder->embed({query.text}, [this, query, completer = completer](
                                               StatusOr<std::vector<Embedding>> e) mutable {
      if (!e.ok() || e->size() != 1) {
        completer.complete(e.ok() ? Status::internal("the embedder returned no vector")
                                  : e.status().with_context("embedding the query"));
        end_op();
        return;
      }
      query.embedding = std::move((*e)[0]);
      retrieve(std::move(query)).then([this, completer](Result<std::vector<ScoredMemory>> r) {
        completer.complete(std::move(r));
        end_op();
      });
    });
    return std::move(pending);
  }
  const bool touch_hits = query.touch && writer_ != nullptr;
  auto found = read<std::vector<ScoredMemory>>([this, query = std::move(query)](Connection& conn) {
    return internal::retrieve(conn, *cache_, query, now());
  });
  if (!touch_hits) return found;
  auto [pending, completer] = make_pending<std::vector<ScoredMemory>>();
  std::move(found).then([this, completer = completer](Result<std::vector<ScoredMemory>> r) {
    if (r.ok() && !r->empty()) {
      std::vector<MemoryId> ids;
      for (const ScoredMemory& s : *r) ids.push_back(s.memory.id);
      (void)touch(std::move(ids));  // queued; its result is not needed
    }
    completer.complete(std::move(r));
  });
  return std::move(pending);
}

Pending<std::vector<Memory>> Store::recent(MemoryFilter filter, int n) {
  return read<std::vector<Memory>>([this, filter = std::move(filter), n](Connection& conn) {
    return internal::recent_memories(conn, filter, n, now());
  });
}

Pending<std::vector<ScoredMemory>> Store::recall(MemoryFilter filter, int n, ScoreWeights weights) {
  return read<std::vector<ScoredMemory>>(
      [this, filter = std::move(filter), n, weights](Connection& conn) {
        return internal::important_memories(conn, filter, n, weights, now());
      });
}

Pending<std::optional<Memory>> Store::get(MemoryId id) {
  return read<std::optional<Memory>>(
      [id](Connection& conn) { return internal::get_memory(conn, id); });
}

Pending<std::vector<Memory>> Store::scan(MemoryId after_id, int limit) {
  return read<std::vector<Memory>>([after_id, limit](Connection& conn) {
    return internal::scan_memories(conn, after_id, limit);
  });
}

Pending<StoreStats> Store::stats() {
  return read<StoreStats>(
      [this](Connection& conn) { return internal::read_stats(conn, schema_version_, now()); });
}

// ---- maintenance -------------------------------------------------------------------------------

Pending<void> Store::flush() {
  if (!writer_) return ready_pending<void>(Status());
  return write_alone<void>([](Connection&) { return Status(); });
}

Pending<std::string> Store::check_integrity() {
  if (!writer_) {
    return read<std::string>(
        [](Connection& conn) { return internal::check_integrity(conn, /*with_fts=*/false); });
  }
  return write_alone<std::string>(
      [](Connection& conn) { return internal::check_integrity(conn, /*with_fts=*/true); });
}

}  // namespace arbor::memory
