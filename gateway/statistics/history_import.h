// Importing transaction counts from before the hub existed, so that
// year-on-year growth works from day one (docs/design.md "Statistics"), into
// the hub's SQLite file or the PostgreSQL database its replicas share, while
// the hub runs.
//
// Each import is a batch, named by `--batch ID` or, by default,
// "sha256:<the file's SHA-256>". Its counts are kept apart from the hub's own
// counters, in history_counters under the batch's row in history_batches
// (id, batch, sha256, source, state, started, finished, rows, total; both
// stores create these tables with the rest of the hub's schema), and the
// statistics add the two (counter_reader.h). A batch counts only once it is
// complete:
//   1. one short transaction checks that neither the batch nor the same file
//      (by SHA-256) is already imported, and claims the batch ('importing');
//   2. its counters are written a bounded number per transaction (the write
//      lock is released between them, so a live hub's commits go on);
//   3. one short transaction marks it 'complete' (and, with `replace`, the
//      batch it replaces 'replaced'): readers see the old counts or the new
//      ones, never both and never half;
//   4. the replaced batch's rows are deleted, again a bounded number per
//      transaction.
// A batch already complete is refused (ALREADY_EXISTS naming it and when it
// was imported), unless `replace`. An import that stops half-way (an error,
// a crash, kill -9) leaves an 'importing' batch that no statistic counts; the
// next import of the same batch name or file discards its rows and starts
// again. Two imports of the same batch must not run at once (the second
// discards the first, which then fails; nothing is counted twice).
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
//   ImportOptions options;
//   options.batch = "archive-2025";
//   NDXP_ASSIGN_OR_RETURN(ImportSummary summary,
//                         ImportHistoryCsv("/var/lib/ndxp/hub.db", csv, "history-2025.csv",
//                                          options));
//   // summary.rows, summary.total_count, *summary.first_day, *summary.last_day
//
// All or nothing: the whole file is validated before the database is touched;
// the first bad line is INVALID_ARGUMENT "<source>:<line>: <column> <reason>"
// and nothing is imported. Memory grows with the number of distinct counters
// in the file, not with its length (repeated keys are summed first).
#ifndef NDXP_GATEWAY_STATISTICS_HISTORY_IMPORT_H_
#define NDXP_GATEWAY_STATISTICS_HISTORY_IMPORT_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace ndxp::gateway::statistics {

// A batch as history_batches keeps it.
struct ImportedBatch {
  std::string batch;
  std::string sha256;    // the file's, lower-case hex
  std::string source;    // the file's name as given
  std::string imported;  // when it was completed, "2026-12-01T17:40:00Z" (UTC)
  int64_t rows = 0;
  int64_t total_count = 0;
};

struct ImportSummary {
  int64_t rows = 0;         // data lines read (a repeated key counts each time)
  int64_t total_count = 0;  // the sum of their counts
  std::optional<absl::CivilDay> first_day;  // nullopt when the file has no rows
  std::optional<absl::CivilDay> last_day;
  std::string sha256;       // of the file's bytes, lower-case hex
  // Filled by an import:
  std::string batch;                     // the batch's name
  int64_t counters = 0;                  // distinct counters written
  std::optional<ImportedBatch> replaced;  // the batch this one replaced
  int64_t discarded_unfinished = 0;      // unfinished imports of it discarded first
};

// How far an import is: after each transaction of counters commits.
struct ImportProgress {
  int64_t counters_written = 0;
  int64_t counters = 0;  // in all
};

struct ImportOptions {
  // The batch's name; empty: "sha256:<the file's SHA-256>". At most 128
  // printable ASCII characters.
  std::string batch;
  // Replace the counts of a complete batch of the same name instead of
  // refusing the import.
  bool replace = false;
  // Counters written per transaction: what bounds how long a live hub's
  // commits wait for the import (one transaction's time; docs/operations.md
  // has a measurement).
  int64_t counters_per_transaction = 2000;
  // Called after each transaction of counters, outside any transaction.
  std::function<void(const ImportProgress&)> progress;
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
  ImportSummary summary;                 // rows, total, days and sha256
};

// Parses and validates a history file without touching any database (the
// first half of ImportHistoryCsv; the entry point for fuzzing).
// INVALID_ARGUMENT "<source_name>:<line>: <column> <reason>" for the first bad
// line (line 1 is the header); DATA_LOSS when reading `csv` fails.
absl::StatusOr<HistoryCsv> ParseHistoryCsv(std::istream& csv, const std::string& source_name);

// Parses `csv` as ParseHistoryCsv, then imports it as a batch (see the file
// comment) into the hub database at `database_path`, creating the file and
// the hub's schema if needed. ALREADY_EXISTS, importing nothing, when the
// batch or the same file is already imported (and not `replace`);
// INVALID_ARGUMENT for a bad batch name; UNAVAILABLE when the database stays
// busy past its timeout or cannot be opened. On any error no count changes.
absl::StatusOr<ImportSummary> ImportHistoryCsv(const std::string& database_path,
                                               std::istream& csv,
                                               const std::string& source_name,
                                               const ImportOptions& options = {});

// The same into the PostgreSQL database hub replicas share (a libpq
// connection string), creating the hub's schema there if needed.
absl::StatusOr<ImportSummary> ImportHistoryCsvToPostgres(const std::string& conninfo,
                                                         std::istream& csv,
                                                         const std::string& source_name,
                                                         const ImportOptions& options = {});

}  // namespace ndxp::gateway::statistics

#endif  // NDXP_GATEWAY_STATISTICS_HISTORY_IMPORT_H_
