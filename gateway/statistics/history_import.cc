#include "gateway/statistics/history_import.h"

#include <openssl/evp.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/identifiers/agency_code.h"
#include "common/identifiers/civil_date.h"
#include "common/identity/spiffe_id.h"
#include "common/status/status_util.h"
#include "common/tls/openssl_ptr.h"
#include "gateway/recording/postgres/postgres_transaction_store.h"
#include "gateway/recording/sqlite_transaction_store.h"
#include "gateway/statistics/history_database.h"
#include "gateway/statistics/periods.h"
#include "gateway/statistics/status_codes.h"

namespace ndxp::gateway::statistics {
namespace {

constexpr absl::string_view kColumns[] = {"day",    "consumer", "provider", "service",
                                          "method", "status",   "count"};
constexpr size_t kColumnCount = sizeof(kColumns) / sizeof(kColumns[0]);
constexpr absl::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr int64_t kMaxCount = std::numeric_limits<int64_t>::max();

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

// SHA-256 of the bytes fed to it, as sha256sum prints it.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  void Update(absl::string_view bytes) { EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()); }
  std::string Hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &length);
    return absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(digest), length));
  }

 private:
  MdCtxPtr ctx_;
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
  Sha256 sha256;
  while (std::getline(csv, text)) {
    ++line_number;
    // The file's exact bytes: the last line may lack its newline.
    sha256.Update(text);
    if (!csv.eof()) sha256.Update("\n");
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

  summary.sha256 = sha256.Hex();
  result.counters.reserve(counts.size());
  for (auto& [key, count] : counts) {
    auto& [day, consumer, provider, service, method, status_code] = key;
    result.counters.push_back(HistoryCounter{day, consumer, provider, service, method,
                                             status_code, count});
  }
  return result;
}

namespace {

// One INSERT writes up to this many counters (8 parameters each: well inside
// both stores' limits on parameters per statement).
constexpr size_t kCountersPerStatement = 500;
constexpr size_t kMaxBatchName = 128;

constexpr char kSelectBatches[] =
    "SELECT id, batch, sha256, source, finished, rows, total FROM history_batches ";

// Rows of one batch, a bounded number at a time (the key's columns name them:
// the table has no row id in PostgreSQL).
constexpr char kDeleteCounters[] =
    "DELETE FROM history_counters WHERE batch_id = $1 AND "
    "(day, consumer, provider, service, method, status_code) IN "
    "(SELECT day, consumer, provider, service, method, status_code FROM history_counters "
    "WHERE batch_id = $1 LIMIT $2)";

std::string NowUtc() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
}

// A history_batches row of kSelectBatches.
struct BatchRow {
  int64_t id = 0;
  ImportedBatch batch;
};

absl::StatusOr<std::vector<BatchRow>> SelectBatches(HistoryDatabase& db, const std::string& where,
                                                    absl::Span<const SqlValue> params) {
  NDXP_ASSIGN_OR_RETURN(SqlRows rows, db.Query(absl::StrCat(kSelectBatches, where), params));
  std::vector<BatchRow> batches;
  for (const std::vector<std::string>& row : rows) {
    BatchRow& batch = batches.emplace_back();
    if (row.size() != 7 || !absl::SimpleAtoi(row[0], &batch.id) ||
        !absl::SimpleAtoi(row[5], &batch.batch.rows) ||
        !absl::SimpleAtoi(row[6], &batch.batch.total_count)) {
      return absl::InternalError("history_batches: unexpected row");
    }
    batch.batch.batch = row[1];
    batch.batch.sha256 = row[2];
    batch.batch.source = row[3];
    batch.batch.imported = row[4];
  }
  return batches;
}

// Runs `work` in one write transaction, rolled back if it fails.
absl::Status InTransaction(HistoryDatabase& db, const std::function<absl::Status()>& work) {
  NDXP_RETURN_IF_ERROR(db.Begin());
  if (absl::Status status = work(); !status.ok()) {
    db.Rollback();
    return status;
  }
  return db.Commit();
}

// Deletes a batch that no statistic counts (unfinished or replaced): its
// counters `per_transaction` at a time, then its row.
absl::Status DeleteBatch(HistoryDatabase& db, int64_t id, int64_t per_transaction) {
  bool done = false;
  const auto delete_some = [&]() -> absl::Status {
    NDXP_ASSIGN_OR_RETURN(int64_t deleted,
                          db.Run(kDeleteCounters, {SqlValue(id), SqlValue(per_transaction)}));
    if (deleted > 0) return absl::OkStatus();
    done = true;
    return db.Run("DELETE FROM history_batches WHERE id = $1", {SqlValue(id)}).status();
  };
  while (!done) NDXP_RETURN_IF_ERROR(InTransaction(db, delete_some));
  return absl::OkStatus();
}

std::string Describe(const ImportedBatch& batch) {
  return absl::StrCat("batch \"", batch.batch, "\" was imported at ", batch.imported, " from ",
                      batch.source, " (", batch.rows, " rows, ", batch.total_count,
                      " transactions, sha256 ", batch.sha256, ")");
}

absl::Status CheckBatchName(absl::string_view name) {
  if (name.size() > kMaxBatchName) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch name is longer than ", kMaxBatchName, " characters"));
  }
  for (char c : name) {
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch name \"", absl::CHexEscape(name),
                       "\" has a character that is not printable ASCII"));
    }
  }
  return absl::OkStatus();
}

// Step 1 of the file comment: refuses a batch already imported, claims this
// one and lists the batches it makes obsolete (unfinished imports of the same
// name or file, replaced batches whose rows are still there).
absl::Status ClaimBatch(HistoryDatabase& db, const HistoryCsv& history,
                        const std::string& source_name, const ImportOptions& options,
                        ImportSummary& summary, int64_t* id, std::vector<int64_t>* obsolete) {
  return InTransaction(db, [&]() -> absl::Status {
    NDXP_ASSIGN_OR_RETURN(
        std::vector<BatchRow> complete,
        SelectBatches(db, "WHERE state = 'complete' AND (batch = $1 OR sha256 = $2)",
                      {SqlValue(summary.batch), SqlValue(summary.sha256)}));
    for (const BatchRow& row : complete) {
      if (row.batch.batch != summary.batch) {
        return absl::AlreadyExistsError(absl::StrCat(
            "this file (sha256 ", summary.sha256, ") is already imported: ", Describe(row.batch),
            "; to replace those counts, import it with --batch \"", row.batch.batch,
            "\" --replace"));
      }
      if (!options.replace) {
        return absl::AlreadyExistsError(absl::StrCat(
            Describe(row.batch), "; importing it again would count it twice (--replace "
                                 "replaces its counts)"));
      }
    }
    NDXP_ASSIGN_OR_RETURN(
        std::vector<BatchRow> unfinished,
        SelectBatches(db,
                      "WHERE state = 'replaced' OR (state = 'importing' AND "
                      "(batch = $1 OR sha256 = $2))",
                      {SqlValue(summary.batch), SqlValue(summary.sha256)}));
    for (const BatchRow& row : unfinished) obsolete->push_back(row.id);
    NDXP_ASSIGN_OR_RETURN(
        SqlRows inserted,
        db.Query("INSERT INTO history_batches (batch, sha256, source, state, started, rows, "
                 "total) VALUES ($1, $2, $3, 'importing', $4, $5, $6) RETURNING id",
                 {SqlValue(summary.batch), SqlValue(summary.sha256), SqlValue(source_name),
                  SqlValue(NowUtc()), SqlValue(history.summary.rows),
                  SqlValue(history.summary.total_count)}));
    if (inserted.size() != 1 || !absl::SimpleAtoi(inserted[0][0], id)) {
      return absl::InternalError("history_batches: no id for the new batch");
    }
    summary.discarded_unfinished = static_cast<int64_t>(unfinished.size());
    return absl::OkStatus();
  });
}

// Step 2: the counters, `per_transaction` in each transaction.
absl::Status WriteCounters(HistoryDatabase& db, int64_t id,
                           const std::vector<HistoryCounter>& counters,
                           const ImportOptions& options, int64_t per_transaction) {
  const size_t step = static_cast<size_t>(per_transaction);
  for (size_t begin = 0; begin < counters.size(); begin += step) {
    const size_t end = std::min(counters.size(), begin + step);
    const auto write = [&]() -> absl::Status {
      for (size_t first = begin; first < end; first += kCountersPerStatement) {
        const size_t last = std::min(end, first + kCountersPerStatement);
        std::string sql =
            "INSERT INTO history_counters (batch_id, day, consumer, provider, service, method, "
            "status_code, count) VALUES ";
        std::vector<SqlValue> params;
        params.reserve((last - first) * 8);
        for (size_t i = first; i < last; ++i) {
          const HistoryCounter& c = counters[i];
          const size_t n = params.size();
          absl::StrAppend(&sql, i == first ? "" : ", ", "($", n + 1, ", $", n + 2, ", $", n + 3,
                          ", $", n + 4, ", $", n + 5, ", $", n + 6, ", $", n + 7, ", $", n + 8,
                          ")");
          params.insert(params.end(),
                        {SqlValue(id), SqlValue(FormatDay(c.day)), SqlValue(c.consumer),
                         SqlValue(c.provider), SqlValue(c.service), SqlValue(c.method),
                         SqlValue(int64_t{c.status_code}), SqlValue(c.count)});
        }
        NDXP_RETURN_IF_ERROR(db.Run(sql, params).status());
      }
      return absl::OkStatus();
    };
    NDXP_RETURN_IF_ERROR(InTransaction(db, write));
    if (options.progress) {
      options.progress({static_cast<int64_t>(end), static_cast<int64_t>(counters.size())});
    }
  }
  return absl::OkStatus();
}

// Step 3: the batch counts from now on, in place of the one it replaces.
absl::Status CompleteBatch(HistoryDatabase& db, int64_t id, const ImportOptions& options,
                           ImportSummary& summary, std::optional<int64_t>* replaced_id) {
  return InTransaction(db, [&]() -> absl::Status {
    // Looked for again: another import of the name may have completed meanwhile.
    NDXP_ASSIGN_OR_RETURN(std::vector<BatchRow> complete,
                          SelectBatches(db, "WHERE state = 'complete' AND batch = $1",
                                        {SqlValue(summary.batch)}));
    if (!complete.empty()) {
      if (!options.replace) {
        return absl::AlreadyExistsError(
            absl::StrCat(Describe(complete[0].batch), " while this import ran"));
      }
      NDXP_RETURN_IF_ERROR(
          db.Run("UPDATE history_batches SET state = 'replaced' WHERE id = $1",
                 {SqlValue(complete[0].id)})
              .status());
      summary.replaced = complete[0].batch;
      *replaced_id = complete[0].id;
    }
    NDXP_ASSIGN_OR_RETURN(
        int64_t changed,
        db.Run("UPDATE history_batches SET state = 'complete', finished = $1 "
               "WHERE id = $2 AND state = 'importing'",
               {SqlValue(NowUtc()), SqlValue(id)}));
    if (changed != 1) {
      return absl::AbortedError(absl::StrCat(
          "another import of batch \"", summary.batch, "\" discarded this one meanwhile"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<ImportSummary> ImportBatch(HistoryDatabase& db, const HistoryCsv& history,
                                          const std::string& source_name,
                                          const ImportOptions& options) {
  ImportSummary summary = history.summary;
  summary.batch = options.batch.empty() ? absl::StrCat("sha256:", summary.sha256) : options.batch;
  summary.counters = static_cast<int64_t>(history.counters.size());
  NDXP_RETURN_IF_ERROR(CheckBatchName(summary.batch));
  const int64_t per_transaction = std::max<int64_t>(1, options.counters_per_transaction);

  int64_t id = 0;
  std::vector<int64_t> obsolete;
  NDXP_RETURN_IF_ERROR(ClaimBatch(db, history, source_name, options, summary, &id, &obsolete));
  std::optional<int64_t> replaced_id;
  absl::Status status = [&]() -> absl::Status {
    for (int64_t obsolete_id : obsolete) {
      NDXP_RETURN_IF_ERROR(DeleteBatch(db, obsolete_id, per_transaction));
    }
    NDXP_RETURN_IF_ERROR(WriteCounters(db, id, history.counters, options, per_transaction));
    return CompleteBatch(db, id, options, summary, &replaced_id);
  }();
  if (!status.ok()) {
    // Never counted; if this fails too, the next import of the batch does it.
    (void)DeleteBatch(db, id, per_transaction);
    return status;
  }
  // Step 4. No longer counted, so a failure here changes no figure: the next
  // import deletes what is left.
  if (replaced_id.has_value()) (void)DeleteBatch(db, *replaced_id, per_transaction);
  return summary;
}

// Parses `csv`, lets the hub's store create the schema (an import may come
// before the hub's first start; the store appends nothing, its zone and
// replica name serve only appending), then imports into the database
// `open` opens.
template <typename Store>
absl::StatusOr<ImportSummary> ParseAndImport(
    const std::string& target, std::istream& csv, const std::string& source_name,
    const ImportOptions& options,
    absl::StatusOr<std::unique_ptr<HistoryDatabase>> (*open)(const std::string&)) {
  NDXP_ASSIGN_OR_RETURN(HistoryCsv history, ParseHistoryCsv(csv, source_name));
  {
    typename Store::Options store_options;
    store_options.time_zone = "UTC";
    store_options.replica = "history-import";
    NDXP_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(target, store_options));
  }
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<HistoryDatabase> db, open(target));
  return ImportBatch(*db, history, source_name, options);
}

}  // namespace

absl::StatusOr<ImportSummary> ImportHistoryCsv(const std::string& database_path,
                                               std::istream& csv,
                                               const std::string& source_name,
                                               const ImportOptions& options) {
  return ParseAndImport<SqliteTransactionStore>(database_path, csv, source_name, options,
                                                &OpenSqliteHistoryDatabase);
}

absl::StatusOr<ImportSummary> ImportHistoryCsvToPostgres(const std::string& conninfo,
                                                         std::istream& csv,
                                                         const std::string& source_name,
                                                         const ImportOptions& options) {
  return ParseAndImport<PostgresTransactionStore>(conninfo, csv, source_name, options,
                                                  &OpenPostgresHistoryDatabase);
}

}  // namespace ndxp::gateway::statistics
