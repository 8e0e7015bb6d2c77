// memory::Store: an agent's long-term memory and a run's results, in one SQLite file.
//
// What it holds: memories (kind, scope, text, tags, importance, times, supersession) with an
// FTS5 index and optional embedding vectors; episodes with their append-only steps; runs with
// one committed result (and search tree) per finished problem, so a killed run resumes where
// it stopped. Schema: memory/internal/schema.cpp.
//
// Threading contract (ARCHITECTURE.md: nothing in an event loop waits on SQLite):
//  - Every operation returns at once with a Pending<T> (memory/pending.h). Writes run on the
//    Store's one writer thread, which commits whatever is queued in one transaction (each
//    operation atomic on its own); reads run on a pool of reader threads, each with its own
//    connection (WAL: readers never wait for the writer). Results arrive by then(callback) on
//    those threads (post them to your executor) or by wait() on a thread that may block.
//  - Writes from one thread commit in the order they were submitted (a write that first
//    waits for the Store's embedder is queued when its embedding arrives), and a read
//    submitted after a write's Pending completed sees that write.
//  - All methods are thread-safe. Callbacks must not wait() on another operation of the Store.
//  - The destructor finishes every queued operation (and calls its callback) before it returns.
//    Never destroy a Store from one of its own callbacks.
//  - Other processes may use the file at the same time; their writes wait up to
//    busy_timeout_ms for ours (and ours for theirs), then fail with a "locked" error.
//
// Errors name the file and say what to do: not a database, corrupt, locked, read-only, full,
// a schema newer than this build. A failed write leaves nothing behind (it is rolled back).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "memory/embedder.h"
#include "memory/pending.h"
#include "memory/types.h"

namespace arbor::memory {

namespace internal {
class ReaderPool;
class VectorCache;
class Writer;
}  // namespace internal

struct StoreOptions {
  // Create the file (and the schema) when it does not exist; otherwise opening a missing file
  // is NotFound.
  bool create_if_missing = false;
  // Open without a writer: every write fails with FailedPrecondition. Works on read-only files.
  bool read_only = false;
  int busy_timeout_ms = 5000;
  int readers = 2;       // reader threads (connections)
  int max_batch = 1024;  // writes per transaction at most (group commit)
  // When > 0, writes that would grow the database beyond this many bytes fail (SQLITE_FULL).
  std::int64_t max_bytes = 0;
  // Embeds memories added without a vector and queries without one. Optional.
  std::shared_ptr<Embedder> embedder;
  // Milliseconds since the Unix epoch; the system clock when unset (tests set a fake one).
  std::function<std::int64_t()> clock;
};

class Store {
 public:
  static StatusOr<std::unique_ptr<Store>> open(const std::string& path, StoreOptions options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }
  int schema_version() const { return schema_version_; }
  bool read_only() const { return writer_ == nullptr; }

  // ---- memories: writes ----
  // Adds a memory, or returns the active duplicate (same kind, scope and text) unchanged.
  // Without m.embedding, the Store's embedder (if any) computes one first.
  Pending<AddResult> add(NewMemory m);
  // All of `ms` in one transaction (all or nothing).
  Pending<std::vector<AddResult>> add_many(std::vector<NewMemory> ms);
  // Replaces memory `old_id` by `replacement`: the old one stays, marked superseded_by the new
  // one, and leaves retrieval. Fails when `old_id` is missing or already superseded.
  Pending<MemoryId> supersede(MemoryId old_id, NewMemory replacement);
  Pending<void> update(MemoryId id, MemoryUpdate update);
  // Sets accessed_at of `ids` to now.
  Pending<void> touch(std::vector<MemoryId> ids);
  // Hard-deletes memories and every version they superseded (rows, FTS entries, vectors), in
  // one transaction; returns the number of rows deleted. With `purge`, the FTS index is also
  // merged and the WAL checkpointed and truncated after the commit, so the deleted text is
  // gone from the files too (secure_delete zeroes freed pages).
  Pending<std::int64_t> erase(std::vector<MemoryId> ids, bool purge = false);
  Pending<std::int64_t> erase_scope(std::string scope, bool purge = false);
  // Returns the number of memories deleted.
  Pending<std::int64_t> retain(RetentionPolicy policy);
  Pending<CompactStats> compact(CompactOptions options);

  // ---- memories: reads ----
  // Hybrid BM25 + cosine search (see ScoreWeights). Without query.embedding and with an
  // embedder, the query text is embedded first.
  Pending<std::vector<ScoredMemory>> retrieve(Query query);
  // The newest `n` memories passing `filter`.
  Pending<std::vector<Memory>> recent(MemoryFilter filter, int n);
  // The `n` memories with the highest weights.importance * importance + weights.recency *
  // 0.5^(age / weights.recency_half_life_ms), age since last access.
  Pending<std::vector<ScoredMemory>> recall(MemoryFilter filter, int n, ScoreWeights weights);
  Pending<std::optional<Memory>> get(MemoryId id);
  // Memories (every version) with id > after_id in id order, at most `limit`: for export.
  Pending<std::vector<Memory>> scan(MemoryId after_id, int limit);
  Pending<StoreStats> stats();

  // ---- episodes ----
  Pending<EpisodeId> begin_episode(NewEpisode episode);
  // Returns the step's index (0, 1, ...). Fails unless the episode is running.
  Pending<std::int64_t> append_step(EpisodeId episode, NewStep step);
  Pending<void> finish_episode(EpisodeId episode, std::string outcome_json);
  Pending<std::optional<Episode>> episode(EpisodeId id);
  Pending<std::vector<Step>> steps(EpisodeId episode, std::int64_t from = 0,
                                   std::int64_t limit = INT64_MAX);

  // ---- runs ----
  // Creates run `spec.name`, or resumes it (FailedPrecondition when its config hash differs):
  // episodes still running from a previous process become abandoned, and the finished problems
  // are listed so the driver skips them and redoes the rest.
  Pending<RunProgress> open_run(RunSpec spec);
  // Commits a finished problem: its result, its tree when kept, and its episode's end, in one
  // transaction. AlreadyExists when the problem is already recorded.
  Pending<void> finish_problem(ProblemResult result);
  Pending<std::vector<ProblemRecord>> results(RunId run);
  Pending<std::vector<Episode>> episodes(RunId run);
  Pending<std::optional<std::string>> tree(RunId run, std::string problem);

  // ---- maintenance ----
  // Completes once every write submitted before it has committed.
  Pending<void> flush();
  // "ok", or what SQLite's integrity check (and, when writable, FTS5's) found.
  Pending<std::string> check_integrity();

 private:
  Store(std::string path, StoreOptions options, int schema_version);

  // body(Connection&, WriteContext&) -> Result<T>, in a writer transaction.
  template <typename T, typename F>
  Pending<T> write(F body);
  // body(Connection&) -> Result<T>, on the writer thread outside any transaction.
  template <typename T, typename F>
  Pending<T> write_alone(F body);
  // body(Connection&) -> Result<T>, in a read transaction on a reader thread.
  template <typename T, typename F>
  Pending<T> read(F body);
  // A Pending with `first`'s result, completed after a WAL checkpoint (and VACUUM) ran and
  // `finish` (when set) saw the result.
  template <typename T>
  Pending<T> then_checkpoint(Pending<T> first, bool vacuum,
                             std::function<void(T&)> finish = nullptr);
  // Adds the Store's embedder's vectors to the memories that have none, then runs `next`.
  template <typename T>
  Pending<T> with_embeddings(std::vector<NewMemory> ms,
                             std::function<Pending<T>(std::vector<NewMemory>)> next);
  std::int64_t now() const { return options_.clock(); }

  // Operations in flight (queued, running, or waiting for an embedder): the destructor waits
  // for none to remain, so no callback can touch a destroyed Store.
  void begin_op();
  void end_op();

  std::string path_;
  StoreOptions options_;
  int schema_version_;
  std::unique_ptr<internal::VectorCache> cache_;
  std::unique_ptr<internal::Writer> writer_;  // null when read-only
  std::unique_ptr<internal::ReaderPool> readers_;

  std::mutex ops_mu_;
  std::condition_variable ops_cv_;
  std::int64_t ops_in_flight_ = 0;
};

}  // namespace arbor::memory
