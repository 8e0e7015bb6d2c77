// Hybrid retrieval: BM25 from the FTS5 index and cosine from the VectorCache, fused into one
// score whose parts are returned (ScoreWeights in memory/types.h defines them).
//
// Candidates, each restricted to the filter:
//  - text: ranking every memory that contains any query word costs about 2 us per match, too
//    much when a word is in most memories. So the query's words are sorted by how many memories
//    contain them, and the rarest ones whose matches add up to at most text_scan_budget are
//    ranked by BM25 (computed with those words). A word left out is in more than `budget`
//    memories, so its idf is below ln(N / budget) and it adds little to a memory that no kept
//    word matches. If the kept words find fewer than the candidate count (say every word is
//    common), the newest `budget` memories that match any word are ranked by full BM25 and
//    fill up the candidates: the best match of a common-words query among recent memories.
//  - vector: the best cosines of the cached vectors (all of them are scanned).
// Every candidate then gets both signals exactly: BM25 over all query words (arbor_bm25, one
// indexed lookup per candidate) and its cosine. Importance and recency re-rank the candidates.
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
