// History import (history_import.h) against both stores, case for case: the
// hub's SQLite file, and a real PostgreSQL server (NDXP_TEST_POSTGRES, a
// database of its own per test; without it the PostgreSQL cases skip).
// Batches are refused or replaced, never added twice; an import killed
// half-way counts nothing and is redone exactly; growth comes out the same.
#include <unistd.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "gateway/recording/postgres/postgres_test_server.h"
#include "gateway/statistics/counter_reader.h"
#include "gateway/statistics/history_database.h"
#include "gateway/statistics/history_import.h"
#include "gateway/statistics/postgres_counter_reader.h"
#include "gateway/statistics/statistics_engine.h"
#include "gateway/statistics/statistics_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway::statistics {
namespace {

namespace pg = ::ndxp::gateway::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using D = absl::CivilDay;

constexpr char kHeader[] = "day,consumer,provider,service,method,status,count\n";

// One VerifyCitizen counter of `count` on 2025-01-15.
std::string OneCounter(int64_t count) {
  return absl::StrCat(kHeader,
                      "2025-01-15,000.00.00.G12/tax-lookup,000.00.00.G04,"
                      "ndxp.residents.v1.ResidentRegistry,VerifyCitizen,OK,",
                      count, "\n");
}

// Five counters on five days, 15 transactions.
std::string FiveCounters() {
  std::string csv = kHeader;
  for (int day = 1; day <= 5; ++day) {
    absl::StrAppend(&csv, "2025-03-0", day,
                    ",000.00.00.G12/tax-lookup,000.00.00.G04,"
                    "ndxp.residents.v1.ResidentRegistry,GetCitizen,OK,",
                    day, "\n");
  }
  return csv;
}

// The report's figures (README): 2023 H1 1,000,000 transactions, 2024 H1
// 1,670,000 (+67.0%); documents sent 100,000 -> 380,000 (3.80x).
constexpr char kHalfYears[] =
    "day,consumer,provider,service,method,status,count\n"
    "2023-02-10,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "VerifyCitizen,OK,500000\n"
    "2023-05-20,000.01.01.H29/civil-registration,000.00.00.A02,"
    "ndxp.documents.v1.DocumentExchange,SendDocument,OK,100000\n"
    "2023-06-30,000.00.00.G12/tax-lookup,000.00.00.G22,ndxp.insurance.v1.InsuranceRegistry,"
    "GetInsuredPerson,OK,400000\n"
    "2024-01-10,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "VerifyCitizen,OK,600000\n"
    "2024-05-20,000.01.01.H29/civil-registration,000.00.00.A02,"
    "ndxp.documents.v1.DocumentExchange,SendDocument,OK,380000\n"
    "2024-06-30,000.00.00.G12/tax-lookup,000.00.00.G22,ndxp.insurance.v1.InsuranceRegistry,"
    "GetInsuredPerson,NOT_FOUND,690000\n"
    "2024-07-01,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "VerifyCitizen,OK,999\n";

class HistoryImportStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      target_ = dir_.path() + "/hub.db";
      return;
    }
    base_ = pg::TestServer();
    if (base_.empty()) {
      GTEST_SKIP() << "NDXP_TEST_POSTGRES is not set: run under scripts/with-postgres";
    }
    db_name_ = pg::DatabaseNameForTest("");
    ASSERT_NO_FATAL_FAILURE(
        pg::ExecSql(base_, "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)"));
    ASSERT_NO_FATAL_FAILURE(pg::ExecSql(base_, "CREATE DATABASE " + db_name_));
    target_ = pg::WithDatabase(base_, db_name_);
  }

  void TearDown() override {
    if (!db_name_.empty()) {
      pg::ExecSql(base_, "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
    }
  }

  bool postgres() const { return GetParam() == "postgres"; }

  absl::StatusOr<ImportSummary> Import(const std::string& csv, const ImportOptions& options = {}) {
    std::istringstream in(csv);
    return postgres() ? ImportHistoryCsvToPostgres(target_, in, "history.csv", options)
                      : ImportHistoryCsv(target_, in, "history.csv", options);
  }

  std::unique_ptr<CounterReader> Reader() {
    absl::StatusOr<std::unique_ptr<CounterReader>> reader =
        postgres() ? absl::StatusOr<std::unique_ptr<CounterReader>>(
                         PostgresCounterReader::Open(target_))
                   : absl::StatusOr<std::unique_ptr<CounterReader>>(
                         SqliteCounterReader::Open(target_));
    EXPECT_TRUE(reader.ok()) << reader.status();
    return reader.ok() ? *std::move(reader) : nullptr;
  }

  // Every transaction the statistics count (the hub's and the history's).
  int64_t Counted() {
    std::unique_ptr<CounterReader> reader = Reader();
    if (reader == nullptr) return -1;
    absl::StatusOr<std::vector<CounterRow>> rows =
        reader->Sum(D(1, 1, 1), D(9999, 12, 31), {}, hub::v1::FORWARDED, std::nullopt);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() && !rows->empty() ? rows->front().count : 0;
  }

  // One SQL answer as text, "a b c" per row.
  std::vector<std::string> Select(const std::string& sql) {
    absl::StatusOr<std::unique_ptr<HistoryDatabase>> db =
        postgres() ? OpenPostgresHistoryDatabase(target_) : OpenSqliteHistoryDatabase(target_);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return {};
    absl::StatusOr<SqlRows> rows = (*db)->Query(sql, {});
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<std::string> lines;
    if (rows.ok()) {
      for (const auto& row : *rows) lines.push_back(absl::StrJoin(row, " "));
    }
    return lines;
  }

  ndxp::testing::TempDir dir_;
  std::string base_, db_name_;
  std::string target_;  // the SQLite file or the PostgreSQL conninfo
};

TEST_P(HistoryImportStoreTest, TheSameBatchTwiceIsRefusedNamingItAndWhen) {
  absl::StatusOr<ImportSummary> first = Import(OneCounter(1670));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->batch, "sha256:" + first->sha256);
  EXPECT_EQ(Counted(), 1670);

  absl::StatusOr<ImportSummary> again = Import(OneCounter(1670));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  const std::string message(again.status().message());
  EXPECT_THAT(message, HasSubstr(absl::StrCat("batch \"", first->batch, "\" was imported at 20")));
  EXPECT_THAT(message, HasSubstr("from history.csv (1 rows, 1670 transactions"));
  EXPECT_THAT(message, HasSubstr("--replace"));
  EXPECT_EQ(Counted(), 1670);

  // A batch named by the operator: the same, by its name.
  ImportOptions named;
  named.batch = "archive-2025";
  ASSERT_TRUE(Import(OneCounter(5), named).ok());
  absl::StatusOr<ImportSummary> named_again = Import(OneCounter(6), named);
  EXPECT_EQ(named_again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(named_again.status().message()),
              HasSubstr("batch \"archive-2025\" was imported at "));
  EXPECT_EQ(Counted(), 1675);
}

TEST_P(HistoryImportStoreTest, TheSameFileUnderAnotherNameIsRefused) {
  absl::StatusOr<ImportSummary> first = Import(OneCounter(1000));
  ASSERT_TRUE(first.ok()) << first.status();
  ImportOptions renamed;
  renamed.batch = "another-name";
  absl::StatusOr<ImportSummary> again = Import(OneCounter(1000), renamed);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(again.status().message()),
              HasSubstr(absl::StrCat("this file (sha256 ", first->sha256,
                                     ") is already imported: batch \"", first->batch, "\"")));
  EXPECT_EQ(Counted(), 1000);
}

TEST_P(HistoryImportStoreTest, ReplaceSwapsTheBatchsCountsNeverAddsThem) {
  ImportOptions options;
  options.batch = "archive-2025";
  ASSERT_TRUE(Import(FiveCounters(), options).ok());
  EXPECT_EQ(Counted(), 15);

  options.replace = true;
  absl::StatusOr<ImportSummary> replaced = Import(OneCounter(1670), options);
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  ASSERT_TRUE(replaced->replaced.has_value());
  EXPECT_EQ(replaced->replaced->rows, 5);
  EXPECT_EQ(replaced->replaced->total_count, 15);
  EXPECT_EQ(Counted(), 1670);
  // The replaced batch's rows are gone, not only uncounted.
  EXPECT_THAT(Select("SELECT count(*) FROM history_counters"), ElementsAre("1"));
  EXPECT_THAT(Select("SELECT batch, state, rows, total FROM history_batches"),
              ElementsAre("archive-2025 complete 1 1670"));

  // --replace of a batch never imported imports it.
  options.batch = "archive-2024";
  absl::StatusOr<ImportSummary> fresh = Import(FiveCounters(), options);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_FALSE(fresh->replaced.has_value());
  EXPECT_EQ(Counted(), 1685);
}

// kill -9 in the middle (here _exit between two transactions of counters):
// the half-written batch counts nothing, and the next import of it discards
// those rows and counts the file once.
TEST_P(HistoryImportStoreTest, AnImportKilledHalfWayCountsNothingAndIsRedoneOnce) {
  ImportOptions dies;
  dies.counters_per_transaction = 2;
  dies.progress = [](const ImportProgress& progress) {
    if (progress.counters_written == 4) _exit(3);
  };
  EXPECT_EXIT((void)Import(FiveCounters(), dies), ::testing::ExitedWithCode(3), "");
  EXPECT_THAT(Select("SELECT state FROM history_batches"), ElementsAre("importing"));
  EXPECT_THAT(Select("SELECT count(*) FROM history_counters"), ElementsAre("4"));
  EXPECT_EQ(Counted(), 0);

  ImportOptions options;
  options.counters_per_transaction = 2;
  absl::StatusOr<ImportSummary> redone = Import(FiveCounters(), options);
  ASSERT_TRUE(redone.ok()) << redone.status();
  EXPECT_EQ(redone->discarded_unfinished, 1);
  EXPECT_EQ(Counted(), 15);
  EXPECT_THAT(Select("SELECT count(*) FROM history_counters"), ElementsAre("5"));
  EXPECT_THAT(Select("SELECT state FROM history_batches"), ElementsAre("complete"));
}

TEST_P(HistoryImportStoreTest, ProgressAfterEachTransaction) {
  ImportOptions options;
  options.counters_per_transaction = 2;
  std::vector<std::string> seen;
  options.progress = [&](const ImportProgress& progress) {
    seen.push_back(absl::StrCat(progress.counters_written, "/", progress.counters));
    // Between transactions: the batch is not counted yet.
    EXPECT_EQ(Counted(), 0);
  };
  ASSERT_TRUE(Import(FiveCounters(), options).ok());
  EXPECT_THAT(seen, ElementsAre("2/5", "4/5", "5/5"));
  EXPECT_EQ(Counted(), 15);
}

TEST_P(HistoryImportStoreTest, BadBatchNameImportsNothing) {
  ImportOptions options;
  options.batch = "line\nbreak";
  absl::StatusOr<ImportSummary> summary = Import(OneCounter(1), options);
  EXPECT_EQ(summary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(summary.status().message(),
            "batch name \"line\\nbreak\" has a character that is not printable ASCII");
}

// The README's figures, from either store.
TEST_P(HistoryImportStoreTest, GrowthIsTheSameFromEitherStore) {
  ASSERT_TRUE(Import(kHalfYears).ok());
  StatisticsEngine engine(Reader());
  hub::v1::GrowthRequest request;
  *request.mutable_period() = testing::AnchoredPeriod(hub::v1::Period::HALF_YEAR, D(2024, 1, 1));
  request.set_baseline(hub::v1::GrowthRequest::YEAR_ON_YEAR);
  request.add_group_by(hub::v1::METHOD);
  absl::StatusOr<hub::v1::GrowthResponse> growth = engine.Growth(request);
  ASSERT_TRUE(growth.ok()) << growth.status();
  EXPECT_EQ(growth->total().current(), 1670000);
  EXPECT_EQ(growth->total().baseline(), 1000000);
  EXPECT_NEAR(growth->total().percent_change(), 67.0, 1e-9);
  bool documents = false;
  for (const hub::v1::GrowthRow& row : growth->rows()) {
    if (row.key(0) != "ndxp.documents.v1.DocumentExchange/SendDocument") continue;
    documents = true;
    EXPECT_EQ(row.current(), 380000);
    EXPECT_EQ(row.baseline(), 100000);
    EXPECT_NEAR(row.multiple(), 3.80, 1e-9);
  }
  EXPECT_TRUE(documents);
}

INSTANTIATE_TEST_SUITE_P(Stores, HistoryImportStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& store) {
                           return store.param;
                         });

}  // namespace
}  // namespace ndxp::gateway::statistics
