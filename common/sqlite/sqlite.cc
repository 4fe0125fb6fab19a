#include "common/sqlite/sqlite.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_util.h"

namespace ndxp {
namespace {

absl::Status StatusFor(int rc, std::string message) {
  switch (rc & 0xff) {  // the primary code of an extended one
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_IOERR:
      return absl::UnavailableError(std::move(message));
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        return absl::AlreadyExistsError(std::move(message));
      }
      return absl::InternalError(std::move(message));
    default:
      return absl::InternalError(std::move(message));
  }
}

}  // namespace

// ------------------------------------------------------------------ database

absl::StatusOr<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(
    const std::string& path, const SqliteOptions& options) {
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &handle,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                               SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = absl::StrCat("sqlite ", path, ": cannot open: ",
                                       handle != nullptr ? sqlite3_errmsg(handle)
                                                         : sqlite3_errstr(rc));
    sqlite3_close(handle);
    return StatusFor(rc, std::move(message));
  }
  std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(path, handle));
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle,
                       static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
  if (options.wal && path != ":memory:" && !path.empty()) {
    NDXP_ASSIGN_OR_RETURN(SqliteStatement wal, db->Prepare("PRAGMA journal_mode=WAL"));
    NDXP_ASSIGN_OR_RETURN(bool has_row, wal.Step());
    if (!has_row || wal.ColumnText(0) != "wal") {
      return absl::UnavailableError(
          absl::StrCat("sqlite ", path, ": cannot switch to WAL journal mode"));
    }
    wal.Reset();
    NDXP_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL"));
  }
  NDXP_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  return db;
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close_v2(db_); }

absl::Status SqliteDatabase::Error(int rc, absl::string_view what) const {
  return StatusFor(rc, absl::StrCat("sqlite ", path_, ": ", what, ": ",
                                    sqlite3_errmsg(db_)));
}

absl::Status SqliteDatabase::Exec(const std::string& sql) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    // Only the statement's first line: schema scripts are long.
    return Error(rc, absl::StrCat("exec \"", sql.substr(0, sql.find('\n')), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<SqliteStatement> SqliteDatabase::Prepare(absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt,
                              nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, absl::StrCat("prepare \"", sql, "\""));
  }
  return SqliteStatement(this, stmt);
}

int64_t SqliteDatabase::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int SqliteDatabase::Changes() const { return sqlite3_changes(db_); }

// ----------------------------------------------------------------- statement

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

absl::Status SqliteStatement::BindResult(int rc, int index) {
  if (rc == SQLITE_OK) return absl::OkStatus();
  return db_->Error(rc, absl::StrCat("bind parameter ", index, " of \"",
                                     sqlite3_sql(stmt_), "\""));
}

absl::Status SqliteStatement::BindText(int index, absl::string_view value) {
  // A null data pointer would bind NULL; an empty string must stay ''.
  const char* data = value.data() != nullptr ? value.data() : "";
  return BindResult(sqlite3_bind_text64(stmt_, index, data, value.size(),
                                        SQLITE_TRANSIENT, SQLITE_UTF8),
                    index);
}

absl::Status SqliteStatement::BindInt64(int index, int64_t value) {
  return BindResult(sqlite3_bind_int64(stmt_, index, value), index);
}

absl::Status SqliteStatement::BindNull(int index) {
  return BindResult(sqlite3_bind_null(stmt_, index), index);
}

absl::StatusOr<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  absl::Status status =
      db_->Error(rc, absl::StrCat("step \"", sqlite3_sql(stmt_), "\""));
  sqlite3_reset(stmt_);
  return status;
}

absl::Status SqliteStatement::Run() {
  for (;;) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
  }
  sqlite3_reset(stmt_);
  return absl::OkStatus();
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool SqliteStatement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t SqliteStatement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

absl::string_view SqliteStatement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return absl::string_view(reinterpret_cast<const char*>(text),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> SqliteStatement::ColumnOptionalText(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return std::string(ColumnText(column));
}

// --------------------------------------------------------------- transaction

absl::StatusOr<SqliteTransaction> SqliteTransaction::Begin(SqliteDatabase& db) {
  NDXP_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return SqliteTransaction(&db);
}

SqliteTransaction::SqliteTransaction(SqliteTransaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

SqliteTransaction::~SqliteTransaction() {
  if (db_ != nullptr) (void)Rollback();
}

absl::Status SqliteTransaction::Commit() {
  if (db_ == nullptr) return absl::FailedPreconditionError("transaction already ended");
  absl::Status status = db_->Exec("COMMIT");
  if (!status.ok()) {
    (void)Rollback();
    return status;
  }
  db_ = nullptr;
  return absl::OkStatus();
}

absl::Status SqliteTransaction::Rollback() {
  if (db_ == nullptr) return absl::FailedPreconditionError("transaction already ended");
  SqliteDatabase* db = std::exchange(db_, nullptr);
  // After some errors SQLite has already rolled back; ROLLBACK then fails
  // harmlessly with "no transaction is active".
  if (sqlite3_get_autocommit(db->handle())) return absl::OkStatus();
  return db->Exec("ROLLBACK");
}

}  // namespace ndxp
