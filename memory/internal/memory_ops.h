// Memory reads and writes as functions of a connection. Write functions run inside the
// writer's transaction (memory::internal::Writer); reads inside a read transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/status.h"
#include "memory/internal/sqlite.h"
#include "memory/internal/writer.h"
#include "memory/types.h"

namespace arbor::memory::internal {

// ---- writes --------------------------------------------------------------------------------

StatusOr<AddResult> add_memory(Connection& conn, WriteContext& ctx, const NewMemory& m);
// Inserts `replacement` and points `old_id` at it. The old memory must be active.
StatusOr<MemoryId> supersede_memory(Connection& conn, WriteContext& ctx, MemoryId old_id,
                                    const NewMemory& replacement);
Status update_memory(Connection& conn, WriteContext& ctx, MemoryId id, const MemoryUpdate& u);
Status touch_memories(Connection& conn, WriteContext& ctx, const std::vector<MemoryId>& ids);

// Hard-deletes the memories `ids` and every version they superseded: rows, FTS entries and
// vectors. Returns how many rows went. With `purge`, also merges the FTS index so no posting
// of the deleted text stays in it (SQLite's secure_delete zeroes the freed pages).
StatusOr<std::int64_t> erase_memories(Connection& conn, WriteContext& ctx,
                                      const std::vector<MemoryId>& ids, bool purge);
// As erase_memories for every memory of `scope`.
StatusOr<std::int64_t> erase_scope(Connection& conn, WriteContext& ctx, const std::string& scope,
                                   bool purge);
StatusOr<std::int64_t> apply_retention(Connection& conn, WriteContext& ctx,
                                       const RetentionPolicy& policy);
// The row deletions of compaction (expired memories, old superseded versions) and an FTS merge.
StatusOr<std::int64_t> compact_rows(Connection& conn, WriteContext& ctx,
                                    const CompactOptions& options);
// After the commit: WAL checkpoint (TRUNCATE), and VACUUM when asked. Outside a transaction.
Status compact_file(Connection& conn, bool vacuum);

// ---- reads ---------------------------------------------------------------------------------

StatusOr<std::optional<Memory>> get_memory(Connection& conn, MemoryId id);
// The newest `n` memories matching `filter`.
StatusOr<std::vector<Memory>> recent_memories(Connection& conn, const MemoryFilter& filter, int n,
                                              std::int64_t now);
// The `n` memories with the highest weights.importance * importance + weights.recency *
// 0.5^(age / half-life), age since last access.
StatusOr<std::vector<ScoredMemory>> important_memories(Connection& conn, const MemoryFilter& filter,
                                                       int n, const ScoreWeights& weights,
                                                       std::int64_t now);
// Memories with id > after_id in id order, at most `limit` (all versions).
StatusOr<std::vector<Memory>> scan_memories(Connection& conn, MemoryId after_id, int limit);
StatusOr<StoreStats> read_stats(Connection& conn, int schema_version, std::int64_t now);
// "ok", or the list of problems found by PRAGMA integrity_check and (with_fts, which needs a
// writable connection although it changes nothing) FTS5's comparison of its index with the
// memories table.
StatusOr<std::string> check_integrity(Connection& conn, bool with_fts);

}  // namespace arbor::memory::internal
