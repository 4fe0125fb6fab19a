// A thin RAII layer over the SQLite C API for the hub's and the connectors'
// stores: one
// connection, prepared statements with bind/step helpers, and a transaction
// guard. Every fallible call returns absl::Status; SQLite's codes map to
// UNAVAILABLE (busy/locked/can't open: retry later), ALREADY_EXISTS (unique or
// primary-key violation) and INTERNAL (anything else), the message naming the
// database file and what was being done.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db,
//                         SqliteDatabase::Open("/var/lib/ndxp/residents.db"));
//   NDXP_RETURN_IF_ERROR(db->Exec("CREATE TABLE IF NOT EXISTS t (k TEXT, v INT)"));
//   NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db));
//   NDXP_ASSIGN_OR_RETURN(SqliteStatement insert,
//                         db->Prepare("INSERT INTO t VALUES (?, ?)"));
//   NDXP_RETURN_IF_ERROR(insert.BindAll("a", 1));
//   NDXP_RETURN_IF_ERROR(insert.Run());
//   NDXP_RETURN_IF_ERROR(txn.Commit());  // destroyed uncommitted: rolled back
//
// Thread-safety: a SqliteDatabase and its statements are NOT thread-safe (the
// connection is opened without SQLite's own mutex); the owner serialises
// access, typically under one absl::Mutex. Statements and transactions must
// not outlive their database.
#ifndef NDXP_COMMON_SQLITE_SQLITE_H_
#define NDXP_COMMON_SQLITE_SQLITE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ndxp {

struct SqliteOptions {
  // How long a statement waits for another connection's lock before failing
  // with UNAVAILABLE.
  absl::Duration busy_timeout = absl::Seconds(5);
  // journal_mode=WAL with synchronous=NORMAL: readers never block the writer
  // and a commit costs no fsync (only checkpoints do); a power loss may lose
  // the last commits but never corrupts the file.
  bool wal = true;
};

class SqliteDatabase;

// A prepared statement. Move-only; finalized on destruction. Parameter
// indexes start at 1 and column indexes at 0, as in SQLite.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Text is copied into the statement, so the argument may die after the call.
  absl::Status BindText(int index, absl::string_view value);
  absl::Status BindInt64(int index, int64_t value);
  absl::Status BindNull(int index);

  // Overloads for BindAll: text, integers, nullopt (NULL) and optionals.
  absl::Status Bind(int index, absl::string_view value) { return BindText(index, value); }
  absl::Status Bind(int index, const char* value) { return BindText(index, value); }
  absl::Status Bind(int index, const std::string& value) { return BindText(index, value); }
  absl::Status Bind(int index, std::nullopt_t) { return BindNull(index); }
  template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
  absl::Status Bind(int index, T value) {
    return BindInt64(index, static_cast<int64_t>(value));
  }
  template <typename T>
  absl::Status Bind(int index, const std::optional<T>& value) {
    return value.has_value() ? Bind(index, *value) : BindNull(index);
  }

  // Binds the arguments to parameters 1, 2, ... in order.
  template <typename... Args>
  absl::Status BindAll(const Args&... args) {
    int index = 0;
    absl::Status status;
    ((status.ok() ? (status = Bind(++index, args), 0) : 0), ...);
    return status;
  }

  // Advances: true when a row is available (read it with Column*), false when
  // the statement has finished.
  absl::StatusOr<bool> Step();

  // Steps until the statement finishes (for statements that return no rows,
  // or whose rows are not wanted), then resets it, keeping the bindings.
  absl::Status Run();

  // Rewinds and clears the bindings. Call it when done reading rows: an
  // unfinished SELECT holds its read snapshot open until reset.
  void Reset();

  bool ColumnIsNull(int column) const;
  int64_t ColumnInt64(int column) const;
  // Valid until the next Step or Reset; empty for NULL.
  absl::string_view ColumnText(int column) const;
  // ColumnText, or nullopt for NULL.
  std::optional<std::string> ColumnOptionalText(int column) const;

 private:
  friend class SqliteDatabase;
  SqliteStatement(SqliteDatabase* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  absl::Status BindResult(int rc, int index);

  SqliteDatabase* db_;  // not owned
  sqlite3_stmt* stmt_;  // owned
};

// One SQLite connection. Not thread-safe (see the file comment).
class SqliteDatabase {
 public:
  // Opens (creating if needed) the database file and applies `options`.
  // ":memory:" opens a private in-memory database (WAL does not apply).
  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(
      const std::string& path, const SqliteOptions& options = {});

  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;
  ~SqliteDatabase();

  // Runs one or more ';'-separated statements that return no rows.
  absl::Status Exec(const std::string& sql);

  absl::StatusOr<SqliteStatement> Prepare(absl::string_view sql);

  // The rowid of the last successful INSERT on this connection.
  int64_t LastInsertRowId() const;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int Changes() const;

  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }

  // A status for SQLite result code `rc`, with this database's last error
  // message: "sqlite <path>: <what>: <message>".
  absl::Status Error(int rc, absl::string_view what) const;

 private:
  SqliteDatabase(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

  const std::string path_;
  sqlite3* const db_;  // owned
};

// A write transaction, rolled back on destruction unless committed. Move-only.
class SqliteTransaction {
 public:
  // BEGIN IMMEDIATE: takes the write lock up front so that, once begun, no
  // statement of the transaction fails for lack of it (a deferred transaction
  // that reads first can get SQLITE_BUSY on its first write, unretryable).
  static absl::StatusOr<SqliteTransaction> Begin(SqliteDatabase& db);

  SqliteTransaction(SqliteTransaction&& other) noexcept;
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();

  absl::Status Commit();
  // Explicit rollback (the destructor does the same, ignoring errors).
  absl::Status Rollback();

 private:
  explicit SqliteTransaction(SqliteDatabase* db) : db_(db) {}
  SqliteDatabase* db_;  // not owned; null once committed or rolled back
};

}  // namespace ndxp

#endif  // NDXP_COMMON_SQLITE_SQLITE_H_
