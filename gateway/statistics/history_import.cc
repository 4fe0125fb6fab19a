#include "gateway/statistics/history_import.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/identifiers/agency_code.h"
#include "common/identifiers/civil_date.h"
#include "common/sqlite/sqlite.h"
#include "common/status/status_util.h"
#include "common/identity/spiffe_id.h"
#include "gateway/recording/sqlite_transaction_store.h"
#include "gateway/statistics/periods.h"
#include "gateway/statistics/status_codes.h"

namespace ndxp::gateway::statistics {
namespace {

using ::ndxp::SqliteDatabase;
using ::ndxp::SqliteStatement;
using ::ndxp::SqliteTransaction;

constexpr absl::string_view kColumns[] = {"day",    "consumer", "provider", "service",
                                          "method", "status",   "count"};
constexpr size_t kColumnCount = sizeof(kColumns) / sizeof(kColumns[0]);
constexpr absl::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr int64_t kMaxCount = std::numeric_limits<int64_t>::max();

// Stays within the statement's check: count + excluded.count <= kMaxCount.
// History has no via: it is counted as direct calls' (via '').
constexpr char kUpsertCounter[] =
    "INSERT INTO counters (day, consumer, provider, service, method, status_code, count) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (day, consumer, via, provider, service, method, status_code) "
    "DO UPDATE SET count = count + excluded.count "
    "WHERE count <= 9223372036854775807 - excluded.count";

using CounterKey =
    std::tuple<absl::CivilDay, std::string, std::string, std::string, std::string, int>;

// A value for a message: quoted, escaped, and cut short if long.
std::string Quote(absl::string_view value) {
  constexpr size_t kMaxShown = 80;
  if (value.size() > kMaxShown) {
    return absl::StrCat("\"", absl::CHexEscape(value.substr(0, kMaxShown)), "\"...");
  }
  return absl::StrCat("\"", absl::CHexEscape(value), "\"");
}

absl::string_view ColumnName(size_t index) {
  return index < kColumnCount ? kColumns[index] : "field";
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Splits one line into fields (see the file comment of history_import.h for
// the CSV accepted). On error, returns the index of the offending field and
// the reason in *error.
bool SplitCsvLine(absl::string_view line, std::vector<std::string>* fields,
                  std::pair<size_t, std::string>* error) {
  fields->clear();
  const size_t n = line.size();
  size_t i = 0;
  for (;;) {
    const size_t index = fields->size();
    size_t j = i;
    while (j < n && IsBlank(line[j])) ++j;
    if (j < n && line[j] == '"') {
      std::string value;
      size_t k = j + 1;
      bool closed = false;
      while (k < n) {
        if (line[k] == '"') {
          if (k + 1 < n && line[k + 1] == '"') {
            value.push_back('"');
            k += 2;
            continue;
          }
          closed = true;
          ++k;
          break;
        }
        value.push_back(line[k++]);
      }
      if (!closed) {
        *error = {index, "has an unterminated quote (quoted fields cannot span lines)"};
        return false;
      }
      while (k < n && IsBlank(line[k])) ++k;
      if (k < n && line[k] != ',') {
        *error = {index, "has text after its closing quote"};
        return false;
      }
      fields->push_back(std::move(value));
      if (k == n) return true;
      i = k + 1;
      continue;
    }
    const size_t comma = line.find(',', i);
    const absl::string_view raw =
        line.substr(i, comma == absl::string_view::npos ? absl::string_view::npos : comma - i);
    if (absl::StrContains(raw, '"')) {
      *error = {index, "has a quote inside an unquoted field (quote the whole field)"};
      return false;
    }
    fields->emplace_back(absl::StripAsciiWhitespace(raw));
    if (comma == absl::string_view::npos) return true;
    i = comma + 1;
  }
}

// 'YYYY-MM-DD' of a real day, or nullopt.
std::optional<absl::CivilDay> ParseDay(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  int year = 0, month = 0, day = 0;
  if (!absl::SimpleAtoi(text.substr(0, 4), &year) ||
      !absl::SimpleAtoi(text.substr(5, 2), &month) ||
      !absl::SimpleAtoi(text.substr(8, 2), &day)) {
    return std::nullopt;
  }
  if (!identifiers::CivilDate{year, month, day}.IsValid()) return std::nullopt;
  return absl::CivilDay(year, month, day);
}

// Why `consumer` is not "agency" or "agency/subsystem"; empty when it is.
std::string CheckConsumer(absl::string_view consumer) {
  const size_t slash = consumer.find('/');
  const absl::string_view agency = consumer.substr(0, slash);
  if (!identifiers::IsValidAgencyCode(agency)) {
    return absl::StrCat(Quote(consumer), " does not start with an agency code (expected "
                                         "\"agency\" or \"agency/subsystem\", e.g. "
                                         "\"000.00.00.G12/tax-lookup\")");
  }
  if (slash == absl::string_view::npos) return "";
  const absl::string_view subsystem = consumer.substr(slash + 1);
  if (!IsValidSubsystemName(subsystem)) {
    return absl::StrCat(Quote(consumer), " has an invalid subsystem ", Quote(subsystem),
                        " (expected [a-z0-9][a-z0-9._-]{0,62})");
  }
  return "";
}

// INVALID_ARGUMENT "<source>:<line>: <column> <reason>".
class LineError {
 public:
  LineError(const std::string& source_name, int64_t line)
      : source_name_(source_name), line_(line) {}
  absl::Status operator()(absl::string_view column, absl::string_view reason) const {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name_, ":", line_, ": ", column, " ", reason));
  }

 private:
  const std::string& source_name_;
  const int64_t line_;
};

}  // namespace

absl::StatusOr<HistoryCsv> ParseHistoryCsv(std::istream& csv, const std::string& source_name) {
  const std::string expected_header = absl::StrJoin(kColumns, ",");
  std::map<CounterKey, int64_t> counts;
  HistoryCsv result;
  ImportSummary& summary = result.summary;

  std::string text;
  std::vector<std::string> fields;
  std::pair<size_t, std::string> split_error;
  int64_t line_number = 0;
  bool have_header = false;
  while (std::getline(csv, text)) {
    ++line_number;
    absl::string_view line = text;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const LineError error(source_name, line_number);

    if (!have_header) {
      if (absl::StartsWith(line, kByteOrderMark)) line.remove_prefix(kByteOrderMark.size());
      if (!SplitCsvLine(line, &fields, &split_error) ||
          absl::StrJoin(fields, ",") != expected_header) {
        return error("header", absl::StrCat("must be ", expected_header, ", not ",
                                            Quote(line)));
      }
      have_header = true;
      continue;
    }
    if (absl::StripAsciiWhitespace(line).empty()) continue;

    if (!SplitCsvLine(line, &fields, &split_error)) {
      return error(ColumnName(split_error.first), split_error.second);
    }
    if (fields.size() != kColumnCount) {
      return error("line", absl::StrCat("has ", fields.size(), " fields, expected ",
                                        kColumnCount, " (", expected_header, ")"));
    }
    const std::string& day_text = fields[0];
    std::string& consumer = fields[1];
    std::string& provider = fields[2];
    std::string& service = fields[3];
    std::string& method = fields[4];
    const std::string& status_text = fields[5];
    const std::string& count_text = fields[6];

    const std::optional<absl::CivilDay> day = ParseDay(day_text);
    if (!day.has_value()) {
      return error("day", absl::StrCat(Quote(day_text), " is not a real date YYYY-MM-DD"));
    }
    if (std::string reason = CheckConsumer(consumer); !reason.empty()) {
      return error("consumer", reason);
    }
    if (!identifiers::IsValidAgencyCode(provider)) {
      return error("provider",
                   absl::StrCat(Quote(provider),
                                " is not an agency code (dot-separated groups of [0-9A-Z], "
                                "e.g. \"000.00.00.H49\")"));
    }
    if (service.empty()) return error("service", "is empty");
    if (absl::StrContains(service, '/')) {
      return error("service", absl::StrCat(Quote(service),
                                           " contains '/' (expected the full service name, "
                                           "e.g. \"ndxp.residents.v1.ResidentRegistry\")"));
    }
    if (method.empty()) return error("method", "is empty");
    if (absl::StrContains(method, '/')) {
      return error("method", absl::StrCat(Quote(method),
                                          " contains '/' (expected the bare method name, "
                                          "e.g. \"GetCitizen\")"));
    }
    const std::optional<int> status = ParseStatusCode(status_text);
    if (!status.has_value()) {
      return error("status", absl::StrCat(Quote(status_text),
                                          " is not a gRPC status code name (\"OK\", "
                                          "\"NOT_FOUND\", ...) or number 0..16"));
    }
    int64_t count = 0;
    const bool digits_only =
        !count_text.empty() && std::all_of(count_text.begin(), count_text.end(), [](char c) {
          return absl::ascii_isdigit(static_cast<unsigned char>(c));
        });
    if (!digits_only) {
      return error("count", absl::StrCat(Quote(count_text), " is not a non-negative integer"));
    }
    if (!absl::SimpleAtoi(count_text, &count)) {
      return error("count", absl::StrCat(Quote(count_text), " is out of range (at most ",
                                         kMaxCount, ")"));
    }

    int64_t& sum = counts[CounterKey(*day, std::move(consumer), std::move(provider),
                                     std::move(service), std::move(method), *status)];
    if (sum > kMaxCount - count) {
      return error("count", absl::StrCat("makes the sum of this counter's rows exceed ",
                                         kMaxCount));
    }
    sum += count;
    if (summary.total_count > kMaxCount - count) {
      return error("count", absl::StrCat("makes the file's total exceed ", kMaxCount));
    }
    summary.total_count += count;
    ++summary.rows;
    if (!summary.first_day.has_value() || *day < *summary.first_day) summary.first_day = *day;
    if (!summary.last_day.has_value() || *day > *summary.last_day) summary.last_day = *day;
  }
  if (csv.bad()) {
    return absl::DataLossError(
        absl::StrCat(source_name, ":", line_number + 1, ": read error"));
  }
  if (!have_header) {
    return LineError(source_name, 1)("header", absl::StrCat("is missing (the file is empty; "
                                                            "expected ",
                                                            expected_header, ")"));
  }

  result.counters.reserve(counts.size());
  for (auto& [key, count] : counts) {
    auto& [day, consumer, provider, service, method, status_code] = key;
    result.counters.push_back(HistoryCounter{day, consumer, provider, service, method,
                                             status_code, count});
  }
  return result;
}

absl::StatusOr<ImportSummary> ImportHistoryCsv(const std::string& database_path,
                                               std::istream& csv,
                                               const std::string& source_name) {
  NDXP_ASSIGN_OR_RETURN(HistoryCsv history, ParseHistoryCsv(csv, source_name));

  // The hub's store owns the schema: let it create the file and the tables
  // (an import may come before the hub's first start). It appends nothing;
  // its zone and replica name are only used for appending.
  {
    SqliteTransactionStore::Options options;
    options.time_zone = "UTC";
    options.replica = "history-import";
    NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteTransactionStore> store,
                          SqliteTransactionStore::Open(database_path, options));
  }
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db,
                        SqliteDatabase::Open(database_path));
  NDXP_ASSIGN_OR_RETURN(SqliteStatement upsert, db->Prepare(kUpsertCounter));
  // Destroyed uncommitted (any early return below): rolled back, nothing imported.
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db));
  for (const HistoryCounter& counter : history.counters) {
    NDXP_RETURN_IF_ERROR(upsert.BindAll(FormatDay(counter.day), counter.consumer,
                                        counter.provider, counter.service, counter.method,
                                        counter.status_code, counter.count));
    NDXP_RETURN_IF_ERROR(upsert.Run());
    if (db->Changes() != 1) {
      return absl::OutOfRangeError(absl::StrCat(
          source_name, ": counter ", FormatDay(counter.day), " ", counter.consumer, " ",
          counter.provider, " ", counter.service, "/", counter.method, " ",
          StatusCodeName(counter.status_code), " would exceed ", kMaxCount,
          " with the existing count; nothing imported"));
    }
  }
  upsert.Reset();  // a statement must not be mid-step at COMMIT
  NDXP_RETURN_IF_ERROR(txn.Commit());
  return history.summary;
}

}  // namespace ndxp::gateway::statistics
