// The database schema: an ordered list of migrations, and the checks run when a Store opens a
// file (is it SQLite at all, is it ours, is its version one this build understands).
//
// arbor_schema(version, description, applied_at) records every migration applied. Migrations
// run in order, all pending ones in one transaction, so a crash leaves the old version intact.
// A database whose version is newer than the last migration is refused and never modified.
#pragma once

#include <cstdint>
#include <span>

#include "core/status.h"
#include "memory/internal/sqlite.h"

namespace arbor::memory::internal {

struct Migration {
  int version;  // 1, 2, 3, ...: strictly increasing
  const char* description;
  const char* sql;
};

// The migrations of this build, in order.
std::span<const Migration> migrations();

// Per-connection settings: foreign keys, the SQL functions the queries use; for the writer
// also synchronous=NORMAL, secure_delete and (when max_bytes > 0) a page-count limit.
Status configure_connection(Connection& conn, bool writer, std::int64_t max_bytes);

struct SchemaOptions {
  bool writable = false;  // may switch to WAL and run migrations
  bool create = false;    // may create the schema in an empty database
};

// Checks the database behind `conn` and brings it to the last version of `list` when allowed.
// Returns the version now in the file. Errors: not SQLite or corrupt (from SQLite), an empty
// database when !create, an SQLite database of another application, a version newer than
// `list` knows, an older version on a read-only open. Nothing is written before every check
// passed.
StatusOr<int> open_schema(Connection& conn, const SchemaOptions& options,
                          std::span<const Migration> list = migrations());

}  // namespace arbor::memory::internal
