// Importing transaction counts from before the hub existed, so that
// year-on-year growth works from day one (docs/design.md "Statistics"). The counts
// are ADDED to the hub's per-day counters, exactly as if the hub had recorded
// those transactions itself (importing a file twice counts it twice).
//
// The file is CSV, one counter per line, with this header line:
//   day,consumer,provider,service,method,status,count
//   2025-01-02,000.00.00.G12/tax-lookup,000.00.00.H49,ndxp.residents.v1.ResidentRegistry,GetCitizen,OK,1200
// where
//   day       a real date, YYYY-MM-DD, in the hub's time zone
//   consumer  "agency/subsystem" or just an agency code ("000.00.00.G12")
//   provider  an agency code (dot-separated groups of [0-9A-Z])
//   service   the full service name, non-empty
//   method    the bare method name ("GetCitizen"), non-empty, without '/'
//   status    a canonical gRPC code name ("OK", "NOT_FOUND") or its number 0..16
//   count     a non-negative integer (digits only)
// CSV, minimally: fields are separated by commas; a field may be enclosed in
// double quotes, and may then contain commas and doubled quotes ("") standing
// for one quote; a quoted field cannot span lines (no embedded newlines).
// Spaces around an unquoted field are ignored; CRLF line ends, blank lines and
// a UTF-8 byte-order mark are accepted.
//
// Example:
//   std::ifstream csv("history-2025.csv");
//   NDXP_ASSIGN_OR_RETURN(ImportSummary summary,
//                         ImportHistoryCsv("/var/lib/ndxp/hub.db", csv, "history-2025.csv"));
//   // summary.rows, summary.total_count, *summary.first_day, *summary.last_day
//
// All or nothing: the whole file is validated before the database is touched
// (so the write lock is held only for the inserts, in one transaction); the
// first bad line is INVALID_ARGUMENT "<source>:<line>: <column> <reason>" and
// nothing is imported. Memory grows with the number of distinct counters in
// the file, not with its length (repeated keys are summed first).
#ifndef NDXP_GATEWAY_STATISTICS_HISTORY_IMPORT_H_
#define NDXP_GATEWAY_STATISTICS_HISTORY_IMPORT_H_

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace ndxp::gateway::statistics {

struct ImportSummary {
  int64_t rows = 0;         // data lines read (a repeated key counts each time)
  int64_t total_count = 0;  // the sum of their counts
  std::optional<absl::CivilDay> first_day;  // nullopt when the file has no rows
  std::optional<absl::CivilDay> last_day;
};

// One counter of a history file (repeated keys already summed).
struct HistoryCounter {
  absl::CivilDay day;
  std::string consumer;
  std::string provider;
  std::string service;
  std::string method;
  int status_code = 0;
  int64_t count = 0;
};

struct HistoryCsv {
  std::vector<HistoryCounter> counters;  // distinct keys, ordered by key
  ImportSummary summary;
};

// Parses and validates a history file without touching any database (the
// first half of ImportHistoryCsv; the entry point for fuzzing).
// INVALID_ARGUMENT "<source_name>:<line>: <column> <reason>" for the first bad
// line (line 1 is the header); DATA_LOSS when reading `csv` fails.
absl::StatusOr<HistoryCsv> ParseHistoryCsv(std::istream& csv, const std::string& source_name);

// Parses `csv` as ParseHistoryCsv, then adds every counter to the `counters`
// table of the hub database at `database_path` (creating the file and the
// hub's schema if needed) in one transaction. OUT_OF_RANGE, importing nothing,
// if a counter would exceed 64 bits; UNAVAILABLE when the database is busy
// or cannot be opened.
absl::StatusOr<ImportSummary> ImportHistoryCsv(const std::string& database_path,
                                               std::istream& csv,
                                               const std::string& source_name);

}  // namespace ndxp::gateway::statistics

#endif  // NDXP_GATEWAY_STATISTICS_HISTORY_IMPORT_H_
