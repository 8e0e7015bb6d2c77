// A thin RAII layer over the SQLite C API: one Connection per thread, cached prepared
// statements, and SQLite result codes turned into Status messages a user can act on.
//
// Thread safety: a Connection (and every Stmt it hands out) is used by one thread at a time.
// Connections are opened with SQLITE_OPEN_NOMUTEX because no connection is shared.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace arbor::memory::internal {

enum class OpenMode {
  kReadOnly,         // SQLITE_OPEN_READONLY
  kReadWrite,        // the file must exist
  kReadWriteCreate,  // created when missing
};

class Connection;

// A prepared statement borrowed from its Connection's cache. Destruction resets it and clears
// its bindings, so the next borrower starts clean. Binding indices start at 1, columns at 0.
class Stmt {
 public:
  Stmt(Connection* conn, sqlite3_stmt* stmt) : conn_(conn), stmt_(stmt) {}
  Stmt(Stmt&& other) noexcept : conn_(other.conn_), stmt_(other.stmt_), bind_rc_(other.bind_rc_) {
    other.stmt_ = nullptr;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt();

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view v);  // copied (SQLITE_TRANSIENT)
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind_blob(int i, std::span<const std::uint8_t> bytes);
  Stmt& bind_null(int i);

  // Rewinds the statement and clears its bindings, to run it again.
  void reset();

  // Advances one row: true when a row is ready, false when done.
  StatusOr<bool> step();
  // Steps until done (for statements that return no rows).
  Status run();

  bool is_null(int col) const;
  std::int64_t col_int(int col) const;
  double col_double(int col) const;
  // Valid until the next step() or the Stmt's destruction.
  std::string_view col_text(int col) const;
  std::span<const std::uint8_t> col_blob(int col) const;
  std::string col_string(int col) const { return std::string(col_text(col)); }

 private:
  Status check_bind(int rc);
  Connection* conn_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = 0;  // the first failed bind, reported by step()
};

class Connection {
 public:
  // Opens `path`. Nothing is read or written yet: SQLite reads the header on first use.
  // `immutable` (read-only mode only) promises SQLite that nobody changes the file, which lets
  // it read a WAL database in a folder where it cannot create FILE-shm.
  static StatusOr<std::unique_ptr<Connection>> open(const std::string& path, OpenMode mode,
                                                    int busy_timeout_ms, bool immutable = false);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without parameters or results.
  Status exec(std::string_view sql);
  // A cached statement for `sql` (one statement). Statements are cached per SQL text.
  StatusOr<Stmt> prepare(std::string_view sql);

  // Per-connection state of type T (e.g. a tokenizer bound to this connection): created by
  // `make` on first use, destroyed before the connection closes.
  template <typename T, typename Make>
  StatusOr<T*> state(Make&& make);

  // The Status for result code `rc` on this connection: "FILE: <what>: <SQLite message>",
  // with an explanation for the codes users meet (locked, read-only, full, not a database).
  Status error(int rc, std::string_view what) const;

  bool in_transaction() const;
  std::int64_t last_insert_id() const;
  std::int64_t changes() const;
  const std::string& path() const { return path_; }
  int busy_timeout_ms() const { return busy_timeout_ms_; }
  sqlite3* raw() { return db_; }

 private:
  Connection(sqlite3* db, std::string path, int busy_timeout_ms)
      : db_(db), path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms) {}
  sqlite3* db_;
  std::string path_;
  int busy_timeout_ms_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
  std::unordered_map<std::type_index, std::shared_ptr<void>> states_;
};

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK when it fails).
template <typename F>
Status with_write_transaction(Connection& conn, F&& body);

// Runs `body` inside a read transaction (BEGIN ... COMMIT), so every statement sees one
// snapshot of the database.
template <typename F>
Status with_read_transaction(Connection& conn, F&& body);

// --- implementation of the templates ---

template <typename T, typename Make>
StatusOr<T*> Connection::state(Make&& make) {
  auto it = states_.find(std::type_index(typeid(T)));
  if (it != states_.end()) return static_cast<T*>(it->second.get());
  StatusOr<std::unique_ptr<T>> made = make(*this);
  if (!made.ok()) return made.status();
  T* raw = made->get();
  states_.emplace(std::type_index(typeid(T)), std::shared_ptr<T>(std::move(*made)));
  return raw;
}

template <typename F>
Status with_write_transaction(Connection& conn, F&& body) {
  ARBOR_RETURN_IF_ERROR(conn.exec("BEGIN IMMEDIATE"));
  Status s = body();
  if (s.ok()) s = conn.exec("COMMIT");
  if (!s.ok() && conn.in_transaction()) (void)conn.exec("ROLLBACK");
  return s;
}

template <typename F>
Status with_read_transaction(Connection& conn, F&& body) {
  ARBOR_RETURN_IF_ERROR(conn.exec("BEGIN"));
  Status s = body();
  const Status end = conn.in_transaction() ? conn.exec(s.ok() ? "COMMIT" : "ROLLBACK") : Status();
  return s.ok() ? end : s;
}

}  // namespace arbor::memory::internal
