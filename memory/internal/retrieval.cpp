#include "memory/internal/retrieval.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include <unordered_map>

#include "memory/internal/fts.h"
#include "memory/internal/memory_sql.h"

namespace arbor::memory::internal {
namespace {

struct Signals {
  std::optional<double> bm25;
  std::optional<double> cosine;
  bool bm25_exact = false;  // computed with every query word
};
using Candidates = std::unordered_map<MemoryId, Signals>;

void add_docs(SqlParams& params, const std::vector<QueryTerm>& terms) {
  for (const QueryTerm& t : terms) params.add(t.docs);
}

// Text candidates (see retrieval.h).
Status text_candidates(Connection& conn, const std::vector<QueryTerm>& terms, const Query& q,
                       std::int64_t now, std::size_t limit, Candidates& out) {
  std::vector<QueryTerm> by_docs = terms;
  std::stable_sort(by_docs.begin(), by_docs.end(),
                   [](const QueryTerm& a, const QueryTerm& b) { return a.docs < b.docs; });
  std::vector<QueryTerm> ranked;
  std::vector<QueryTerm> rest;
  std::int64_t matches = 0;
  for (QueryTerm& t : by_docs) {
    const bool fits = q.text_scan_budget <= 0 || matches + t.docs <= q.text_scan_budget;
    if (fits && rest.empty()) {
      matches += t.docs;
      ranked.push_back(std::move(t));
    } else {
      rest.push_back(std::move(t));
    }
  }
  std::size_t found = 0;
  if (!ranked.empty()) {
    SqlParams params;
    add_docs(params, ranked);
    params.add(match_expression(ranked));
    const std::string sql = "SELECT m.id, " + bm25_call(ranked.size()) +
                            " AS s FROM memories_fts JOIN memories m ON m.id = "
                            "memories_fts.rowid WHERE memories_fts MATCH ? AND " +
                            filter_sql(q.filter, now, params) +
                            " ORDER BY s DESC, m.id DESC LIMIT ?";
    params.add(static_cast<std::int64_t>(limit));
    ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(sql));
    params.bind_all(stmt);
    while (true) {
      ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
      if (!row) break;
      Signals& s = out[stmt.col_int(0)];
      s.bm25 = stmt.col_double(1);
      s.bm25_exact = rest.empty();
      ++found;
    }
  }
  if (found < limit && !rest.empty()) {
    // Too few from the rare words: rank the newest `budget` matches of all words instead.
    std::vector<QueryTerm> all = ranked;
    all.insert(all.end(), rest.begin(), rest.end());
    SqlParams params;
    add_docs(params, all);
    params.add(match_expression(all));
    const std::string sql = "SELECT m.id, " + bm25_call(all.size()) +
                            " FROM memories_fts JOIN memories m ON m.id = memories_fts.rowid "
                            "WHERE memories_fts MATCH ? AND " +
                            filter_sql(q.filter, now, params) +
                            " ORDER BY memories_fts.rowid DESC LIMIT ?";
    params.add(static_cast<std::int64_t>(std::max(q.text_scan_budget, 1)));
    ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(sql));
    params.bind_all(stmt);
    std::vector<std::pair<double, MemoryId>> window;
    while (true) {
      ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
      if (!row) break;
      window.emplace_back(stmt.col_double(1), stmt.col_int(0));
    }
    std::sort(window.begin(), window.end(), std::greater<>());
    for (const auto& [score, id] : window) {
      if (found >= limit) break;
      Signals& sig = out[id];
      if (!sig.bm25) ++found;
      sig.bm25 = score;
      sig.bm25_exact = true;
    }
  }
  return Status();
}

// The cosine of every candidate that has a vector of `model`, from the stored fp32 vector
// (the cache's fp16 cosines only chose the candidates).
Status exact_cosines(Connection& conn, const std::string& model, std::span<const float> unit,
                     Candidates& cands) {
  std::vector<MemoryId> ids;
  ids.reserve(cands.size());
  for (auto& [id, s] : cands) {
    s.cosine.reset();
    ids.push_back(id);
  }
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt,
                         conn.prepare("SELECT memory_id, data FROM vectors WHERE model = ?1 AND "
                                      "memory_id IN (SELECT value FROM json_each(?2))"));
  stmt.bind(1, model).bind(2, id_list_json(ids));
  std::vector<float> v(unit.size());
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) return Status();
    const auto blob = stmt.col_blob(1);
    if (blob.size() != v.size() * sizeof(float)) continue;  // the dimension was checked on insert
    std::memcpy(v.data(), blob.data(), blob.size());
    normalize(v);
    double dot = 0;
    for (std::size_t i = 0; i < v.size(); ++i) dot += static_cast<double>(v[i]) * unit[i];
    cands[stmt.col_int(0)].cosine = dot;
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
    for (std::size_t i = taken; i < taken + ids.size(); ++i)
      cosine_of[scores[i].first] = scores[i].second;
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

}  // namespace

StatusOr<std::vector<ScoredMemory>> retrieve(Connection& conn, VectorCache& cache, const Query& q,
                                             std::int64_t now) {
  if (q.k <= 0) return std::vector<ScoredMemory>();
  const ScoreWeights& w = q.weights;
  std::vector<QueryTerm> terms;
  bool has_words = false;
  if (!q.text.empty()) {
    ARBOR_ASSIGN_OR_RETURN(terms, query_terms(conn, q.text));
    has_words = !terms.empty();
    // Words that no memory contains cannot match; they are left out of the expression.
    std::erase_if(terms, [](const QueryTerm& t) { return t.docs == 0; });
  }
  const bool use_text = !terms.empty() && w.text > 0;
  const bool use_vector = q.embedding.has_value() && w.vector > 0;
  if (!has_words && !use_vector) {
    return Status::invalid_argument(
        "the query has no word to search for and no embedding (or its weight is 0)");
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
      return Status::invalid_argument("the query embedding of model '" + q.embedding->model +
                                      "' has " + std::to_string(unit.size()) +
                                      " values, the stored vectors of that model have " +
                                      std::to_string(*dim));
    }
  }

  Candidates cands;
  if (use_text) ARBOR_RETURN_IF_ERROR(text_candidates(conn, terms, q, now, limit, cands));
  if (use_vector && dim) {
    ARBOR_RETURN_IF_ERROR(
        vector_candidates(conn, cache, q.embedding->model, unit, q, now, limit, cands));
    ARBOR_RETURN_IF_ERROR(exact_cosines(conn, q.embedding->model, unit, cands));
  }
  if (cands.empty()) return std::vector<ScoredMemory>();

  std::vector<MemoryId> ids;
  ids.reserve(cands.size());
  for (const auto& [id, s] : cands) ids.push_back(id);
  ARBOR_ASSIGN_OR_RETURN(Stmt rows, conn.prepare(std::string("SELECT ") + kMemoryColumns +
                                                 " FROM memories m WHERE m.id IN (SELECT value "
                                                 "FROM json_each(?1))"));
  rows.bind(1, id_list_json(ids));
  // BM25 over every query word for the candidates not ranked with all of them (cosine
  // candidates, text candidates of the rare words), from their stored text: see fts.h.
  std::optional<Bm25Scorer> scorer;
  std::vector<ScoredMemory> out;
  out.reserve(ids.size());
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, rows.step());
    if (!row) break;
    ScoredMemory s;
    ARBOR_ASSIGN_OR_RETURN(s.memory, read_memory(rows));
    Signals& sig = cands[s.memory.id];
    if (use_text && !sig.bm25_exact) {
      if (!scorer) {
        ARBOR_ASSIGN_OR_RETURN(const FtsTokenizer* tokenizer, tokenizer_of(conn));
        ARBOR_ASSIGN_OR_RETURN(const FtsTotals totals, fts_totals(conn, terms.front()));
        scorer.emplace(*tokenizer, terms, totals);
      }
      // Columns 3 and 4 of kMemoryColumns: the text and the tags as stored.
      ARBOR_ASSIGN_OR_RETURN(sig.bm25, scorer->score(rows.col_text(3), rows.col_text(4)));
      sig.bm25_exact = true;
    }
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
