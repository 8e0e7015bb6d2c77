#include "memory/internal/sqlite.h"

#include <cerrno>
#include <cstring>

#include <sqlite3.h>

#include "core/check.h"

namespace arbor::memory::internal {
namespace {

std::string errno_text(int err) {
  return err == 0 ? std::string() : std::strerror(err);
}

}  // namespace

// ---- Stmt ----------------------------------------------------------------------------------

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

Status Stmt::check_bind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return Status();
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  (void)check_bind(sqlite3_bind_int64(stmt_, i, v));
  return *this;
}

Stmt& Stmt::bind(int i, double v) {
  (void)check_bind(sqlite3_bind_double(stmt_, i, v));
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  (void)check_bind(
      sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Stmt& Stmt::bind_blob(int i, std::span<const std::uint8_t> bytes) {
  (void)check_bind(sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  (void)check_bind(sqlite3_bind_null(stmt_, i));
  return *this;
}

StatusOr<bool> Stmt::step() {
  if (bind_rc_ != SQLITE_OK) return conn_->error(bind_rc_, "binding a parameter");
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_->error(rc, "running \"" + std::string(sqlite3_sql(stmt_)).substr(0, 60) + "\"");
}

Status Stmt::run() {
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool row, step());
    if (!row) return Status();
  }
}

bool Stmt::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}
std::int64_t Stmt::col_int(int col) const {
  return sqlite3_column_int64(stmt_, col);
}
double Stmt::col_double(int col) const {
  return sqlite3_column_double(stmt_, col);
}

std::string_view Stmt::col_text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

std::span<const std::uint8_t> Stmt::col_blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

// ---- Connection ----------------------------------------------------------------------------

StatusOr<std::unique_ptr<Connection>> Connection::open(const std::string& path, OpenMode mode,
                                                       int busy_timeout_ms, bool immutable) {
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (mode) {
    case OpenMode::kReadOnly:
      flags |= SQLITE_OPEN_READONLY;
      break;
    case OpenMode::kReadWrite:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case OpenMode::kReadWriteCreate:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
  }
  // SQLite is built with URI filenames on, so every path goes through a URI we build: a
  // plain path that happens to start with "file:" stays a path.
  // An absolute path gets an empty authority ("file:///abs"), so "//x" cannot become a host.
  std::string uri = path.rfind('/', 0) == 0 ? "file://" : "file:";
  for (const char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      static const char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[static_cast<unsigned char>(c) >> 4];
      uri += kHex[static_cast<unsigned char>(c) & 15];
    } else {
      uri += c;
    }
  }
  if (immutable) uri += "?immutable=1";
  flags |= SQLITE_OPEN_URI;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(uri.c_str(), &db, flags, nullptr);
  if (db != nullptr) sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<Connection> conn(new Connection(db, path, busy_timeout_ms));
  if (rc != SQLITE_OK) return conn->error(rc, "cannot open the database");
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return conn;
}

Connection::~Connection() {
  states_.clear();  // they may hold SQLite objects of this connection
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  if (db_ != nullptr) {
    const int rc = sqlite3_close(db_);
    ARBOR_CHECK(rc == SQLITE_OK) << "sqlite3_close(" << path_ << ") failed: a statement leaked";
  }
}

Status Connection::exec(std::string_view sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) {
    return error(rc, "running \"" + std::string(sql.substr(0, 60)) + "\"");
  }
  return Status();
}

StatusOr<Stmt> Connection::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return error(rc, "preparing \"" + key.substr(0, 60) + "\"");
    }
    it = cache_.emplace(std::move(key), stmt).first;
  }
  ARBOR_CHECK(!sqlite3_stmt_busy(it->second)) << "statement borrowed twice at once: " << it->first;
  return Stmt(this, it->second);
}

bool Connection::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}
std::int64_t Connection::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_);
}
std::int64_t Connection::changes() const {
  return sqlite3_changes64(db_);
}

Status Connection::error(int rc, std::string_view what) const {
  const std::string sqlite_msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const int err = db_ != nullptr ? sqlite3_system_errno(db_) : 0;
  const std::string errno_part = err != 0 ? ": " + errno_text(err) : "";
  // The codes users meet get a sentence of their own; the SQL being run would only confuse.
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::unavailable(path_ +
                                 ": the database is locked by another connection or "
                                 "process (waited " +
                                 std::to_string(busy_timeout_ms_) +
                                 " ms); nothing was changed, retry when it is released");
    case SQLITE_READONLY:
      return Status::failed_precondition(
          path_ +
          ": cannot write: the file or its folder is read-only (SQLite also creates "
          "FILE-wal and FILE-shm beside the database); nothing was changed");
    case SQLITE_FULL:
      return Status::resource_exhausted(path_ +
                                        ": the disk or the database's size limit is "
                                        "full; nothing was changed");
    case SQLITE_NOTADB:
      return Status::invalid_argument(path_ +
                                      ": not an SQLite database (or an encrypted one); "
                                      "it was not changed");
    case SQLITE_CORRUPT:
      return Status::data_loss(path_ + ": the database file is corrupt (" + sqlite_msg +
                               "); restore it from a backup");
    case SQLITE_CANTOPEN: {
      std::string msg = path_ + ": cannot open the database" + errno_part;
      if (err == ENOENT) return Status::not_found(msg);
      if (err == EACCES || err == EROFS || err == EPERM) {
        return Status::failed_precondition(
            msg +
            " (the file or its folder is not writable: SQLite creates FILE-wal and "
            "FILE-shm beside the database)");
      }
      return Status::invalid_argument(msg);
    }
    case SQLITE_IOERR: {
      const char* doing = "accessing the file";
      switch (rc) {
        case SQLITE_IOERR_WRITE:
          doing = "writing (is the disk full?)";
          break;
        case SQLITE_IOERR_READ:
        case SQLITE_IOERR_SHORT_READ:
          doing = "reading";
          break;
        case SQLITE_IOERR_FSYNC:
          doing = "syncing to disk";
          break;
        case SQLITE_IOERR_TRUNCATE:
          doing = "truncating";
          break;
        default:
          break;
      }
      const std::string msg =
          path_ + ": I/O error while " + doing + errno_part + "; nothing was committed";
      if (err == ENOSPC || err == EFBIG || err == EDQUOT) return Status::resource_exhausted(msg);
      return Status::unavailable(msg);
    }
    case SQLITE_NOMEM:
      return Status::resource_exhausted(path_ + ": out of memory");
    case SQLITE_CONSTRAINT:
      return Status::invalid_argument(path_ + ": " + std::string(what) + ": " + sqlite_msg);
    default:
      return Status::internal(path_ + ": " + std::string(what) + ": " + sqlite_msg);
  }
}

}  // namespace arbor::memory::internal
