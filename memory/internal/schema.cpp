#include "memory/internal/schema.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "memory/internal/fts.h"

namespace arbor::memory::internal {
namespace {

// Version 1: memories with their FTS5 index and vectors, episodes and steps, runs with their
// per-problem results and search trees.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('vector_epoch', 0);

CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  config_hash TEXT NOT NULL,
  config_json TEXT NOT NULL CHECK (json_valid(config_json)),
  created_at INTEGER NOT NULL
);

CREATE TABLE episodes(
  id INTEGER PRIMARY KEY,
  run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  problem TEXT NOT NULL,
  env TEXT NOT NULL,
  task TEXT NOT NULL,
  info_json TEXT NOT NULL CHECK (json_valid(info_json)),
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'abandoned')),
  outcome_json TEXT CHECK (outcome_json IS NULL OR json_valid(outcome_json)),
  started_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX episodes_by_run ON episodes(run_id, status);

-- Trajectories are append-only: steps are never updated, and only a running episode grows.
CREATE TABLE steps(
  episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  action TEXT NOT NULL,
  observation TEXT NOT NULL,
  reward REAL NOT NULL,
  info_json TEXT NOT NULL CHECK (json_valid(info_json)),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (episode_id, idx)
);
CREATE TRIGGER steps_append_only BEFORE UPDATE ON steps
BEGIN
  SELECT RAISE(ABORT, 'steps are append-only');
END;
CREATE TRIGGER steps_only_running BEFORE INSERT ON steps
WHEN (SELECT status FROM episodes WHERE id = new.episode_id) IS NOT 'running'
BEGIN
  SELECT RAISE(ABORT, 'steps can only be appended to a running episode');
END;

CREATE TABLE memories(
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  scope TEXT NOT NULL,
  text TEXT NOT NULL,
  content_hash INTEGER NOT NULL,
  tags TEXT NOT NULL CHECK (json_valid(tags)),
  importance REAL NOT NULL,
  created_at INTEGER NOT NULL,
  accessed_at INTEGER NOT NULL,
  expires_at INTEGER,
  superseded_by INTEGER REFERENCES memories(id),
  episode_id INTEGER REFERENCES episodes(id) ON DELETE SET NULL
);
CREATE INDEX memories_by_scope ON memories(scope, created_at);
CREATE INDEX memories_by_hash ON memories(content_hash);
CREATE INDEX memories_by_superseded_by ON memories(superseded_by);
CREATE INDEX memories_by_episode ON memories(episode_id);

-- External-content FTS5 index over memories(text, tags), kept in sync by triggers.
CREATE VIRTUAL TABLE memories_fts USING fts5(
  text, tags, content='memories', content_rowid='id', tokenize='porter unicode61');
-- FTS5's own view of its terms and their document counts (integrity checks compare it with
-- term_docs; counting through it walks each term's whole doclist).
CREATE VIRTUAL TABLE memories_vocab USING fts5vocab(memories_fts, row);
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories
BEGIN
  INSERT INTO memories_fts(rowid, text, tags) VALUES (new.id, new.text, new.tags);
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories
BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, text, tags)
    VALUES ('delete', old.id, old.text, old.tags);
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, tags ON memories
BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, text, tags)
    VALUES ('delete', old.id, old.text, old.tags);
  INSERT INTO memories_fts(rowid, text, tags) VALUES (new.id, new.text, new.tags);
END;

-- How many memories contain each term (in text or tags), as BM25's idf needs it: a primary
-- key lookup instead of a walk over the term's doclist. arbor_tokens() tokenizes exactly as
-- memories_fts does, so these triggers keep it equal to memories_vocab; a connection without
-- that function (e.g. the sqlite3 shell) cannot change memories, which keeps them equal.
CREATE TABLE term_docs(
  term TEXT PRIMARY KEY,
  docs INTEGER NOT NULL CHECK (docs > 0)
) WITHOUT ROWID;
CREATE TRIGGER term_docs_insert AFTER INSERT ON memories
BEGIN
  INSERT INTO term_docs(term, docs)
    SELECT value, 1 FROM json_each(arbor_tokens(new.text, new.tags)) WHERE 1
    ON CONFLICT(term) DO UPDATE SET docs = docs + 1;
END;
CREATE TRIGGER term_docs_delete AFTER DELETE ON memories
BEGIN
  DELETE FROM term_docs WHERE docs = 1 AND term IN
    (SELECT value FROM json_each(arbor_tokens(old.text, old.tags)));
  UPDATE term_docs SET docs = docs - 1 WHERE term IN
    (SELECT value FROM json_each(arbor_tokens(old.text, old.tags)));
END;
CREATE TRIGGER term_docs_update AFTER UPDATE OF text, tags ON memories
BEGIN
  DELETE FROM term_docs WHERE docs = 1 AND term IN
    (SELECT value FROM json_each(arbor_tokens(old.text, old.tags)));
  UPDATE term_docs SET docs = docs - 1 WHERE term IN
    (SELECT value FROM json_each(arbor_tokens(old.text, old.tags)));
  INSERT INTO term_docs(term, docs)
    SELECT value, 1 FROM json_each(arbor_tokens(new.text, new.tags)) WHERE 1
    ON CONFLICT(term) DO UPDATE SET docs = docs + 1;
END;

-- float32 little-endian vectors; every vector of a model has the model's dimension.
CREATE TABLE vector_models(
  name TEXT PRIMARY KEY,
  dim INTEGER NOT NULL CHECK (dim > 0)
) WITHOUT ROWID;
CREATE TABLE vectors(
  memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
  model TEXT NOT NULL REFERENCES vector_models(name),
  data BLOB NOT NULL,
  PRIMARY KEY (memory_id, model)
);
CREATE INDEX vectors_by_model ON vectors(model);
CREATE TRIGGER vectors_dimension BEFORE INSERT ON vectors
WHEN length(new.data) != 4 * (SELECT dim FROM vector_models WHERE name = new.model)
BEGIN
  SELECT RAISE(ABORT, 'vector dimension differs from its model''s');
END;

-- One row per finished problem or episode of a run; its presence is what resume skips.
CREATE TABLE problem_results(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  problem TEXT NOT NULL,
  episode_id INTEGER REFERENCES episodes(id) ON DELETE SET NULL,
  result_json TEXT NOT NULL CHECK (json_valid(result_json)),
  finished_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, problem)
);
CREATE TABLE search_trees(
  run_id INTEGER NOT NULL,
  problem TEXT NOT NULL,
  tree_json TEXT NOT NULL CHECK (json_valid(tree_json)),
  PRIMARY KEY (run_id, problem),
  FOREIGN KEY (run_id, problem) REFERENCES problem_results(run_id, problem) ON DELETE CASCADE
);
)sql";

constexpr Migration kMigrations[] = {
    {1, "memories, FTS5, vectors, episodes, steps, runs, results, trees", kSchemaV1},
};

// arbor_decay(age_ms, half_life_ms) = 0.5 ^ (max(age, 0) / half_life): the recency signal.
void decay_function(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  const double age = std::max(0.0, sqlite3_value_double(argv[0]));
  const double half_life = sqlite3_value_double(argv[1]);
  sqlite3_result_double(ctx, half_life > 0 ? std::exp2(-age / half_life) : 0.0);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StatusOr<std::vector<std::string>> table_names(Connection& conn) {
  ARBOR_ASSIGN_OR_RETURN(
      Stmt stmt, conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT "
                              "LIKE 'sqlite_%' ORDER BY name"));
  std::vector<std::string> names;
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
    if (!row) break;
    names.push_back(stmt.col_string(0));
  }
  return names;
}

StatusOr<int> stored_version(Connection& conn) {
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt,
                         conn.prepare("SELECT coalesce(max(version), 0) FROM arbor_schema"));
  ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
  return row ? static_cast<int>(stmt.col_int(0)) : 0;
}

Status enable_wal(Connection& conn) {
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare("PRAGMA journal_mode = WAL"));
  ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
  const std::string mode = row ? stmt.col_string(0) : "";
  if (mode != "wal") {
    return Status::failed_precondition(conn.path() +
                                       ": cannot switch the database to WAL mode "
                                       "(journal mode stays '" +
                                       mode + "')");
  }
  return Status();
}

Status apply_migrations(Connection& conn, std::span<const Migration> list) {
  return with_write_transaction(conn, [&]() -> Status {
    ARBOR_RETURN_IF_ERROR(
        conn.exec("CREATE TABLE IF NOT EXISTS arbor_schema(version INTEGER PRIMARY KEY, "
                  "description TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
    // Read again inside the write lock: another process may have migrated meanwhile.
    ARBOR_ASSIGN_OR_RETURN(const int current, stored_version(conn));
    const int latest = list.empty() ? 0 : list.back().version;
    if (current > latest) {
      return Status::failed_precondition(
          conn.path() + ": schema version " + std::to_string(current) +
          " is newer than this build of arbor understands (" + std::to_string(latest) +
          "); the database was not modified, open it with a newer arbor");
    }
    for (const Migration& m : list) {
      if (m.version <= current) continue;
      ARBOR_RETURN_IF_ERROR(conn.exec(m.sql).with_context("migration to schema version " +
                                                          std::to_string(m.version)));
      ARBOR_ASSIGN_OR_RETURN(
          Stmt insert, conn.prepare("INSERT INTO arbor_schema(version, description, applied_at) "
                                    "VALUES (?1, ?2, ?3)"));
      ARBOR_RETURN_IF_ERROR(
          insert.bind(1, m.version).bind(2, m.description).bind(3, now_ms()).run());
    }
    return Status();
  });
}

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

Status configure_connection(Connection& conn, bool writer, std::int64_t max_bytes) {
  const int rc =
      sqlite3_create_function(conn.raw(), "arbor_decay", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                              nullptr, decay_function, nullptr, nullptr);
  if (rc != SQLITE_OK) return conn.error(rc, "registering arbor_decay()");
  // Reads go through a memory map (no read() call per page) and a 32 MB page cache: a query
  // touches thousands of rows of the memories table and the FTS index.
  ARBOR_RETURN_IF_ERROR(
      conn.exec("PRAGMA foreign_keys = ON; PRAGMA mmap_size = 1073741824; "
                "PRAGMA cache_size = -32768"));
  ARBOR_RETURN_IF_ERROR(register_fts_functions(conn));
  if (!writer) return Status();
  // In WAL mode NORMAL loses no committed transaction when the process dies; only a power
  // loss can roll back the last ones. secure_delete overwrites deleted content in the file.
  ARBOR_RETURN_IF_ERROR(
      conn.exec("PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON; "
                "PRAGMA journal_size_limit = 67108864"));
  if (max_bytes > 0) {
    // max_page_count never shrinks below the current size, so a full database stays readable.
    const std::int64_t pages = std::max<std::int64_t>(1, max_bytes / 4096);
    ARBOR_RETURN_IF_ERROR(conn.exec("PRAGMA max_page_count = " + std::to_string(pages)));
  }
  return Status();
}

StatusOr<int> open_schema(Connection& conn, const SchemaOptions& options,
                          std::span<const Migration> list) {
  for (std::size_t i = 1; i < list.size(); ++i) {
    ARBOR_CHECK(list[i].version > list[i - 1].version) << "migrations out of order";
  }
  const int latest = list.empty() ? 0 : list.back().version;
  // Read-only checks first: nothing below writes until the file is known to be ours.
  ARBOR_ASSIGN_OR_RETURN(const std::vector<std::string> tables, table_names(conn));
  int version = 0;
  if (tables.empty()) {
    if (!options.create) {
      return Status::failed_precondition(conn.path() +
                                         ": the database is empty, not an Arbor memory database");
    }
  } else if (std::find(tables.begin(), tables.end(), "arbor_schema") == tables.end()) {
    std::string names;
    for (std::size_t i = 0; i < tables.size() && i < 5; ++i) names += (i ? ", " : "") + tables[i];
    if (tables.size() > 5) names += ", ...";
    return Status::invalid_argument(conn.path() +
                                    ": an SQLite database of another application "
                                    "(tables: " +
                                    names +
                                    "), not an Arbor memory database; "
                                    "it was not modified");
  } else {
    ARBOR_ASSIGN_OR_RETURN(version, stored_version(conn));
    if (version > latest) {
      return Status::failed_precondition(
          conn.path() + ": schema version " + std::to_string(version) +
          " is newer than this build of arbor understands (" + std::to_string(latest) +
          "); the database was not modified, open it with a newer arbor");
    }
  }
  if (!options.writable) {
    if (version < latest) {
      return Status::failed_precondition(
          conn.path() + ": schema version " + std::to_string(version) + " is older than " +
          std::to_string(latest) + "; open it for writing once (arbor memory add) to upgrade it");
    }
    return version;
  }
  ARBOR_RETURN_IF_ERROR(enable_wal(conn));
  if (version < latest) {
    ARBOR_RETURN_IF_ERROR(apply_migrations(conn, list));
    ARBOR_ASSIGN_OR_RETURN(version, stored_version(conn));
  }
  return version;
}

}  // namespace arbor::memory::internal
