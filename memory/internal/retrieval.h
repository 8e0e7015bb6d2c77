// Hybrid retrieval: BM25 from the FTS5 index and cosine from the VectorCache, fused into one
// score whose parts are returned (ScoreWeights in memory/types.h defines them).
//
// Candidates: the best max(k * 4, min_candidates) memories by BM25 and as many by cosine, both
// restricted to the filter; every candidate then gets both signals (BM25 of a vector-only
// candidate, cosine of a text-only one), so a part is never missing because of where the
// candidate came from. Importance and recency only re-rank these candidates.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "memory/internal/sqlite.h"
#include "memory/internal/vector_cache.h"
#include "memory/types.h"

namespace arbor::memory::internal {

// REQUIRES: `conn` is inside a read transaction.
StatusOr<std::vector<ScoredMemory>> retrieve(Connection& conn, VectorCache& cache,
                                             const Query& query, std::int64_t now);

}  // namespace arbor::memory::internal
