// VectorCache: every vector of an embedding model, unit-normalized, in one fp16 RAM matrix,
// for brute-force cosine ranking (SQLite stores the fp32 vectors; scanning 10^5 blobs per
// query would be far too slow). Its cosines are within ~1e-3 (dot_f16.h): they choose the
// candidates; the cosines reported are computed from the stored vectors.
//
// Coherence: meta.vector_epoch in the database grows with every commit that changes vectors.
// The cache remembers the epoch its contents reflect. The Store's own writer hands it each
// committed change (queued, applied by the next reader, so the writer never waits for a scan);
// a different epoch that is not ours means another process wrote, and the cache reloads.
//
// Thread safety: all methods may be called concurrently. Readers share a lock while they scan;
// a reload or the application of queued changes takes it exclusively.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"
#include "memory/internal/sqlite.h"
#include "memory/types.h"

namespace arbor::memory::internal {

// Vector changes made by one transaction.
struct VectorChanges {
  struct Upsert {
    MemoryId id;
    std::string model;
    std::vector<float> values;
  };
  std::vector<Upsert> upserts;
  std::vector<MemoryId> erased;  // memories deleted (their vectors went with them)

  bool empty() const { return upserts.empty() && erased.empty(); }
  void append(VectorChanges&& other);
};

// Normalizes `v` to unit length in place; a zero vector stays zero.
void normalize(std::span<float> v);

class VectorCache {
 public:
  // Reader side. REQUIRES: `conn` is inside a read transaction (one snapshot).
  // Brings `model` up to date with that snapshot and returns its dimension (nullopt when the
  // database has no vectors of `model`).
  StatusOr<std::optional<int>> sync(Connection& conn, const std::string& model);

  // The approximate cosine of `query_unit` (unit length) with every cached vector of `model`.
  // REQUIRES: query_unit.size() is the model's dimension.
  std::vector<std::pair<MemoryId, float>> score_all(const std::string& model,
                                                    std::span<const float> query_unit) const;

  // Writer side, around each COMMIT that changes vectors: the new epoch before it, then either
  // the committed changes or the failure.
  void will_commit(std::int64_t epoch);
  void committed(std::int64_t previous_epoch, std::int64_t epoch, VectorChanges changes);
  void commit_failed();

 private:
  struct Matrix {
    int dim = 0;
    std::vector<std::uint16_t> data;  // {n, dim}, unit rows in fp16
    std::vector<MemoryId> ids;
    std::unordered_map<MemoryId, std::size_t> row_of;
  };
  struct Queued {
    std::int64_t previous_epoch;
    std::int64_t epoch;
    VectorChanges changes;
  };
  static constexpr std::int64_t kUnknown = -1;
  // Changes queued beyond this many vectors are dropped and the cache reloads instead.
  static constexpr std::size_t kMaxQueued = 50000;

  void apply_queued_locked();  // REQUIRES: mu_ held exclusively
  static void upsert(Matrix& m, MemoryId id, std::span<const float> values);
  static void erase(Matrix& m, MemoryId id);
  Status load_locked(Connection& conn, const std::string& model);  // REQUIRES: mu_ exclusive

  mutable std::shared_mutex mu_;
  std::map<std::string, Matrix> models_;  // loaded models
  std::int64_t epoch_ = kUnknown;         // the epoch models_ reflect

  std::mutex queue_mu_;
  std::vector<Queued> queue_;  // committed by our writer, not yet applied
  std::size_t queued_vectors_ = 0;
  bool overflowed_ = false;  // queue_ was dropped: reload everything

  std::atomic<bool> has_queued_{false};
  std::atomic<bool> loaded_any_{false};            // false: no reader used the cache, queue nothing
  std::atomic<std::int64_t> in_flight_{kUnknown};  // the epoch our writer is committing
  std::atomic<std::int64_t> last_queued_{kUnknown};
};

}  // namespace arbor::memory::internal
