#include "gateway/statistics/counter_reader.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/status_util.h"
#include "gateway/statistics/periods.h"
#include "gateway/statistics/status_codes.h"

namespace ndxp::gateway::statistics {
namespace {

using ::ndxp::SqliteDatabase;
using ::ndxp::SqliteOptions;
using ::ndxp::SqliteStatement;
using hub::v1::Dimension;

// The SQL expression of each dimension's value (fixed strings: no user text
// ever reaches the query).
const char* ColumnOf(Dimension dimension) {
  switch (dimension) {
    case hub::v1::CONSUMER:
      return "consumer";
    case hub::v1::PROVIDER:
      return "provider";
    case hub::v1::SERVICE:
      return "service";
    case hub::v1::METHOD:
      return "service || '/' || method";
    case hub::v1::STATUS:
      return "status_code";
    case hub::v1::VIA:
      return "via";
    case hub::v1::DOOR:
      return "door";
    default:
      return nullptr;
  }
}

// What the sums read of both tables: every column a dimension names, and count.
constexpr char kSummedColumns[] =
    "day, consumer, via, door, provider, service, method, status_code, count";

// Imported history has no via nor door: it counts as direct members' calls,
// in by gRPC (the only door there was).
std::string SummedHistoryColumns() {
  return absl::StrCat("day, consumer, '' AS via, '", DoorName(Door::kGrpc),
                      "' AS door, provider, service, method, status_code, count");
}

absl::Status CheckDimensions(const std::vector<Dimension>& group_by) {
  for (size_t i = 0; i < group_by.size(); ++i) {
    const Dimension dimension = group_by[i];
    if (ColumnOf(dimension) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "group_by[", i, "]: unknown dimension ",
          dimension == hub::v1::DIMENSION_UNSPECIFIED ? std::string("DIMENSION_UNSPECIFIED")
                                                      : absl::StrCat(dimension),
          " (expected CONSUMER, PROVIDER, SERVICE, METHOD, STATUS, VIA or DOOR)"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (group_by[j] == dimension) {
        return absl::InvalidArgumentError(absl::StrCat("group_by[", i,
                                                       "]: duplicate dimension ",
                                                       hub::v1::Dimension_Name(dimension),
                                                       " (already group_by[", j, "])"));
      }
    }
  }
  return absl::OkStatus();
}


}  // namespace

std::string SumCountersSql(const std::vector<Dimension>& group_by, absl::string_view from,
                           absl::string_view to, hub::v1::Calls calls,
                           std::optional<Door> door) {
  std::string sql = "SELECT ";
  for (Dimension dimension : group_by) absl::StrAppend(&sql, ColumnOf(dimension), ", ");
  if (calls == hub::v1::REFUSED_BY_HUB) {
    absl::StrAppend(&sql, "SUM(count) FROM (SELECT ", kSummedColumns,
                    " FROM refused_counters WHERE day >= ", from, " AND day <= ", to,
                    ") AS summed");
  } else {
    // The hub's own counters and the complete batches of imported history
    // (history_import.h): a batch being imported or replaced is never half-counted.
    absl::StrAppend(&sql, "SUM(count) FROM (SELECT ", kSummedColumns,
                    " FROM counters WHERE day >= ", from, " AND day <= ", to,
                    " UNION ALL SELECT ", SummedHistoryColumns(),
                    " FROM history_counters WHERE day >= ", from, " AND day <= ", to,
                    " AND batch_id IN (SELECT id FROM history_batches WHERE state = "
                    "'complete')) AS summed");
  }
  // A door's name comes from kDoorNames, never from the request.
  if (door.has_value()) absl::StrAppend(&sql, " WHERE door = '", DoorName(*door), "'");
  if (!group_by.empty()) {
    std::vector<size_t> positions;
    for (size_t i = 1; i <= group_by.size(); ++i) positions.push_back(i);
    absl::StrAppend(&sql, " GROUP BY ", absl::StrJoin(positions, ", "));
  }
  return sql;
}

absl::Status CheckGroupBy(const std::vector<Dimension>& group_by) {
  return CheckDimensions(group_by);
}

absl::Status CheckCalls(hub::v1::Calls calls) {
  if (calls == hub::v1::FORWARDED || calls == hub::v1::REFUSED_BY_HUB) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "calls: unknown value ", static_cast<int>(calls), " (expected FORWARDED or REFUSED_BY_HUB)"));
}

absl::StatusOr<std::vector<Dimension>> ParseGroupBy(
    const google::protobuf::RepeatedField<int>& group_by) {
  std::vector<Dimension> dimensions;
  dimensions.reserve(static_cast<size_t>(group_by.size()));
  for (int value : group_by) dimensions.push_back(static_cast<Dimension>(value));
  NDXP_RETURN_IF_ERROR(CheckDimensions(dimensions));
  return dimensions;
}

absl::StatusOr<std::unique_ptr<SqliteCounterReader>> SqliteCounterReader::Open(
    const std::string& path) {
  // SqliteDatabase::Open would create a missing file: an empty database that
  // answers every question with 0 would hide a wrong path.
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat("statistics: ", path, ": no such file"));
  }
  SqliteOptions options;
  options.wal = false;  // keep the hub's journal mode; this connection never writes
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, SqliteDatabase::Open(path, options));
  NDXP_RETURN_IF_ERROR(db->Exec("PRAGMA query_only=ON"));
  {
    NDXP_ASSIGN_OR_RETURN(
        SqliteStatement has_table,
        db->Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                    "('counters', 'history_batches', 'history_counters')"));
    NDXP_ASSIGN_OR_RETURN(bool found, has_table.Step());
    if (!found || has_table.ColumnInt64(0) != 3) {
      return absl::NotFoundError(absl::StrCat(
          "statistics: ", path, ": no counters tables (the hub creates them on first start)"));
    }
  }
  return std::unique_ptr<SqliteCounterReader>(new SqliteCounterReader(std::move(db)));
}

absl::StatusOr<std::vector<CounterRow>> SqliteCounterReader::Sum(
    absl::CivilDay from, absl::CivilDay to, const std::vector<Dimension>& group_by,
    hub::v1::Calls calls, std::optional<Door> door) {
  NDXP_RETURN_IF_ERROR(CheckDimensions(group_by));
  NDXP_RETURN_IF_ERROR(CheckCalls(calls));
  from = std::max(from, kFirstTextDay);
  to = std::min(to, kLastTextDay);
  std::vector<CounterRow> rows;
  if (from > to) return rows;

  const std::string sql = SumCountersSql(group_by, "?1", "?2", calls, door);
  const int count_column = static_cast<int>(group_by.size());

  absl::MutexLock lock(&mu_);
  NDXP_ASSIGN_OR_RETURN(SqliteStatement query, db_->Prepare(sql));
  NDXP_RETURN_IF_ERROR(query.BindAll(FormatDay(from), FormatDay(to)));
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool has_row, query.Step());
    if (!has_row) break;
    // SUM over no counters (only without GROUP BY) is NULL.
    if (query.ColumnIsNull(count_column)) continue;
    const int64_t count = query.ColumnInt64(count_column);
    if (count == 0) continue;
    CounterRow row;
    row.key.reserve(group_by.size());
    for (size_t i = 0; i < group_by.size(); ++i) {
      const int column = static_cast<int>(i);
      row.key.push_back(group_by[i] == hub::v1::STATUS
                            ? StatusCodeName(query.ColumnInt64(column))
                            : std::string(query.ColumnText(column)));
    }
    row.count = count;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace ndxp::gateway::statistics
