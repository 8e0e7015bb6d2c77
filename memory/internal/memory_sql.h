// SQL pieces shared by the memory reads and writes: the column list of a memory row and how
// to read it, the WHERE clause of a MemoryFilter, and the content hash used for deduplication.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"
#include "memory/internal/sqlite.h"
#include "memory/types.h"

namespace arbor::memory::internal {

// Positional parameters of a statement built at run time, bound in order (SQL uses "?").
class SqlParams {
 public:
  void add(std::int64_t v) { values_.emplace_back(v); }
  void add(double v) { values_.emplace_back(v); }
  void add(std::string v) { values_.emplace_back(std::move(v)); }
  // Binds every value, the first at index `first`. Returns the next free index.
  int bind_all(Stmt& stmt, int first = 1) const;

 private:
  std::vector<std::variant<std::int64_t, double, std::string>> values_;
};

// The columns of a memory row of table alias `m`, in the order read_memory() expects.
extern const char* const kMemoryColumns;
// Reads a memory from the columns of kMemoryColumns starting at `first`.
StatusOr<Memory> read_memory(const Stmt& stmt, int first = 0);

// "m.superseded_by IS NULL AND ..." for `filter` at time `now` (always non-empty), with its
// parameters appended to `params`.
std::string filter_sql(const MemoryFilter& filter, std::int64_t now, SqlParams& params);

// A JSON array of integers, for "id IN (SELECT value FROM json_each(?))".
std::string id_list_json(const std::vector<MemoryId>& ids);

// The text with surrounding whitespace removed and inner runs collapsed to one space; two
// memories with the same normalized text are duplicates.
std::string normalize_text(std::string_view text);
// FNV-1a of normalize_text(text), as SQLite's signed 64-bit integer.
std::int64_t content_hash(std::string_view text);

}  // namespace arbor::memory::internal
