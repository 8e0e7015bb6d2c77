#include "memory/internal/memory_sql.h"

#include <set>

#include "core/json.h"

namespace arbor::memory::internal {

const char* const kMemoryColumns =
    "m.id, m.kind, m.scope, m.text, m.tags, m.importance, m.created_at, m.accessed_at, "
    "m.expires_at, m.superseded_by, m.episode_id";

int SqlParams::bind_all(Stmt& stmt, int first) const {
  int i = first;
  for (const auto& v : values_) {
    std::visit([&](const auto& x) { stmt.bind(i, x); }, v);
    ++i;
  }
  return i;
}

StatusOr<Memory> read_memory(const Stmt& stmt, int first) {
  Memory m;
  m.id = stmt.col_int(first + 0);
  m.kind = stmt.col_string(first + 1);
  m.scope = stmt.col_string(first + 2);
  m.text = stmt.col_string(first + 3);
  ARBOR_ASSIGN_OR_RETURN(Json tags, parse_json(stmt.col_text(first + 4), "memories.tags"));
  if (!tags.is_array()) {
    return Status::data_loss("memory " + std::to_string(m.id) + ": tags are not a JSON array");
  }
  for (const Json& t : tags) {
    if (t.is_string()) m.tags.push_back(t.get<std::string>());
  }
  m.importance = stmt.col_double(first + 5);
  m.created_at = stmt.col_int(first + 6);
  m.accessed_at = stmt.col_int(first + 7);
  if (!stmt.is_null(first + 8)) m.expires_at = stmt.col_int(first + 8);
  if (!stmt.is_null(first + 9)) m.superseded_by = stmt.col_int(first + 9);
  if (!stmt.is_null(first + 10)) m.episode = stmt.col_int(first + 10);
  return m;
}

std::string filter_sql(const MemoryFilter& filter, std::int64_t now, SqlParams& params) {
  std::string sql = "1";
  const auto in_list = [&](const char* column, const std::vector<std::string>& values) {
    sql += std::string(" AND ") + column + " IN (";
    for (std::size_t i = 0; i < values.size(); ++i) {
      sql += i ? ", ?" : "?";
      params.add(values[i]);
    }
    sql += ")";
  };
  if (!filter.include_superseded) sql += " AND m.superseded_by IS NULL";
  if (!filter.include_expired) {
    sql += " AND (m.expires_at IS NULL OR m.expires_at > ?)";
    params.add(now);
  }
  if (!filter.kinds.empty()) in_list("m.kind", filter.kinds);
  if (!filter.scopes.empty()) in_list("m.scope", filter.scopes);
  if (!filter.tags.empty()) {
    const std::set<std::string> distinct(filter.tags.begin(), filter.tags.end());
    sql += " AND (SELECT count(DISTINCT value) FROM json_each(m.tags) WHERE value IN (";
    std::size_t i = 0;
    for (const std::string& t : distinct) {
      sql += i++ ? ", ?" : "?";
      params.add(t);
    }
    sql += ")) = " + std::to_string(distinct.size());
  }
  if (filter.created_after) {
    sql += " AND m.created_at > ?";
    params.add(*filter.created_after);
  }
  if (filter.created_before) {
    sql += " AND m.created_at < ?";
    params.add(*filter.created_before);
  }
  return sql;
}

std::string id_list_json(const std::vector<MemoryId>& ids) {
  std::string s = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(ids[i]);
  }
  return s + "]";
}

std::string normalize_text(std::string_view text) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

std::int64_t content_hash(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : normalize_text(text)) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return static_cast<std::int64_t>(h);
}

}  // namespace arbor::memory::internal
