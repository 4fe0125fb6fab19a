#include "gateway/statistics/history_import.h"

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gateway/call/transaction_record.h"
#include "gateway/recording/sqlite_transaction_store.h"
#include "gateway/statistics/counter_reader.h"
#include "gateway/statistics/statistics_engine.h"
#include "gateway/statistics/statistics_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::statistics {
namespace {

using testing::AnchoredPeriod;
using testing::HubDatabase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using D = absl::CivilDay;

constexpr char kHeader[] = "day,consumer,provider,service,method,status,count\n";
constexpr char kGoodRow[] =
    "2025-01-02,000.00.00.G12/tax-lookup,000.00.00.H49,ndxp.residents.v1.ResidentRegistry,"
    "GetCitizen,OK,1200\n";

absl::StatusOr<ImportSummary> Import(const std::string& path, const std::string& csv) {
  std::istringstream in(csv);
  return ImportHistoryCsv(path, in, "history.csv");
}

absl::StatusOr<HistoryCsv> Parse(const std::string& csv) {
  std::istringstream in(csv);
  return ParseHistoryCsv(in, "history.csv");
}

TEST(ImportHistoryCsvTest, GoodFileIsABatchBesideTheHubsCounters) {
  HubDatabase db;
  db.Plant({{D(2025, 1, 2), 100}});
  const std::vector<std::string> hubs_own = db.Dump();
  const std::string csv = absl::StrCat(
      kHeader, kGoodRow,
      // consumer without subsystem, status by number, quoted fields
      "2025-01-03,000.00.00.G12,000.00.00.H49,ndxp.residents.v1.ResidentRegistry,"
      "GetCitizen,5,7\n",
      "\"2024-12-31\", \"000.00.01.B05/benefits\" ,000.00.00.K10,"
      "\"ndxp.documents.v1.Documents\",Verify,UNAVAILABLE,\"0\"\n",
      "2025-06-30,000.00.01.B05/benefits,000.00.00.K10,ndxp.documents.v1.Documents,"
      "Verify,DEADLINE_EXCEEDED,3\n");
  absl::StatusOr<ImportSummary> summary = Import(db.path(), csv);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->rows, 4);
  EXPECT_EQ(summary->total_count, 1210);
  EXPECT_EQ(summary->first_day, D(2024, 12, 31));
  EXPECT_EQ(summary->last_day, D(2025, 6, 30));
  EXPECT_EQ(summary->batch, "sha256:" + summary->sha256);
  EXPECT_EQ(summary->counters, 4);

  EXPECT_EQ(db.Dump(), hubs_own);  // the hub's counters are its own
  EXPECT_THAT(
      db.DumpHistory(),
      ElementsAre(
          "2024-12-31 000.00.01.B05/benefits 000.00.00.K10 ndxp.documents.v1.Documents "
          "Verify 14 0",
          "2025-01-02 000.00.00.G12/tax-lookup 000.00.00.H49 "
          "ndxp.residents.v1.ResidentRegistry GetCitizen 0 1200",
          "2025-01-03 000.00.00.G12 000.00.00.H49 ndxp.residents.v1.ResidentRegistry "
          "GetCitizen 5 7",
          "2025-06-30 000.00.01.B05/benefits 000.00.00.K10 ndxp.documents.v1.Documents "
          "Verify 4 3"));
  // The statistics count both.
  auto reader = SqliteCounterReader::Open(db.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto day = (*reader)->Sum(D(2025, 1, 2), D(2025, 1, 2), {}, hub::v1::FORWARDED, std::nullopt);
  ASSERT_TRUE(day.ok()) << day.status();
  ASSERT_EQ(day->size(), 1u);
  EXPECT_EQ(day->front().count, 1300);  // 100 + 1200

  // Importing the same file again is refused and counts nothing twice.
  absl::StatusOr<ImportSummary> again = Import(db.path(), csv);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(again.status().message()),
              HasSubstr(absl::StrCat("batch \"sha256:", summary->sha256, "\" was imported at ")));
  EXPECT_THAT(std::string(again.status().message()),
              HasSubstr("from history.csv (4 rows, 1210 transactions"));
  EXPECT_THAT(db.DumpHistory()[1], HasSubstr("GetCitizen 0 1200"));
}

// The batch's default name is the file's SHA-256 as sha256sum prints it: of
// its exact bytes, whatever its line ends.
TEST(ParseHistoryCsvTest, Sha256OfTheFilesBytes) {
  struct Case {
    std::string csv;
    std::string sha256;
  };
  const std::vector<Case> cases = {
      {kHeader, "234082fae4a2fdc7f7c8badf597b6e1131e8877f7adee23b9374f397c4fb0a07"},
      {"day,consumer,provider,service,method,status,count",
       "3c172ebb95a1a192a61c498eecc064116c49873e9b7465ccfb4af42b8651b3c0"},
      {"day,consumer,provider,service,method,status,count\r\n\r\n",
       "5c49c3a89cbd4e5781da280d5a27b6399cd4c58ec75cc28625454fcea198ba12"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.csv);
    absl::StatusOr<HistoryCsv> parsed = Parse(c.csv);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->summary.sha256, c.sha256);
  }
}

TEST(ImportHistoryCsvTest, BadRowOnLineFourChangesNothing) {
  HubDatabase db;
  db.Plant({{D(2025, 1, 2), 100}});
  const std::vector<std::string> before = db.Dump();
  const std::string csv = absl::StrCat(
      kHeader, kGoodRow,
      "2025-01-03,000.00.00.G12/tax-lookup,000.00.00.H49,ndxp.residents.v1.ResidentRegistry,"
      "GetCitizen,OK,5\n",
      "2025-01-04,000.00.00.G12/tax-lookup,000.00.00.H49,ndxp.residents.v1.ResidentRegistry,"
      "GetCitizen,OK,-5\n",
      "2025-01-05,000.00.00.G12/tax-lookup,000.00.00.H49,ndxp.residents.v1.ResidentRegistry,"
      "GetCitizen,OK,6\n");
  absl::StatusOr<ImportSummary> summary = Import(db.path(), csv);
  EXPECT_EQ(summary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(summary.status().message(),
            "history.csv:4: count \"-5\" is not a non-negative integer");
  EXPECT_EQ(db.Dump(), before);
  EXPECT_THAT(db.DumpHistory(), IsEmpty());
}

TEST(ImportHistoryCsvTest, DuplicateKeysAreSummed) {
  HubDatabase db;
  absl::StatusOr<ImportSummary> summary = Import(
      db.path(), absl::StrCat(kHeader, kGoodRow, kGoodRow,
                              "2025-01-02,000.00.00.G12/tax-lookup,000.00.00.H49,"
                              "ndxp.residents.v1.ResidentRegistry,GetCitizen,0,1\n"));
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->rows, 3);
  EXPECT_EQ(summary->total_count, 2401);
  EXPECT_EQ(summary->counters, 1);
  EXPECT_THAT(db.DumpHistory(), ElementsAre("2025-01-02 000.00.00.G12/tax-lookup 000.00.00.H49 "
                                     "ndxp.residents.v1.ResidentRegistry GetCitizen 0 2401"));
}

TEST(ImportHistoryCsvTest, CreatesTheDatabaseBeforeTheHubsFirstStart) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/new-hub.db";
  ASSERT_TRUE(Import(path, absl::StrCat(kHeader, kGoodRow)).ok());
  auto reader = SqliteCounterReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto rows = (*reader)->Sum(D(2025, 1, 1), D(2025, 12, 31), {}, hub::v1::FORWARDED, std::nullopt);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().count, 1200);
  // The hub then opens it as usual.
  auto store = SqliteTransactionStore::Open(path, SqliteTransactionStore::Options());
  EXPECT_TRUE(store.ok()) << store.status();
}

TEST(ParseHistoryCsvTest, BadRowsNameTheLineAndColumn) {
  const std::string prefix = "2025-01-02,";
  const std::string tail =
      ",000.00.00.H49,ndxp.residents.v1.ResidentRegistry,GetCitizen,OK,1";
  // A line with one field replaced: day, consumer, provider, service, method,
  // status, count.
  auto row = [](std::vector<std::string> fields) {
    std::vector<std::string> base = {"2025-01-02",
                                     "000.00.00.G12/tax-lookup",
                                     "000.00.00.H49",
                                     "ndxp.residents.v1.ResidentRegistry",
                                     "GetCitizen",
                                     "OK",
                                     "1"};
    for (size_t i = 0; i < fields.size(); i += 2) {
      base[std::stoul(fields[i])] = fields[i + 1];
    }
    std::string line;
    for (size_t i = 0; i < base.size(); ++i) absl::StrAppend(&line, i ? "," : "", base[i]);
    return line;
  };
  struct Case {
    std::string line;  // becomes line 3
    std::string message;
  };
  const std::vector<Case> cases = {
      {row({"0", "2026-02-30"}), "history.csv:3: day \"2026-02-30\" is not a real date YYYY-MM-DD"},
      {row({"0", "2027-02-29"}), "history.csv:3: day \"2027-02-29\" is not a real date YYYY-MM-DD"},
      {row({"0", "2026-2-3"}), "history.csv:3: day \"2026-2-3\" is not a real date YYYY-MM-DD"},
      {row({"0", "03/02/2026"}), "history.csv:3: day \"03/02/2026\" is not a real date YYYY-MM-DD"},
      {row({"0", "0000-01-01"}), "history.csv:3: day \"0000-01-01\" is not a real date YYYY-MM-DD"},
      {row({"0", ""}), "history.csv:3: day \"\" is not a real date YYYY-MM-DD"},
      {row({"1", "000.00.00.g12/tax-lookup"}),
       "history.csv:3: consumer \"000.00.00.g12/tax-lookup\" does not start with an agency "
       "code (expected \"agency\" or \"agency/subsystem\", e.g. \"000.00.00.G12/tax-lookup\")"},
      {row({"1", "000.00.00.G12/Tax"}),
       "history.csv:3: consumer \"000.00.00.G12/Tax\" has an invalid subsystem \"Tax\" "
       "(expected [a-z0-9][a-z0-9._-]{0,62})"},
      {row({"1", "000.00.00.G12/"}),
       "history.csv:3: consumer \"000.00.00.G12/\" has an invalid subsystem \"\" "
       "(expected [a-z0-9][a-z0-9._-]{0,62})"},
      {row({"1", ""}),
       "history.csv:3: consumer \"\" does not start with an agency code (expected \"agency\" "
       "or \"agency/subsystem\", e.g. \"000.00.00.G12/tax-lookup\")"},
      {row({"2", "000.00.00.G12/tax-lookup"}),
       "history.csv:3: provider \"000.00.00.G12/tax-lookup\" is not an agency code "
       "(dot-separated groups of [0-9A-Z], e.g. \"000.00.00.H49\")"},
      {row({"2", "H49."}),
       "history.csv:3: provider \"H49.\" is not an agency code (dot-separated groups of "
       "[0-9A-Z], e.g. \"000.00.00.H49\")"},
      {row({"3", ""}), "history.csv:3: service is empty"},
      {row({"3", "ndxp.a/B"}),
       "history.csv:3: service \"ndxp.a/B\" contains '/' (expected the full service name, "
       "e.g. \"ndxp.residents.v1.ResidentRegistry\")"},
      {row({"4", ""}), "history.csv:3: method is empty"},
      {row({"4", "/ndxp.residents.v1.ResidentRegistry/GetCitizen"}),
       "history.csv:3: method \"/ndxp.residents.v1.ResidentRegistry/GetCitizen\" contains '/' "
       "(expected the bare method name, e.g. \"GetCitizen\")"},
      {row({"5", "NOTFOUND"}),
       "history.csv:3: status \"NOTFOUND\" is not a gRPC status code name (\"OK\", "
       "\"NOT_FOUND\", ...) or number 0..16"},
      {row({"5", "17"}),
       "history.csv:3: status \"17\" is not a gRPC status code name (\"OK\", "
       "\"NOT_FOUND\", ...) or number 0..16"},
      {row({"5", "ok"}),
       "history.csv:3: status \"ok\" is not a gRPC status code name (\"OK\", "
       "\"NOT_FOUND\", ...) or number 0..16"},
      {row({"6", "-5"}), "history.csv:3: count \"-5\" is not a non-negative integer"},
      {row({"6", "1.5"}), "history.csv:3: count \"1.5\" is not a non-negative integer"},
      {row({"6", "+5"}), "history.csv:3: count \"+5\" is not a non-negative integer"},
      {row({"6", ""}), "history.csv:3: count \"\" is not a non-negative integer"},
      {row({"6", "\"1,000\""}), "history.csv:3: count \"1,000\" is not a non-negative integer"},
      {row({"6", "99999999999999999999"}),
       "history.csv:3: count \"99999999999999999999\" is out of range (at most "
       "9223372036854775807)"},
      {row({"6", "1,2"}), "history.csv:3: line has 8 fields, expected 7 "
                          "(day,consumer,provider,service,method,status,count)"},
      {prefix + "000.00.00.G12/tax-lookup",
       "history.csv:3: line has 2 fields, expected 7 "
       "(day,consumer,provider,service,method,status,count)"},
      {prefix + "\"000.00.00.G12/tax-lookup" + tail,
       "history.csv:3: consumer has an unterminated quote (quoted fields cannot span lines)"},
      {prefix + "\"000.00.00.G12\"/tax-lookup" + tail,
       "history.csv:3: consumer has text after its closing quote"},
      {prefix + "000.00.00.G12/\"tax\"" + tail,
       "history.csv:3: consumer has a quote inside an unquoted field (quote the whole field)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    absl::StatusOr<HistoryCsv> parsed =
        Parse(absl::StrCat(kHeader, kGoodRow, c.line, "\n", kGoodRow));
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().message(), c.message);
  }
}

TEST(ParseHistoryCsvTest, Header) {
  struct Case {
    std::string csv;
    std::string message;  // empty: accepted
  };
  const std::vector<Case> cases = {
      {"", "history.csv:1: header is missing (the file is empty; expected "
           "day,consumer,provider,service,method,status,count)"},
      {"day,consumer,provider,service,method,count\n",
       "history.csv:1: header must be day,consumer,provider,service,method,status,count, not "
       "\"day,consumer,provider,service,method,count\""},
      {"\n", "history.csv:1: header must be day,consumer,provider,service,method,status,count, "
             "not \"\""},
      {kHeader, ""},
      {"day,consumer,provider,service,method,status,count", ""},  // no final newline
      {"\xEF\xBB\xBF\"day\", consumer,provider,service,method,status,count\r\n", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.csv);
    absl::StatusOr<HistoryCsv> parsed = Parse(c.csv);
    if (c.message.empty()) {
      ASSERT_TRUE(parsed.ok()) << parsed.status();
      EXPECT_THAT(parsed->counters, IsEmpty());
      EXPECT_EQ(parsed->summary.rows, 0);
      EXPECT_EQ(parsed->summary.first_day, std::nullopt);
    } else {
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(parsed.status().message(), c.message);
    }
  }
}

TEST(ParseHistoryCsvTest, QuotingLineEndsAndBlankLines) {
  absl::StatusOr<HistoryCsv> parsed = Parse(absl::StrCat(
      "day,consumer,provider,service,method,status,count\r\n", "\r\n",
      "2025-03-04,000.00.00.G12/tax-lookup,000.00.00.H49,\"ndxp.a,b.v1.Quote\"\"d\","
      "GetCitizen,OK, 12 \r\n",
      "   \n",
      "2025-03-05,000.00.00.G12/tax-lookup,000.00.00.H49,\"\",GetCitizen,OK,1\r\n"));
  EXPECT_EQ(parsed.status().message(), "history.csv:5: service is empty");

  parsed = Parse(absl::StrCat(
      "day,consumer,provider,service,method,status,count\r\n", "\r\n",
      "2025-03-04,000.00.00.G12/tax-lookup,000.00.00.H49,\"ndxp.a,b.v1.Quote\"\"d\","
      "GetCitizen,OK, 12 \r\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->counters.size(), 1u);
  const HistoryCounter& counter = parsed->counters[0];
  EXPECT_EQ(counter.day, D(2025, 3, 4));
  EXPECT_EQ(counter.consumer, "000.00.00.G12/tax-lookup");
  EXPECT_EQ(counter.service, "ndxp.a,b.v1.Quote\"d");
  EXPECT_EQ(counter.method, "GetCitizen");
  EXPECT_EQ(counter.status_code, 0);
  EXPECT_EQ(counter.count, 12);
}

TEST(ParseHistoryCsvTest, SumOverflowNamesTheLine) {
  const std::string big =
      "2025-01-02,000.00.00.G12/tax-lookup,000.00.00.H49,ndxp.residents.v1.ResidentRegistry,"
      "GetCitizen,OK,9223372036854775000\n";
  absl::StatusOr<HistoryCsv> parsed = Parse(absl::StrCat(kHeader, big, big));
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(),
            "history.csv:3: count makes the sum of this counter's rows exceed "
            "9223372036854775807");
}

// Imported history and the hub's own recording meet in the statistics:
// year-on-year compares them with the same keys.
TEST(ImportHistoryCsvTest, HistoryMeetsRecordedTransactions) {
  HubDatabase db;
  ASSERT_TRUE(Import(db.path(),
                     absl::StrCat(kHeader,
                                  "2025-02-10,000.00.00.G12/tax-lookup,000.00.00.H49,"
                                  "ndxp.residents.v1.ResidentRegistry,GetCitizen,OK,2\n"))
                  .ok());
  {
    SqliteTransactionStore::Options options;
    options.time_zone = "UTC";
    auto store = SqliteTransactionStore::Open(db.path(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    std::vector<TransactionRecord> batch;
    for (int i = 0; i < 3; ++i) {
      TransactionRecord record;
      record.time_micros = absl::ToUnixMicros(
          absl::FromCivil(absl::CivilSecond(2026, 2, 10 + i, 12, 0, 0), absl::UTCTimeZone()));
      record.request_id = absl::StrCat("r", i);
      record.consumer = "000.00.00.G12/tax-lookup";
      record.provider = "000.00.00.H49";
      record.service = "ndxp.residents.v1.ResidentRegistry";
      record.method = "GetCitizen";
      batch.push_back(record);
    }
    ASSERT_TRUE((*store)->Append(batch).ok());
  }
  auto reader = SqliteCounterReader::Open(db.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  StatisticsEngine engine(*std::move(reader));
  hub::v1::GrowthRequest request;
  *request.mutable_period() = AnchoredPeriod(hub::v1::Period::MONTH, D(2026, 2, 1));
  request.set_baseline(hub::v1::GrowthRequest::YEAR_ON_YEAR);
  request.add_group_by(hub::v1::CONSUMER);
  request.add_group_by(hub::v1::METHOD);
  request.add_group_by(hub::v1::STATUS);
  absl::StatusOr<hub::v1::GrowthResponse> growth = engine.Growth(request);
  ASSERT_TRUE(growth.ok()) << growth.status();
  ASSERT_EQ(growth->rows_size(), 1);
  EXPECT_THAT(growth->rows(0).key(),
              ElementsAre("000.00.00.G12/tax-lookup",
                          "ndxp.residents.v1.ResidentRegistry/GetCitizen", "OK"));
  EXPECT_EQ(growth->rows(0).current(), 3);
  EXPECT_EQ(growth->rows(0).baseline(), 2);
  EXPECT_DOUBLE_EQ(growth->rows(0).percent_change(), 50.0);
  EXPECT_DOUBLE_EQ(growth->rows(0).multiple(), 1.5);
}

}  // namespace
}  // namespace ndxp::gateway::statistics
