// Reading the hub's per-day transaction counters (the `counters` table the
// SqliteTransactionStore keeps, see gateway/recording/sqlite_transaction_store.h,
// with the imported history of history_import.h) as sums over a range of
// days, grouped by the statistics dimensions.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteCounterReader> reader,
//                         SqliteCounterReader::Open("/var/lib/ndxp/hub.db"));
//   NDXP_ASSIGN_OR_RETURN(
//       std::vector<CounterRow> rows,
//       reader->Sum(absl::CivilDay(2026, 1, 1), absl::CivilDay(2026, 6, 30),
//                   {hub::v1::CONSUMER, hub::v1::STATUS}, hub::v1::FORWARDED,
//                   /*door=*/std::nullopt));
//   // rows: {{"000.00.00.G12/tax-lookup", "OK"}, 1670}, ...
//
// Keys: CONSUMER "agency/subsystem", PROVIDER the agency code, SERVICE the
// full service name, METHOD "service/method", STATUS the canonical gRPC code
// name ("OK", "NOT_FOUND"; see status_codes.h), VIA the peer hub's
// "agency/subsystem" ("" for direct calls and imported history), DOOR the
// door's name (DoorName; "grpc" for imported history, which has no door).
#ifndef NDXP_GATEWAY_STATISTICS_COUNTER_READER_H_
#define NDXP_GATEWAY_STATISTICS_COUNTER_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "common/sqlite/sqlite.h"
#include "gateway/call/call_kinds.h"
#include "ndxp/hub/v1/statistics.pb.h"

namespace ndxp::gateway::statistics {

// The sum of the counters sharing one combination of dimension values.
struct CounterRow {
  std::vector<std::string> key;  // one value per dimension asked for, in order
  int64_t count = 0;

  friend bool operator==(const CounterRow& a, const CounterRow& b) {
    return a.key == b.key && a.count == b.count;
  }
};

// `group_by` of a request as dimensions: INVALID_ARGUMENT
// "group_by[1]: unknown dimension ..." for DIMENSION_UNSPECIFIED or a number
// the API does not define, "group_by[2]: duplicate dimension CONSUMER ..." for
// a repeat.
absl::StatusOr<std::vector<hub::v1::Dimension>> ParseGroupBy(
    const google::protobuf::RepeatedField<int>& group_by);

// Sums of per-day counters. Implementations are thread-safe.
class CounterReader {
 public:
  virtual ~CounterReader() = default;

  // The counters of `calls` (the forwarded calls' with the imported
  // history, or those of the calls the hub refused itself) of days `from` ..
  // `to` (both included), of the calls that came in by `door` (nullopt:
  // every door), summed per distinct combination of `group_by` values; with
  // an empty `group_by`, at most one row, with an empty key.
  // Groups summing to 0 are left out, so no counters means no rows. Rows
  // come in no particular order. INVALID_ARGUMENT for an unknown or repeated
  // dimension or an unknown `calls`.
  virtual absl::StatusOr<std::vector<CounterRow>> Sum(
      absl::CivilDay from, absl::CivilDay to, const std::vector<hub::v1::Dimension>& group_by,
      hub::v1::Calls calls, std::optional<Door> door) = 0;
};

// A CounterReader on the hub's SQLite file: one GROUP BY query per Sum, over
// the day range of the counters' primary key (days compared as 'YYYY-MM-DD'
// text). The connection never writes: it is opened with PRAGMA query_only
// (read-write at the file level only because reading a WAL database needs its
// shared-memory file). A running hub writing the file meanwhile is harmless:
// each Sum reads one snapshot. Thread-safe: calls are serialised on one
// connection (statistics queries are rare and short; open several readers for
// parallel queries).
// The query both stores answer: the dimensions' values and SUM(count) over
// the counters of days `from`..`to` (SQL parameter placeholders, each used
// twice) of the calls in by `door` (nullopt: every door), grouped.
// FORWARDED: the hub's own counters and the complete batches of imported
// history together; REFUSED_BY_HUB: the counters of the calls it refused
// (`refused_counters`).
// `group_by` and `calls` must have passed CheckGroupBy and CheckCalls.
std::string SumCountersSql(const std::vector<hub::v1::Dimension>& group_by,
                           absl::string_view from, absl::string_view to, hub::v1::Calls calls,
                           std::optional<Door> door);

// INVALID_ARGUMENT naming the index of an unknown or repeated dimension.
absl::Status CheckGroupBy(const std::vector<hub::v1::Dimension>& group_by);

// INVALID_ARGUMENT "calls: unknown value 7 ..." for a value the API does not
// define.
absl::Status CheckCalls(hub::v1::Calls calls);

// Counter days as stored: 'YYYY-MM-DD' text, compared as text, which orders
// like days for years 0..9999.
inline constexpr absl::CivilDay kFirstTextDay(0, 1, 1);
inline constexpr absl::CivilDay kLastTextDay(9999, 12, 31);

class SqliteCounterReader final : public CounterReader {
 public:
  // NOT_FOUND when `path` is not a file or lacks the counters tables (the hub
  // creates both on first start); UNAVAILABLE when it cannot be opened.
  static absl::StatusOr<std::unique_ptr<SqliteCounterReader>> Open(const std::string& path);

  SqliteCounterReader(const SqliteCounterReader&) = delete;
  SqliteCounterReader& operator=(const SqliteCounterReader&) = delete;

  absl::StatusOr<std::vector<CounterRow>> Sum(absl::CivilDay from, absl::CivilDay to,
                                               const std::vector<hub::v1::Dimension>& group_by,
                                               hub::v1::Calls calls,
                                               std::optional<Door> door) override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit SqliteCounterReader(std::unique_ptr<::ndxp::SqliteDatabase> db)
      : db_(std::move(db)) {}

  absl::Mutex mu_;
  const std::unique_ptr<::ndxp::SqliteDatabase> db_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace ndxp::gateway::statistics

#endif  // NDXP_GATEWAY_STATISTICS_COUNTER_READER_H_
