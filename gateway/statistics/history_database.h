// The few SQL operations a history import needs (history_import.h), on either
// of the hub's stores, so that the import's steps are written once. The SQL
// is what SQLite and PostgreSQL both accept: parameters are $1, $2, ..., each
// used first in that order (SQLite numbers "$N" parameters as they appear);
// values go in as integers or text and rows come back as text.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(std::unique_ptr<HistoryDatabase> db,
//                         OpenSqliteHistoryDatabase("/var/lib/ndxp/hub.db"));
//   NDXP_RETURN_IF_ERROR(db->Begin());
//   NDXP_ASSIGN_OR_RETURN(SqlRows rows,
//                         db->Query("SELECT id FROM history_batches WHERE batch = $1",
//                                   {SqlValue("archive-2025")}));
//   NDXP_RETURN_IF_ERROR(db->Commit());
#ifndef NDXP_GATEWAY_STATISTICS_HISTORY_DATABASE_H_
#define NDXP_GATEWAY_STATISTICS_HISTORY_DATABASE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ndxp::gateway::statistics {

using SqlValue = std::variant<int64_t, std::string>;
using SqlRows = std::vector<std::vector<std::string>>;

// One connection to a hub database. Not thread-safe.
class HistoryDatabase {
 public:
  virtual ~HistoryDatabase() = default;

  // A write transaction. SQLite takes the write lock here, waiting for a
  // hub's commit up to its busy timeout (then UNAVAILABLE).
  virtual absl::Status Begin() = 0;
  virtual absl::Status Commit() = 0;
  // Ends an open transaction without keeping anything; ignores errors.
  virtual void Rollback() = 0;

  // Runs one statement; its rows (RETURNING or SELECT), every value as text.
  virtual absl::StatusOr<SqlRows> Query(const std::string& sql,
                                        absl::Span<const SqlValue> params) = 0;
  // Runs one statement that returns no rows; how many rows it changed.
  virtual absl::StatusOr<int64_t> Run(const std::string& sql,
                                      absl::Span<const SqlValue> params) = 0;
};

// The hub's SQLite file, which must hold the hub's schema. Its commits are
// fsync'ed (synchronous=FULL), so an import reported complete survives a
// power cut. UNAVAILABLE when it cannot be opened.
absl::StatusOr<std::unique_ptr<HistoryDatabase>> OpenSqliteHistoryDatabase(
    const std::string& path);

// The PostgreSQL database of a libpq connection string, which must hold the
// hub's schema. UNAVAILABLE when it cannot be reached; ALREADY_EXISTS for a
// unique violation.
absl::StatusOr<std::unique_ptr<HistoryDatabase>> OpenPostgresHistoryDatabase(
    const std::string& conninfo);

}  // namespace ndxp::gateway::statistics

#endif  // NDXP_GATEWAY_STATISTICS_HISTORY_DATABASE_H_
