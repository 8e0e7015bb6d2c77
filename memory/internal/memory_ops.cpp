#include "memory/internal/memory_ops.h"

#include <bit>
#include <cmath>
#include <cstring>

#include <sys/stat.h>

#include "core/json.h"
#include "core/strings.h"
#include "memory/internal/memory_sql.h"

namespace arbor::memory::internal {
namespace {

static_assert(std::endian::native == std::endian::little,
              "vectors are stored as little-endian float32 by memcpy");

Status validate(const NewMemory& m) {
  if (normalize_text(m.text).empty()) return Status::invalid_argument("memory text is empty");
  if (m.kind.empty()) return Status::invalid_argument("memory kind is empty");
  if (!(m.importance >= 0 && m.importance <= 1)) {
    return Status::invalid_argument("memory importance " + std::to_string(m.importance) +
                                    " is outside [0, 1]");
  }
  if (m.embedding) {
    if (m.embedding->model.empty()) return Status::invalid_argument("embedding has no model name");
    if (m.embedding->values.empty()) return Status::invalid_argument("embedding is empty");
    for (const float v : m.embedding->values) {
      if (!std::isfinite(v)) return Status::invalid_argument("embedding has a non-finite value");
    }
  }
  return Status();
}

std::string tags_json(const std::vector<std::string>& tags) {
  Json arr = Json::array();
  for (const std::string& t : tags) arr.push_back(t);
  return arr.dump();
}

StatusOr<std::int64_t> single_int(Connection& conn, std::string_view sql) {
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(sql));
  ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
  return row ? stmt.col_int(0) : 0;
}

Status insert_vector(Connection& conn, WriteContext& ctx, MemoryId id, const Embedding& e) {
  const auto dim = static_cast<std::int64_t>(e.values.size());
  ARBOR_ASSIGN_OR_RETURN(Stmt model, conn.prepare("INSERT INTO vector_models(name, dim) VALUES "
                                                  "(?1, ?2) ON CONFLICT(name) DO NOTHING"));
  ARBOR_RETURN_IF_ERROR(model.bind(1, e.model).bind(2, dim).run());
  ARBOR_ASSIGN_OR_RETURN(Stmt known, conn.prepare("SELECT dim FROM vector_models WHERE name = ?1"));
  known.bind(1, e.model);
  ARBOR_ASSIGN_OR_RETURN(const bool row, known.step());
  if (row && known.col_int(0) != dim) {
    return Status::invalid_argument("embedding model '" + e.model + "' has dimension " +
                                    std::to_string(known.col_int(0)) + " in " + conn.path() +
                                    ", this vector has " + std::to_string(dim));
  }
  ARBOR_ASSIGN_OR_RETURN(Stmt insert, conn.prepare("INSERT OR REPLACE INTO vectors(memory_id, "
                                                   "model, data) VALUES (?1, ?2, ?3)"));
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(e.values.data());
  ARBOR_RETURN_IF_ERROR(insert.bind(1, id)
                            .bind(2, e.model)
                            .bind_blob(3, {bytes, e.values.size() * sizeof(float)})
                            .run());
  ctx.vectors.upserts.push_back({id, e.model, e.values});
  return Status();
}

StatusOr<MemoryId> insert_memory(Connection& conn, WriteContext& ctx, const NewMemory& m) {
  if (m.episode) {
    ARBOR_ASSIGN_OR_RETURN(Stmt ep, conn.prepare("SELECT 1 FROM episodes WHERE id = ?1"));
    ep.bind(1, *m.episode);
    ARBOR_ASSIGN_OR_RETURN(const bool exists, ep.step());
    if (!exists)
      return Status::not_found("episode " + std::to_string(*m.episode) + " does not exist");
  }
  ARBOR_ASSIGN_OR_RETURN(
      Stmt insert,
      conn.prepare("INSERT INTO memories(kind, scope, text, content_hash, tags, importance, "
                   "created_at, accessed_at, expires_at, episode_id) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)"));
  insert.bind(1, m.kind)
      .bind(2, m.scope)
      .bind(3, trim(m.text))
      .bind(4, content_hash(m.text))
      .bind(5, tags_json(m.tags))
      .bind(6, m.importance)
      .bind(7, ctx.now_ms);
  if (m.expires_at) insert.bind(8, *m.expires_at);
  if (m.episode) insert.bind(9, *m.episode);
  ARBOR_RETURN_IF_ERROR(insert.run());
  const MemoryId id = conn.last_insert_id();
  if (m.embedding) ARBOR_RETURN_IF_ERROR(insert_vector(conn, ctx, id, *m.embedding));
  return id;
}

// `ids` and, recursively, every memory whose superseded_by points into the set.
StatusOr<std::vector<MemoryId>> with_predecessors(Connection& conn,
                                                  const std::vector<MemoryId>& ids) {
  ARBOR_ASSIGN_OR_RETURN(
      Stmt stmt,
      conn.prepare("WITH RECURSIVE chain(id) AS ("
                   " SELECT id FROM memories WHERE id IN (SELECT value FROM json_each(?1))"
                   " UNION SELECT m.id FROM memories m JOIN chain c ON m.superseded_by = c.id)"
                   " SELECT id FROM chain"));
  stmt.bind(1, id_list_json(ids));
  std::vector<MemoryId> out;
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) break;
    out.push_back(stmt.col_int(0));
  }
  return out;
}

StatusOr<std::vector<MemoryId>> ids_of(Connection& conn, const std::string& sql,
                                       const SqlParams& params) {
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(sql));
  params.bind_all(stmt);
  std::vector<MemoryId> out;
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) break;
    out.push_back(stmt.col_int(0));
  }
  return out;
}

Status merge_fts(Connection& conn) {
  return conn.exec("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')");
}

std::int64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

StatusOr<std::vector<Memory>> read_memories(Stmt& stmt) {
  std::vector<Memory> out;
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) break;
    ARBOR_ASSIGN_OR_RETURN(Memory m, read_memory(stmt));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

// ---- writes --------------------------------------------------------------------------------

StatusOr<AddResult> add_memory(Connection& conn, WriteContext& ctx, const NewMemory& m) {
  ARBOR_RETURN_IF_ERROR(validate(m));
  const std::int64_t hash = content_hash(m.text);
  ARBOR_ASSIGN_OR_RETURN(
      Stmt dup, conn.prepare("SELECT id, text FROM memories WHERE content_hash = ?1 AND kind = ?2 "
                             "AND scope = ?3 AND superseded_by IS NULL AND (expires_at IS NULL "
                             "OR expires_at > ?4)"));
  dup.bind(1, hash).bind(2, m.kind).bind(3, m.scope).bind(4, ctx.now_ms);
  const std::string normalized = normalize_text(m.text);
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, dup.step());
    if (!row) break;
    if (normalize_text(dup.col_text(1)) == normalized) return AddResult{dup.col_int(0), false};
  }
  ARBOR_ASSIGN_OR_RETURN(const MemoryId id, insert_memory(conn, ctx, m));
  return AddResult{id, true};
}

StatusOr<MemoryId> supersede_memory(Connection& conn, WriteContext& ctx, MemoryId old_id,
                                    const NewMemory& replacement) {
  ARBOR_RETURN_IF_ERROR(validate(replacement));
  ARBOR_ASSIGN_OR_RETURN(Stmt old,
                         conn.prepare("SELECT superseded_by FROM memories WHERE id = ?1"));
  old.bind(1, old_id);
  ARBOR_ASSIGN_OR_RETURN(const bool exists, old.step());
  if (!exists) return Status::not_found("memory " + std::to_string(old_id) + " does not exist");
  if (!old.is_null(0)) {
    return Status::failed_precondition("memory " + std::to_string(old_id) +
                                       " was already superseded by memory " +
                                       std::to_string(old.col_int(0)));
  }
  ARBOR_ASSIGN_OR_RETURN(const MemoryId id, insert_memory(conn, ctx, replacement));
  ARBOR_ASSIGN_OR_RETURN(Stmt link,
                         conn.prepare("UPDATE memories SET superseded_by = ?1 WHERE id = ?2"));
  ARBOR_RETURN_IF_ERROR(link.bind(1, id).bind(2, old_id).run());
  return id;
}

Status update_memory(Connection& conn, WriteContext& /*ctx*/, MemoryId id, const MemoryUpdate& u) {
  std::string sets;
  SqlParams params;
  if (u.importance) {
    if (!(*u.importance >= 0 && *u.importance <= 1)) {
      return Status::invalid_argument("memory importance " + std::to_string(*u.importance) +
                                      " is outside [0, 1]");
    }
    sets += "importance = ?";
    params.add(*u.importance);
  }
  if (u.tags) {
    sets += std::string(sets.empty() ? "" : ", ") + "tags = ?";
    params.add(tags_json(*u.tags));
  }
  if (u.expires_at) {
    sets += std::string(sets.empty() ? "" : ", ") + "expires_at = ";
    if (*u.expires_at) {
      sets += "?";
      params.add(**u.expires_at);
    } else {
      sets += "NULL";
    }
  }
  if (sets.empty()) return Status();
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare("UPDATE memories SET " + sets + " WHERE id = ?"));
  const int next = params.bind_all(stmt);
  stmt.bind(next, id);
  ARBOR_RETURN_IF_ERROR(stmt.run());
  if (conn.changes() == 0)
    return Status::not_found("memory " + std::to_string(id) + " does not exist");
  return Status();
}

Status touch_memories(Connection& conn, WriteContext& ctx, const std::vector<MemoryId>& ids) {
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare("UPDATE memories SET accessed_at = ?1 WHERE id "
                                                 "IN (SELECT value FROM json_each(?2))"));
  return stmt.bind(1, ctx.now_ms).bind(2, id_list_json(ids)).run();
}

StatusOr<std::int64_t> erase_memories(Connection& conn, WriteContext& ctx,
                                      const std::vector<MemoryId>& ids, bool purge) {
  if (ids.empty()) return 0;
  ARBOR_ASSIGN_OR_RETURN(const std::vector<MemoryId> all, with_predecessors(conn, ids));
  if (all.empty()) return 0;
  ARBOR_ASSIGN_OR_RETURN(
      Stmt del, conn.prepare("DELETE FROM memories WHERE id IN (SELECT value FROM json_each(?1))"));
  ARBOR_RETURN_IF_ERROR(del.bind(1, id_list_json(all)).run());
  const std::int64_t n = conn.changes();
  ctx.vectors.erased.insert(ctx.vectors.erased.end(), all.begin(), all.end());
  if (purge) ARBOR_RETURN_IF_ERROR(merge_fts(conn));
  return n;
}

StatusOr<std::int64_t> erase_scope(Connection& conn, WriteContext& ctx, const std::string& scope,
                                   bool purge) {
  SqlParams params;
  params.add(scope);
  ARBOR_ASSIGN_OR_RETURN(const std::vector<MemoryId> ids,
                         ids_of(conn, "SELECT id FROM memories WHERE scope = ?", params));
  return erase_memories(conn, ctx, ids, purge);
}

StatusOr<std::int64_t> apply_retention(Connection& conn, WriteContext& ctx,
                                       const RetentionPolicy& policy) {
  if (policy.keep_last < 0) {
    return Status::invalid_argument("retention keep_last " + std::to_string(policy.keep_last) +
                                    " is negative");
  }
  SqlParams params;
  std::string sql =
      "SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY scope ORDER BY created_at "
      "DESC, id DESC) AS rn FROM memories WHERE superseded_by IS NULL";
  if (!policy.scopes.empty()) {
    sql += " AND scope IN (";
    for (std::size_t i = 0; i < policy.scopes.size(); ++i) {
      sql += i ? ", ?" : "?";
      params.add(policy.scopes[i]);
    }
    sql += ")";
  }
  sql += ") WHERE rn > ?";
  params.add(policy.keep_last);
  ARBOR_ASSIGN_OR_RETURN(const std::vector<MemoryId> ids, ids_of(conn, sql, params));
  return erase_memories(conn, ctx, ids, /*purge=*/false);
}

StatusOr<std::int64_t> compact_rows(Connection& conn, WriteContext& ctx,
                                    const CompactOptions& options) {
  std::vector<MemoryId> ids;
  if (options.drop_expired) {
    SqlParams params;
    params.add(ctx.now_ms);
    ARBOR_ASSIGN_OR_RETURN(ids, ids_of(conn,
                                       "SELECT id FROM memories WHERE expires_at IS NOT NULL AND "
                                       "expires_at <= ?",
                                       params));
  }
  if (options.drop_superseded_before) {
    SqlParams params;
    params.add(*options.drop_superseded_before);
    ARBOR_ASSIGN_OR_RETURN(
        const std::vector<MemoryId> old,
        ids_of(conn,
               "SELECT o.id FROM memories o JOIN memories n ON n.id = o.superseded_by "
               "WHERE n.created_at < ?",
               params));
    ids.insert(ids.end(), old.begin(), old.end());
  }
  ARBOR_ASSIGN_OR_RETURN(const std::int64_t n, erase_memories(conn, ctx, ids, /*purge=*/false));
  ARBOR_RETURN_IF_ERROR(merge_fts(conn));
  return n;
}

Status compact_file(Connection& conn, bool vacuum) {
  ARBOR_RETURN_IF_ERROR(conn.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  if (vacuum) {
    ARBOR_RETURN_IF_ERROR(conn.exec("VACUUM"));
    ARBOR_RETURN_IF_ERROR(conn.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  return Status();
}

// ---- reads ---------------------------------------------------------------------------------

StatusOr<std::optional<Memory>> get_memory(Connection& conn, MemoryId id) {
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(std::string("SELECT ") + kMemoryColumns +
                                                 " FROM memories m WHERE m.id = ?1"));
  stmt.bind(1, id);
  ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
  if (!row) return std::optional<Memory>();
  ARBOR_ASSIGN_OR_RETURN(Memory m, read_memory(stmt));
  return std::optional<Memory>(std::move(m));
}

StatusOr<std::vector<Memory>> recent_memories(Connection& conn, const MemoryFilter& filter, int n,
                                              std::int64_t now) {
  SqlParams params;
  const std::string sql = std::string("SELECT ") + kMemoryColumns + " FROM memories m WHERE " +
                          filter_sql(filter, now, params) +
                          " ORDER BY m.created_at DESC, m.id DESC LIMIT ?";
  params.add(static_cast<std::int64_t>(std::max(n, 0)));
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(sql));
  params.bind_all(stmt);
  return read_memories(stmt);
}

StatusOr<std::vector<ScoredMemory>> important_memories(Connection& conn, const MemoryFilter& filter,
                                                       int n, const ScoreWeights& weights,
                                                       std::int64_t now) {
  if (weights.importance <= 0 && weights.recency <= 0) {
    return Status::invalid_argument("recall needs a positive importance or recency weight");
  }
  SqlParams params;
  params.add(weights.importance);
  params.add(weights.recency);
  params.add(now);
  params.add(weights.recency_half_life_ms);
  std::string sql = std::string("SELECT ") + kMemoryColumns +
                    ", ? * m.importance AS ip, ? * arbor_decay(? - m.accessed_at, ?) AS rp "
                    "FROM memories m WHERE " +
                    filter_sql(filter, now, params) + " ORDER BY ip + rp DESC, m.id DESC LIMIT ?";
  params.add(static_cast<std::int64_t>(std::max(n, 0)));
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(sql));
  params.bind_all(stmt);
  std::vector<ScoredMemory> out;
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) break;
    ScoredMemory s;
    ARBOR_ASSIGN_OR_RETURN(s.memory, read_memory(stmt));
    s.parts.importance = stmt.col_double(11);
    s.parts.recency = stmt.col_double(12);
    s.score = s.parts.importance + s.parts.recency;
    out.push_back(std::move(s));
  }
  return out;
}

StatusOr<std::vector<Memory>> scan_memories(Connection& conn, MemoryId after_id, int limit) {
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(std::string("SELECT ") + kMemoryColumns +
                                                 " FROM memories m WHERE m.id > ?1 ORDER BY "
                                                 "m.id LIMIT ?2"));
  stmt.bind(1, after_id).bind(2, static_cast<std::int64_t>(std::max(limit, 0)));
  return read_memories(stmt);
}

StatusOr<StoreStats> read_stats(Connection& conn, int schema_version, std::int64_t now) {
  StoreStats s;
  s.schema_version = schema_version;
  ARBOR_ASSIGN_OR_RETURN(s.memories, single_int(conn, "SELECT count(*) FROM memories"));
  ARBOR_ASSIGN_OR_RETURN(
      s.superseded,
      single_int(conn, "SELECT count(*) FROM memories WHERE superseded_by IS NOT NULL"));
  {
    ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare("SELECT count(*) FROM memories WHERE "
                                                   "superseded_by IS NULL AND expires_at <= ?1"));
    stmt.bind(1, now);
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    s.expired = row ? stmt.col_int(0) : 0;
  }
  s.active = s.memories - s.superseded - s.expired;
  const auto group = [&](const std::string& sql,
                         std::map<std::string, std::int64_t>& out) -> Status {
    ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare(sql));
    if (sql.find("?1") != std::string::npos) stmt.bind(1, now);
    while (true) {
      ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
      if (!row) return Status();
      out[stmt.col_string(0)] = stmt.col_int(1);
    }
  };
  constexpr const char* kActive =
      "FROM memories WHERE superseded_by IS NULL AND (expires_at IS NULL OR expires_at > ?1)";
  ARBOR_RETURN_IF_ERROR(
      group(std::string("SELECT kind, count(*) ") + kActive + " GROUP BY kind", s.by_kind));
  ARBOR_RETURN_IF_ERROR(
      group(std::string("SELECT scope, count(*) ") + kActive + " GROUP BY scope", s.by_scope));
  ARBOR_RETURN_IF_ERROR(group("SELECT model, count(*) FROM vectors GROUP BY model", s.vectors));
  ARBOR_ASSIGN_OR_RETURN(s.runs, single_int(conn, "SELECT count(*) FROM runs"));
  ARBOR_ASSIGN_OR_RETURN(s.episodes, single_int(conn, "SELECT count(*) FROM episodes"));
  ARBOR_ASSIGN_OR_RETURN(s.steps, single_int(conn, "SELECT count(*) FROM steps"));
  ARBOR_ASSIGN_OR_RETURN(s.results, single_int(conn, "SELECT count(*) FROM problem_results"));
  s.file_bytes = file_size(conn.path());
  s.wal_bytes = file_size(conn.path() + "-wal");
  return s;
}

StatusOr<std::string> check_integrity(Connection& conn, bool with_fts) {
  std::string out;
  {
    ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare("PRAGMA integrity_check"));
    while (true) {
      StatusOr<bool> row = stmt.step();
      if (!row.ok()) {
        // Damage bad enough to stop the check is itself its finding.
        if (row.status().code() != StatusCode::kDataLoss) return row.status();
        out += (out.empty() ? "" : "\n") + row.status().message();
        return out;
      }
      if (!*row) break;
      if (!out.empty()) out += "\n";
      out += stmt.col_text(0);
    }
  }
  {
    // term_docs must count what FTS5 counts (its triggers keep it so).
    const StatusOr<std::int64_t> differ =
        single_int(conn,
                   "SELECT (SELECT count(*) FROM (SELECT term, doc FROM memories_vocab "
                   "EXCEPT SELECT term, docs FROM term_docs)) + (SELECT count(*) FROM "
                   "(SELECT term, docs FROM term_docs EXCEPT SELECT term, doc FROM "
                   "memories_vocab))");
    if (!differ.ok() && differ.status().code() != StatusCode::kDataLoss) return differ.status();
    if (!differ.ok() || *differ != 0) {
      out = (out == "ok" ? "" : out + "\n") + "term_docs: " +
            (differ.ok() ? std::to_string(*differ) + " terms differ from the FTS index"
                         : differ.status().message());
    }
  }
  if (with_fts) {
    // Compares the FTS5 index with the memories table (rank 1: the external content too).
    const Status fts =
        conn.exec("INSERT INTO memories_fts(memories_fts, rank) VALUES ('integrity-check', 1)");
    if (!fts.ok()) {
      if (fts.code() != StatusCode::kDataLoss) return fts;
      out = (out == "ok" ? "" : out + "\n") + "memories_fts: " + fts.message();
    }
  }
  return out;
}

}  // namespace arbor::memory::internal
