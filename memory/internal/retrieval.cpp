#include "memory/internal/retrieval.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "memory/internal/memory_sql.h"

namespace arbor::memory::internal {
namespace {

struct Signals {
  std::optional<double> bm25;
  std::optional<double> cosine;
};
using Candidates = std::unordered_map<MemoryId, Signals>;

// The best `limit` matches of `match` among the filtered memories, by BM25.
Status text_candidates(Connection& conn, const std::string& match, const Query& q,
                       std::int64_t now, std::size_t limit, Candidates& out) {
  SqlParams params;
  params.add(match);
  const std::string sql =
      "SELECT m.id, -memories_fts.rank FROM memories_fts JOIN memories m ON m.id = "
      "memories_fts.rowid WHERE memories_fts MATCH ? AND " + filter_sql(q.filter, now, params) +
      " ORDER BY memories_fts.rank LIMIT ?";
  params.add(static_cast<std::int64_t>(limit));
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(sql));
  params.bind_all(stmt);
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) return Status();
    out[stmt.col_int(0)].bm25 = stmt.col_double(1);
  }
}

// Of `ids`, those that pass the filter.
StatusOr<std::vector<MemoryId>> passing_filter(Connection& conn, const std::vector<MemoryId>& ids,
                                               const Query& q, std::int64_t now) {
  SqlParams params;
  params.add(id_list_json(ids));
  const std::string sql =
      "SELECT m.id FROM memories m WHERE m.id IN (SELECT value FROM json_each(?)) AND " +
      filter_sql(q.filter, now, params);
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(sql));
  params.bind_all(stmt);
  std::vector<MemoryId> out;
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) return out;
    out.push_back(stmt.col_int(0));
  }
}

// The best `limit` filtered memories by cosine: the cache ranks every vector, the database
// checks the filter on growing prefixes of that ranking.
Status vector_candidates(Connection& conn, const VectorCache& cache, const std::string& model,
                         std::span<const float> unit, const Query& q, std::int64_t now,
                         std::size_t limit, Candidates& out) {
  std::vector<std::pair<MemoryId, float>> scores = cache.score_all(model, unit);
  const auto better = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first > b.first;
  };
  std::size_t taken = 0;
  std::size_t found = 0;
  std::size_t batch = limit;
  while (found < limit && taken < scores.size()) {
    const std::size_t end = std::min(scores.size(), taken + batch);
    std::partial_sort(scores.begin() + static_cast<std::ptrdiff_t>(taken),
                      scores.begin() + static_cast<std::ptrdiff_t>(end), scores.end(), better);
    std::vector<MemoryId> ids;
    for (std::size_t i = taken; i < end; ++i) {
      if (scores[i].second < q.weights.min_cosine) break;
      ids.push_back(scores[i].first);
    }
    if (ids.empty()) break;
    std::unordered_map<MemoryId, float> cosine_of;
    for (std::size_t i = taken; i < taken + ids.size(); ++i) cosine_of[scores[i].first] = scores[i].second;
    ARBOR_ASSIGN_OR_RETURN(std::vector<MemoryId> ok, passing_filter(conn, ids, q, now));
    // Keep the ranking order among those that pass.
    std::sort(ok.begin(), ok.end(), [&](MemoryId a, MemoryId b) {
      return better(std::pair{a, cosine_of[a]}, std::pair{b, cosine_of[b]});
    });
    for (const MemoryId id : ok) {
      if (found == limit) break;
      out[id].cosine = cosine_of[id];
      ++found;
    }
    if (ids.size() < end - taken) break;  // the rest is below min_cosine
    taken = end;
    batch *= 4;
  }
  return Status();
}

// BM25 of candidates found by cosine only.
Status fill_bm25(Connection& conn, const std::string& match, Candidates& cands) {
  std::vector<MemoryId> ids;
  for (const auto& [id, s] : cands) {
    if (!s.bm25) ids.push_back(id);
  }
  if (ids.empty()) return Status();
  ARBOR_ASSIGN_OR_RETURN(
      Stmt stmt, conn.prepare("SELECT memories_fts.rowid, -memories_fts.rank FROM memories_fts "
                              "WHERE memories_fts MATCH ?1 AND memories_fts.rowid IN (SELECT "
                              "value FROM json_each(?2))"));
  stmt.bind(1, match).bind(2, id_list_json(ids));
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) return Status();
    auto it = cands.find(stmt.col_int(0));
    if (it != cands.end()) it->second.bm25 = stmt.col_double(1);
  }
}

}  // namespace

StatusOr<std::vector<ScoredMemory>> retrieve(Connection& conn, VectorCache& cache,
                                             const Query& q, std::int64_t now) {
  if (q.k <= 0) return std::vector<ScoredMemory>();
  const ScoreWeights& w = q.weights;
  const std::string match = fts_match_expression(q.text);
  const bool use_text = !match.empty() && w.text > 0;
  const bool use_vector = q.embedding.has_value() && w.vector > 0;
  if (!use_text && !use_vector) {
    return Status::invalid_argument(
        "the query has no word to search for and no embedding (or their weights are 0)");
  }
  const std::size_t limit =
      static_cast<std::size_t>(std::max(q.k * 4, std::max(q.min_candidates, 1)));

  std::vector<float> unit;
  std::optional<int> dim;
  if (use_vector) {
    unit = q.embedding->values;
    normalize(unit);
    ARBOR_ASSIGN_OR_RETURN(dim, cache.sync(conn, q.embedding->model));
    if (dim && *dim != static_cast<int>(unit.size())) {
      return Status::invalid_argument(
          "the query embedding of model '" + q.embedding->model + "' has " +
          std::to_string(unit.size()) + " values, the stored vectors of that model have " +
          std::to_string(*dim));
    }
  }

  Candidates cands;
  if (use_text) ARBOR_RETURN_IF_ERROR(text_candidates(conn, match, q, now, limit, cands));
  if (use_vector && dim) {
    ARBOR_RETURN_IF_ERROR(
        vector_candidates(conn, cache, q.embedding->model, unit, q, now, limit, cands));
    for (auto& [id, s] : cands) {
      if (!s.cosine) {
        if (auto c = cache.cosine(q.embedding->model, id, unit)) s.cosine = *c;
      }
    }
    if (use_text) ARBOR_RETURN_IF_ERROR(fill_bm25(conn, match, cands));
  }
  if (cands.empty()) return std::vector<ScoredMemory>();

  std::vector<MemoryId> ids;
  ids.reserve(cands.size());
  for (const auto& [id, s] : cands) ids.push_back(id);
  ARBOR_ASSIGN_OR_RETURN(Stmt rows, conn.prepare(std::string("SELECT ") + kMemoryColumns +
                                                 " FROM memories m WHERE m.id IN (SELECT value "
                                                 "FROM json_each(?1))"));
  rows.bind(1, id_list_json(ids));
  std::vector<ScoredMemory> out;
  out.reserve(ids.size());
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, rows.step());
    if (!row) break;
    ScoredMemory s;
    ARBOR_ASSIGN_OR_RETURN(s.memory, read_memory(rows));
    const Signals& sig = cands[s.memory.id];
    s.parts.bm25 = sig.bm25;
    s.parts.cosine = sig.cosine;
    if (sig.bm25) {
      const double b = std::max(0.0, *sig.bm25);
      s.parts.text = w.text * b / (b + w.bm25_half);
    }
    if (sig.cosine && *sig.cosine >= w.min_cosine) {
      s.parts.vector = w.vector * std::max(0.0, *sig.cosine);
    }
    s.parts.importance = w.importance * s.memory.importance;
    if (w.recency > 0 && w.recency_half_life_ms > 0) {
      const double age = static_cast<double>(std::max<std::int64_t>(0, now - s.memory.accessed_at));
      s.parts.recency = w.recency * std::exp2(-age / w.recency_half_life_ms);
    }
    s.score = s.parts.text + s.parts.vector + s.parts.importance + s.parts.recency;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const ScoredMemory& a, const ScoredMemory& b) {
    return a.score != b.score ? a.score > b.score : a.memory.id > b.memory.id;
  });
  if (out.size() > static_cast<std::size_t>(q.k)) out.resize(static_cast<std::size_t>(q.k));
  return out;
}

}  // namespace arbor::memory::internal
