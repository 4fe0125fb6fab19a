#include "gateway/statistics/history_database.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <map>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/sqlite/sqlite.h"
#include "common/status/status_util.h"

namespace ndxp::gateway::statistics {
namespace {

using ::ndxp::SqliteDatabase;
using ::ndxp::SqliteTransaction;

// On SQLite's C API rather than SqliteStatement, which cannot say how many
// columns a statement returns.
class SqliteHistoryDatabase final : public HistoryDatabase {
 public:
  explicit SqliteHistoryDatabase(std::unique_ptr<SqliteDatabase> db) : db_(std::move(db)) {}

  absl::Status Begin() override {
    NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
    txn_.emplace(std::move(txn));
    return absl::OkStatus();
  }

  absl::Status Commit() override {
    if (!txn_.has_value()) return absl::FailedPreconditionError("commit without a transaction");
    absl::Status status = txn_->Commit();
    txn_.reset();
    return status;
  }

  void Rollback() override { txn_.reset(); }

  absl::StatusOr<SqlRows> Query(const std::string& sql,
                                absl::Span<const SqlValue> params) override {
    NDXP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Bound(sql, params));
    SqlRows rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<std::string>& row = rows.emplace_back();
      for (int column = 0; column < sqlite3_column_count(stmt); ++column) {
        const unsigned char* text = sqlite3_column_text(stmt, column);
        row.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text),
                         static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
      }
    }
    sqlite3_reset(stmt);  // a statement must not be mid-step at COMMIT
    if (rc != SQLITE_DONE) return db_->Error(rc, Head(sql));
    return rows;
  }

  absl::StatusOr<int64_t> Run(const std::string& sql,
                              absl::Span<const SqlValue> params) override {
    NDXP_RETURN_IF_ERROR(Query(sql, params).status());
    return sqlite3_changes64(db_->handle());
  }

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };

  // The statement's first words, for messages.
  static std::string Head(const std::string& sql) { return sql.substr(0, 60); }

  // The statement for `sql` (prepared once: an import repeats a few
  // statements many times), with `params` bound.
  absl::StatusOr<sqlite3_stmt*> Bound(const std::string& sql, absl::Span<const SqlValue> params) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      sqlite3_stmt* raw = nullptr;
      const int rc = sqlite3_prepare_v2(db_->handle(), sql.c_str(), -1, &raw, nullptr);
      std::unique_ptr<sqlite3_stmt, Finalize> prepared(raw);
      if (rc != SQLITE_OK) return db_->Error(rc, absl::StrCat("prepare ", Head(sql)));
      it = statements_.emplace(sql, std::move(prepared)).first;
    }
    sqlite3_stmt* stmt = it->second.get();
    sqlite3_clear_bindings(stmt);
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const int rc =
          std::holds_alternative<int64_t>(params[i])
              ? sqlite3_bind_int64(stmt, index, std::get<int64_t>(params[i]))
              : sqlite3_bind_text64(stmt, index, std::get<std::string>(params[i]).data(),
                                    std::get<std::string>(params[i]).size(), SQLITE_TRANSIENT,
                                    SQLITE_UTF8);
      if (rc != SQLITE_OK) return db_->Error(rc, absl::StrCat("bind ", Head(sql)));
    }
    return stmt;
  }

  // Declared after the database: finalized before it closes.
  const std::unique_ptr<SqliteDatabase> db_;
  std::map<std::string, std::unique_ptr<sqlite3_stmt, Finalize>> statements_;
  std::optional<SqliteTransaction> txn_;
};

// libpq's messages end in a newline and may span lines; keep them on one.
std::string OneLine(absl::string_view message) {
  return absl::StrReplaceAll(absl::StripAsciiWhitespace(message), {{"\n", " "}});
}

class PostgresHistoryDatabase final : public HistoryDatabase {
 public:
  explicit PostgresHistoryDatabase(PGconn* conn) : conn_(conn) {}
  ~PostgresHistoryDatabase() override { PQfinish(conn_); }

  absl::Status Begin() override { return Run("BEGIN", {}).status(); }
  absl::Status Commit() override { return Run("COMMIT", {}).status(); }
  void Rollback() override {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
  }

  absl::StatusOr<SqlRows> Query(const std::string& sql,
                                absl::Span<const SqlValue> params) override {
    NDXP_ASSIGN_OR_RETURN(Result result, Execute(sql, params, PGRES_TUPLES_OK));
    SqlRows rows(static_cast<size_t>(PQntuples(result.get())));
    for (int r = 0; r < PQntuples(result.get()); ++r) {
      for (int c = 0; c < PQnfields(result.get()); ++c) {
        rows[static_cast<size_t>(r)].emplace_back(PQgetvalue(result.get(), r, c));
      }
    }
    return rows;
  }

  absl::StatusOr<int64_t> Run(const std::string& sql,
                              absl::Span<const SqlValue> params) override {
    NDXP_ASSIGN_OR_RETURN(Result result, Execute(sql, params, PGRES_COMMAND_OK));
    int64_t changed = 0;
    (void)absl::SimpleAtoi(PQcmdTuples(result.get()), &changed);  // "" for BEGIN, COMMIT
    return changed;
  }

 private:
  struct ClearResult {
    void operator()(PGresult* result) const { PQclear(result); }
  };
  using Result = std::unique_ptr<PGresult, ClearResult>;

  // Every value as text: the server infers each parameter's type from where
  // it stands (a column, a LIMIT).
  absl::StatusOr<Result> Execute(const std::string& sql, absl::Span<const SqlValue> params,
                                 ExecStatusType expected) {
    std::vector<std::string> texts;
    texts.reserve(params.size());
    for (const SqlValue& param : params) {
      texts.push_back(std::holds_alternative<int64_t>(param)
                          ? absl::StrCat(std::get<int64_t>(param))
                          : std::get<std::string>(param));
    }
    std::vector<const char*> values;
    for (const std::string& text : texts) values.push_back(text.c_str());
    Result result(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, /*resultFormat=*/0));
    if (result != nullptr && PQresultStatus(result.get()) == expected) return result;

    const char* sqlstate =
        result == nullptr ? nullptr : PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
    std::string message = absl::StrCat(
        "postgres ", PQdb(conn_), ": ", sql.substr(0, sql.find(' ')), ": ",
        OneLine(result != nullptr ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_)));
    const absl::string_view state = sqlstate == nullptr ? "" : sqlstate;
    if (state == "23505") return absl::AlreadyExistsError(message);
    // No answer, a lost connection, a shutdown or too many clients: retry later.
    if (state.empty() || PQstatus(conn_) == CONNECTION_BAD || absl::StartsWith(state, "08") ||
        absl::StartsWith(state, "53") || absl::StartsWith(state, "57")) {
      return absl::UnavailableError(message);
    }
    return absl::InternalError(message);
  }

  PGconn* const conn_;  // owned
};

}  // namespace

absl::StatusOr<std::unique_ptr<HistoryDatabase>> OpenSqliteHistoryDatabase(
    const std::string& path) {
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, SqliteDatabase::Open(path));
  NDXP_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=FULL"));
  return std::make_unique<SqliteHistoryDatabase>(std::move(db));
}

absl::StatusOr<std::unique_ptr<HistoryDatabase>> OpenPostgresHistoryDatabase(
    const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    // Never echo `conninfo`: it may hold a password.
    std::string message = OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("postgres: cannot connect: ", message));
  }
  return std::make_unique<PostgresHistoryDatabase>(conn);
}

}  // namespace ndxp::gateway::statistics
