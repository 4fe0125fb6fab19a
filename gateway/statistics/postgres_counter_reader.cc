#include "gateway/statistics/postgres_counter_reader.h"

#include <libpq-fe.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/statistics/periods.h"
#include "gateway/statistics/status_codes.h"

namespace ndxp::gateway::statistics {

absl::StatusOr<std::unique_ptr<PostgresCounterReader>> PostgresCounterReader::Open(
    const std::string& conninfo) {
  PGconn* connection = PQconnectdb(conninfo.c_str());
  if (PQstatus(connection) != CONNECTION_OK) {
    std::string message = PQerrorMessage(connection);
    PQfinish(connection);
    return absl::UnavailableError(absl::StrCat("statistics: PostgreSQL: ", message));
  }
  return std::unique_ptr<PostgresCounterReader>(new PostgresCounterReader(conninfo, connection));
}

PostgresCounterReader::~PostgresCounterReader() {
  absl::MutexLock lock(&mu_);
  PQfinish(connection_);
}

absl::StatusOr<std::vector<CounterRow>> PostgresCounterReader::Sum(
    absl::CivilDay from, absl::CivilDay to, const std::vector<hub::v1::Dimension>& group_by,
    hub::v1::Calls calls, std::optional<Door> door) {
  if (absl::Status s = CheckGroupBy(group_by); !s.ok()) return s;
  if (absl::Status s = CheckCalls(calls); !s.ok()) return s;
  from = std::max(from, kFirstTextDay);
  to = std::min(to, kLastTextDay);
  std::vector<CounterRow> rows;
  if (from > to) return rows;
  // SUM over BIGINT is NUMERIC in PostgreSQL: back to BIGINT for parsing.
  std::string sql = SumCountersSql(group_by, "$1", "$2", calls, door);
  sql.replace(sql.find("SUM(count)"), 10, "SUM(count)::BIGINT");
  const std::string from_text = FormatDay(from), to_text = FormatDay(to);
  const char* params[] = {from_text.c_str(), to_text.c_str()};

  absl::MutexLock lock(&mu_);
  if (PQstatus(connection_) != CONNECTION_OK) PQreset(connection_);
  PGresult* result =
      PQexecParams(connection_, sql.c_str(), 2, nullptr, params, nullptr, nullptr, 0);
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    std::string message = PQresultErrorMessage(result);
    PQclear(result);
    return absl::UnavailableError(absl::StrCat("statistics: PostgreSQL: ", message));
  }
  const int count_column = static_cast<int>(group_by.size());
  for (int r = 0; r < PQntuples(result); ++r) {
    if (PQgetisnull(result, r, count_column)) continue;  // SUM of nothing
    int64_t count = 0;
    if (!absl::SimpleAtoi(PQgetvalue(result, r, count_column), &count) || count == 0) continue;
    CounterRow row;
    for (int c = 0; c < count_column; ++c) {
      std::string value = PQgetvalue(result, r, c);
      int64_t code = 0;
      row.key.push_back(group_by[c] == hub::v1::STATUS && absl::SimpleAtoi(value, &code)
                            ? StatusCodeName(code)
                            : value);
    }
    row.count = count;
    rows.push_back(std::move(row));
  }
  PQclear(result);
  return rows;
}

}  // namespace ndxp::gateway::statistics
