#include "gateway/statistics/statistics_engine.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "gateway/recording/postgres/postgres_test_server.h"
#include "gateway/recording/postgres/postgres_transaction_store.h"
#include "gateway/recording/test_records.h"
#include "gateway/statistics/counter_reader.h"
#include "gateway/statistics/history_import.h"
#include "gateway/statistics/postgres_counter_reader.h"
#include "gateway/statistics/statistics_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::statistics {
namespace {

using hub::v1::CountRequest;
using hub::v1::CountResponse;
using hub::v1::GrowthRequest;
using hub::v1::GrowthResponse;
using hub::v1::GrowthRow;
using hub::v1::Period;
using testing::AnchoredPeriod;
using testing::Counter;
using testing::CustomPeriod;
using testing::HubDatabase;
using testing::kBenefits;
using testing::kDocumentOffice;
using testing::kDocuments;
using testing::kPopulationRegistry;
using testing::kResidents;
using testing::kTaxLookup;
using testing::MakeDay;
using testing::RangeString;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using D = absl::CivilDay;

// "key1|key2=count" per row, in response order.
std::vector<std::string> Rows(const CountResponse& response) {
  std::vector<std::string> rows;
  for (const hub::v1::CountRow& row : response.rows()) {
    rows.push_back(absl::StrCat(absl::StrJoin(row.key(), "|"), "=", row.count()));
  }
  return rows;
}

// "key1|key2=current/baseline" per row, in response order.
std::vector<std::string> Rows(const GrowthResponse& response) {
  std::vector<std::string> rows;
  for (const GrowthRow& row : response.rows()) {
    rows.push_back(absl::StrCat(absl::StrJoin(row.key(), "|"), "=", row.current(), "/",
                                row.baseline()));
  }
  return rows;
}

CountRequest CountOf(const Period& period, std::vector<hub::v1::Dimension> group_by = {}) {
  CountRequest request;
  *request.mutable_period() = period;
  for (hub::v1::Dimension d : group_by) request.add_group_by(d);
  return request;
}

GrowthRequest GrowthOf(const Period& period, GrowthRequest::Baseline baseline,
                       std::vector<hub::v1::Dimension> group_by = {}) {
  GrowthRequest request;
  *request.mutable_period() = period;
  request.set_baseline(baseline);
  for (hub::v1::Dimension d : group_by) request.add_group_by(d);
  return request;
}

class StatisticsEngineTest : public ::testing::Test {
 protected:
  // Opens the engine on the database as planted so far (the reader sees
  // later plantings too; opening last just keeps the tests linear).
  StatisticsEngine& Engine() {
    if (engine_ == nullptr) {
      auto reader = SqliteCounterReader::Open(db_.path());
      EXPECT_TRUE(reader.ok()) << reader.status();
      engine_ = std::make_unique<StatisticsEngine>(*std::move(reader));
    }
    return *engine_;
  }

  CountResponse MustCount(const CountRequest& request) {
    absl::StatusOr<CountResponse> response = Engine().Count(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : CountResponse();
  }

  GrowthResponse MustGrowth(const GrowthRequest& request) {
    absl::StatusOr<GrowthResponse> response = Engine().Growth(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : GrowthResponse();
  }

  HubDatabase db_;
  std::unique_ptr<StatisticsEngine> engine_;
};

// ---- growth arithmetic

TEST(MakeGrowthRowTest, Figures) {
  struct Case {
    std::string name;
    int64_t current, baseline;
    bool defined;
    double percent, multiple;
  };
  const std::vector<Case> cases = {
      {"1000 -> 1670", 1670, 1000, true, 67.0, 1.67},
      {"unchanged", 500, 500, true, 0.0, 1.0},
      {"halved", 50, 100, true, -50.0, 0.5},
      {"current 0", 0, 250, true, -100.0, 0.0},
      {"baseline 0", 1670, 0, false, 0.0, 0.0},
      {"both 0", 0, 0, false, 0.0, 0.0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const GrowthRow row = MakeGrowthRow(c.current, c.baseline);
    EXPECT_EQ(row.current(), c.current);
    EXPECT_EQ(row.baseline(), c.baseline);
    EXPECT_EQ(row.difference(), c.current - c.baseline);
    EXPECT_EQ(row.defined(), c.defined);
    EXPECT_DOUBLE_EQ(row.percent_change(), c.percent);
    EXPECT_DOUBLE_EQ(row.multiple(), c.multiple);
    EXPECT_EQ(row.undefined_reason(), c.defined ? "" : kNoBaselineReason);
  }
}

// ---- the figures of docs/design.md

TEST_F(StatisticsEngineTest, HalfYearYearOnYear) {
  db_.Plant({
      // 2025 H1: 1,000 successful transactions.
      {D(2025, 1, 1), 400},
      {D(2025, 3, 31), 350},
      {D(2025, 6, 30), 250},
      // 2026 H1: 1,670.
      {D(2026, 1, 1), 670},
      {D(2026, 6, 30), 1000},
      // Outside both half-years.
      {D(2024, 12, 31), 777},
      {D(2025, 7, 1), 999},
      {D(2026, 7, 1), 5000},
  });
  const GrowthResponse growth = MustGrowth(
      GrowthOf(AnchoredPeriod(Period::HALF_YEAR, D(2026, 2, 1)), GrowthRequest::YEAR_ON_YEAR));
  EXPECT_EQ(RangeString(growth.period()), "2026-01-01..2026-06-30");
  EXPECT_EQ(RangeString(growth.baseline_period()), "2025-01-01..2025-06-30");
  const GrowthRow& total = growth.total();
  EXPECT_EQ(total.current(), 1670);
  EXPECT_EQ(total.baseline(), 1000);
  EXPECT_EQ(total.difference(), 670);
  EXPECT_TRUE(total.defined());
  EXPECT_DOUBLE_EQ(total.percent_change(), 67.0);
  EXPECT_DOUBLE_EQ(total.multiple(), 1.67);
  EXPECT_EQ(total.undefined_reason(), "");
  EXPECT_THAT(growth.rows(), IsEmpty());  // no group_by: the total only
}

TEST_F(StatisticsEngineTest, DocumentsGrewThreePointEightTimes) {
  db_.Plant({
      {D(2025, 4, 1), 974'000, kBenefits, kDocumentOffice, kDocuments, "Verify"},
      {D(2026, 4, 1), 3'000'000, kBenefits, kDocumentOffice, kDocuments, "Verify"},
      {D(2026, 12, 31), 700'000, kBenefits, kDocumentOffice, kDocuments, "Verify"},
      {D(2026, 4, 1), 10, kTaxLookup},  // another service
  });
  const GrowthResponse growth =
      MustGrowth(GrowthOf(AnchoredPeriod(Period::YEAR, D(2026, 1, 1)),
                          GrowthRequest::YEAR_ON_YEAR, {hub::v1::SERVICE}));
  ASSERT_EQ(growth.rows_size(), 2);
  const GrowthRow& documents = growth.rows(0);
  EXPECT_THAT(documents.key(), ElementsAre(kDocuments));
  EXPECT_EQ(documents.current(), 3'700'000);
  EXPECT_EQ(documents.baseline(), 974'000);
  EXPECT_EQ(documents.difference(), 2'726'000);
  EXPECT_TRUE(documents.defined());
  EXPECT_DOUBLE_EQ(documents.multiple(), 3'700'000.0 / 974'000.0);
  EXPECT_NEAR(documents.multiple(), 3.80, 0.005);  // "3.8x"
  EXPECT_NEAR(documents.multiple(), 3.7988, 0.00005);
  EXPECT_DOUBLE_EQ(documents.percent_change(), 2'726'000.0 * 100.0 / 974'000.0);
  EXPECT_NEAR(documents.percent_change(), 279.9, 0.05);

  const GrowthRow& residents = growth.rows(1);
  EXPECT_THAT(residents.key(), ElementsAre(kResidents));
  EXPECT_EQ(residents.current(), 10);
  EXPECT_EQ(residents.baseline(), 0);
  EXPECT_FALSE(residents.defined());
  EXPECT_EQ(residents.undefined_reason(), "no transactions in the baseline period");
  EXPECT_EQ(residents.percent_change(), 0.0);
  EXPECT_EQ(residents.multiple(), 0.0);

  EXPECT_EQ(growth.total().current(), 3'700'010);
  EXPECT_EQ(growth.total().baseline(), 974'000);
}

// ---- period boundaries

TEST_F(StatisticsEngineTest, PeriodBoundaries) {
  // One power of ten per day, so each total says exactly which days counted.
  db_.Plant({
      {D(2025, 12, 31), 1},
      {D(2026, 1, 1), 10},
      {D(2026, 2, 28), 100},
      {D(2026, 3, 1), 1'000},
      {D(2026, 3, 31), 10'000},
      {D(2026, 4, 1), 100'000},
      {D(2026, 6, 30), 1'000'000},
      {D(2026, 7, 1), 10'000'000},
      {D(2026, 12, 31), 100'000'000},
      {D(2027, 1, 1), 1'000'000'000},
  });
  struct Case {
    std::string name;
    Period period;
    std::string range;
    int64_t total;
  };
  const std::vector<Case> cases = {
      {"H1 excludes 2026-07-01", AnchoredPeriod(Period::HALF_YEAR, D(2026, 4, 1)),
       "2026-01-01..2026-06-30", 1'111'110},
      {"H2 starts on 2026-07-01", AnchoredPeriod(Period::HALF_YEAR, D(2026, 7, 1)),
       "2026-07-01..2026-12-31", 110'000'000},
      {"Q1", AnchoredPeriod(Period::QUARTER, D(2026, 3, 31)), "2026-01-01..2026-03-31",
       11'110},
      {"Q2", AnchoredPeriod(Period::QUARTER, D(2026, 4, 1)), "2026-04-01..2026-06-30",
       1'100'000},
      {"Q3", AnchoredPeriod(Period::QUARTER, D(2026, 8, 15)), "2026-07-01..2026-09-30",
       10'000'000},
      {"Q4", AnchoredPeriod(Period::QUARTER, D(2026, 12, 31)), "2026-10-01..2026-12-31",
       100'000'000},
      {"January (31 days)", AnchoredPeriod(Period::MONTH, D(2026, 1, 31)),
       "2026-01-01..2026-01-31", 10},
      {"February (28 days)", AnchoredPeriod(Period::MONTH, D(2026, 2, 1)),
       "2026-02-01..2026-02-28", 100},
      {"March (31 days)", AnchoredPeriod(Period::MONTH, D(2026, 3, 15)),
       "2026-03-01..2026-03-31", 11'000},
      {"April (30 days)", AnchoredPeriod(Period::MONTH, D(2026, 4, 30)),
       "2026-04-01..2026-04-30", 100'000},
      {"June (30 days)", AnchoredPeriod(Period::MONTH, D(2026, 6, 1)),
       "2026-06-01..2026-06-30", 1'000'000},
      {"year", AnchoredPeriod(Period::YEAR, D(2026, 6, 1)), "2026-01-01..2026-12-31",
       111'111'110},
      {"day", AnchoredPeriod(Period::DAY, D(2026, 7, 1)), "2026-07-01..2026-07-01",
       10'000'000},
      {"empty day", AnchoredPeriod(Period::DAY, D(2026, 7, 2)), "2026-07-02..2026-07-02", 0},
      {"custom", CustomPeriod(D(2026, 2, 28), D(2026, 3, 31)), "2026-02-28..2026-03-31",
       11'100},
      {"cumulative to H1's end", AnchoredPeriod(Period::CUMULATIVE, D(2026, 6, 30)),
       "0001-01-01..2026-06-30", 1'111'111},
      {"cumulative to the last day", AnchoredPeriod(Period::CUMULATIVE, D(2027, 1, 1)),
       "0001-01-01..2027-01-01", 1'111'111'111},
      {"cumulative before the first day",
       AnchoredPeriod(Period::CUMULATIVE, D(2025, 12, 30)), "0001-01-01..2025-12-30", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const CountResponse count = MustCount(CountOf(c.period));
    EXPECT_EQ(RangeString(count.period()), c.range);
    EXPECT_EQ(count.total(), c.total);
    EXPECT_THAT(count.rows(), IsEmpty());
  }
}

TEST_F(StatisticsEngineTest, LeapYear2028) {
  db_.Plant({
      {D(2027, 2, 28), 5},
      {D(2027, 3, 1), 3},
      {D(2028, 2, 28), 7},
      {D(2028, 2, 29), 11},
      {D(2028, 3, 1), 13},
      {D(2028, 12, 31), 17},
  });
  struct Case {
    std::string name;
    Period period;
    std::string range;
    int64_t total;
  };
  const std::vector<Case> cases = {
      {"29 February", AnchoredPeriod(Period::DAY, D(2028, 2, 29)), "2028-02-29..2028-02-29",
       11},
      {"February (29 days)", AnchoredPeriod(Period::MONTH, D(2028, 2, 29)),
       "2028-02-01..2028-02-29", 18},
      {"year with 29 February", AnchoredPeriod(Period::YEAR, D(2028, 2, 29)),
       "2028-01-01..2028-12-31", 48},
      {"custom over 29 February", CustomPeriod(D(2028, 2, 29), D(2028, 3, 1)),
       "2028-02-29..2028-03-01", 24},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const CountResponse count = MustCount(CountOf(c.period));
    EXPECT_EQ(RangeString(count.period()), c.range);
    EXPECT_EQ(count.total(), c.total);
  }

  const GrowthResponse day = MustGrowth(
      GrowthOf(AnchoredPeriod(Period::DAY, D(2028, 2, 29)), GrowthRequest::YEAR_ON_YEAR));
  EXPECT_EQ(RangeString(day.baseline_period()), "2027-02-28..2027-02-28");
  EXPECT_EQ(day.total().current(), 11);
  EXPECT_EQ(day.total().baseline(), 5);
  EXPECT_EQ(day.total().difference(), 6);
  EXPECT_DOUBLE_EQ(day.total().percent_change(), 120.0);
  EXPECT_DOUBLE_EQ(day.total().multiple(), 2.2);

  const GrowthResponse year = MustGrowth(
      GrowthOf(AnchoredPeriod(Period::YEAR, D(2028, 2, 29)), GrowthRequest::YEAR_ON_YEAR));
  EXPECT_EQ(RangeString(year.baseline_period()), "2027-01-01..2027-12-31");
  EXPECT_EQ(year.total().current(), 48);
  EXPECT_EQ(year.total().baseline(), 8);
  EXPECT_DOUBLE_EQ(year.total().multiple(), 6.0);
  EXPECT_DOUBLE_EQ(year.total().percent_change(), 500.0);
}

// ---- baselines

TEST_F(StatisticsEngineTest, PreviousPeriodOfEachKind) {
  db_.Plant({
      {D(2025, 3, 3), 2},
      {D(2025, 10, 15), 40},
      {D(2025, 12, 20), 20},
      {D(2026, 1, 9), 0},
      {D(2026, 1, 10), 30},
      {D(2026, 2, 5), 50},
      {D(2026, 5, 1), 7},
      {D(2026, 8, 1), 21},
  });
  struct Case {
    std::string name;
    Period period;
    std::string range, baseline_range;
    int64_t current, baseline;
  };
  const std::vector<Case> cases = {
      {"day", AnchoredPeriod(Period::DAY, D(2026, 1, 11)), "2026-01-11..2026-01-11",
       "2026-01-10..2026-01-10", 0, 30},
      {"January -> previous December", AnchoredPeriod(Period::MONTH, D(2026, 1, 31)),
       "2026-01-01..2026-01-31", "2025-12-01..2025-12-31", 30, 20},
      {"Q1 -> previous year's Q4", AnchoredPeriod(Period::QUARTER, D(2026, 3, 1)),
       "2026-01-01..2026-03-31", "2025-10-01..2025-12-31", 80, 60},
      {"H2 -> H1", AnchoredPeriod(Period::HALF_YEAR, D(2026, 12, 1)),
       "2026-07-01..2026-12-31", "2026-01-01..2026-06-30", 21, 87},
      {"H1 -> previous year's H2", AnchoredPeriod(Period::HALF_YEAR, D(2026, 1, 1)),
       "2026-01-01..2026-06-30", "2025-07-01..2025-12-31", 87, 60},
      {"year", AnchoredPeriod(Period::YEAR, D(2026, 1, 1)), "2026-01-01..2026-12-31",
       "2025-01-01..2025-12-31", 108, 62},
      {"custom of 59 days", CustomPeriod(D(2026, 1, 1), D(2026, 2, 28)),
       "2026-01-01..2026-02-28", "2025-11-03..2025-12-31", 80, 20},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const GrowthResponse growth = MustGrowth(GrowthOf(c.period, GrowthRequest::PREVIOUS_PERIOD));
    EXPECT_EQ(RangeString(growth.period()), c.range);
    EXPECT_EQ(RangeString(growth.baseline_period()), c.baseline_range);
    EXPECT_EQ(growth.total().current(), c.current);
    EXPECT_EQ(growth.total().baseline(), c.baseline);
    EXPECT_EQ(growth.total().difference(), c.current - c.baseline);
  }
}

TEST_F(StatisticsEngineTest, CumulativeYearOnYear) {
  db_.Plant({
      {D(2019, 5, 5), 100},
      {D(2025, 6, 30), 200},
      {D(2025, 7, 1), 400},
      {D(2026, 6, 30), 800},
      {D(2026, 7, 1), 1600},
  });
  const GrowthResponse growth = MustGrowth(GrowthOf(
      AnchoredPeriod(Period::CUMULATIVE, D(2026, 6, 30)), GrowthRequest::YEAR_ON_YEAR));
  EXPECT_EQ(RangeString(growth.period()), "0001-01-01..2026-06-30");
  EXPECT_EQ(RangeString(growth.baseline_period()), "0001-01-01..2025-06-30");
  EXPECT_EQ(growth.total().current(), 1500);
  EXPECT_EQ(growth.total().baseline(), 300);
  EXPECT_DOUBLE_EQ(growth.total().multiple(), 5.0);
  EXPECT_DOUBLE_EQ(growth.total().percent_change(), 400.0);
}

TEST_F(StatisticsEngineTest, EmptyBaselineIsUndefined) {
  db_.Plant({{D(2026, 3, 1), 42}});
  const GrowthResponse growth = MustGrowth(
      GrowthOf(AnchoredPeriod(Period::MONTH, D(2026, 3, 1)), GrowthRequest::YEAR_ON_YEAR,
               {hub::v1::CONSUMER}));
  ASSERT_EQ(growth.rows_size(), 1);
  for (const GrowthRow& row : {growth.total(), growth.rows(0)}) {
    EXPECT_EQ(row.current(), 42);
    EXPECT_EQ(row.baseline(), 0);
    EXPECT_EQ(row.difference(), 42);
    EXPECT_FALSE(row.defined());
    EXPECT_EQ(row.undefined_reason(), "no transactions in the baseline period");
    EXPECT_EQ(row.percent_change(), 0.0);
    EXPECT_EQ(row.multiple(), 0.0);
  }
}

TEST_F(StatisticsEngineTest, NothingNowIsMinusOneHundredPercent) {
  db_.Plant({{D(2025, 3, 1), 42}});
  const GrowthResponse growth = MustGrowth(
      GrowthOf(AnchoredPeriod(Period::MONTH, D(2026, 3, 1)), GrowthRequest::YEAR_ON_YEAR,
               {hub::v1::CONSUMER}));
  ASSERT_EQ(growth.rows_size(), 1);
  for (const GrowthRow& row : {growth.total(), growth.rows(0)}) {
    EXPECT_EQ(row.current(), 0);
    EXPECT_EQ(row.baseline(), 42);
    EXPECT_EQ(row.difference(), -42);
    EXPECT_TRUE(row.defined());
    EXPECT_DOUBLE_EQ(row.percent_change(), -100.0);
    EXPECT_DOUBLE_EQ(row.multiple(), 0.0);
  }
  EXPECT_THAT(growth.rows(0).key(), ElementsAre(kTaxLookup));
}

TEST_F(StatisticsEngineTest, NothingAtAll) {
  const GrowthResponse growth = MustGrowth(
      GrowthOf(AnchoredPeriod(Period::QUARTER, D(2026, 3, 1)), GrowthRequest::PREVIOUS_PERIOD,
               {hub::v1::STATUS}));
  EXPECT_THAT(growth.rows(), IsEmpty());
  EXPECT_EQ(growth.total().current(), 0);
  EXPECT_EQ(growth.total().baseline(), 0);
  EXPECT_FALSE(growth.total().defined());
  const CountResponse count = MustCount(CountOf(AnchoredPeriod(Period::YEAR, D(2026, 1, 1)),
                                                {hub::v1::CONSUMER}));
  EXPECT_THAT(count.rows(), IsEmpty());
  EXPECT_EQ(count.total(), 0);
}

// ---- grouping

class GroupingTest : public StatisticsEngineTest {
 protected:
  void SetUp() override {
    const std::string kVerify = "Verify";
    db_.Plant({
        {D(2026, 3, 1), 50},
        {D(2026, 3, 1), 3, kTaxLookup, kPopulationRegistry, kResidents, "GetCitizen", 5},
        {D(2026, 3, 2), 20, kTaxLookup, kPopulationRegistry, kResidents, "GetHousehold"},
        {D(2026, 3, 2), 20, kBenefits},
        {D(2026, 3, 3), 7, kBenefits, kDocumentOffice, kDocuments, kVerify, 14},
        // A year earlier: tax-lookup only, and a method no longer called.
        {D(2025, 3, 1), 40},
        {D(2025, 3, 9), 8, kTaxLookup, kPopulationRegistry, kResidents, "ListCitizens"},
    });
  }
};

TEST_F(GroupingTest, CountByEachDimensionAndCombinations) {
  using hub::v1::CONSUMER;
  using hub::v1::METHOD;
  using hub::v1::PROVIDER;
  using hub::v1::SERVICE;
  using hub::v1::STATUS;
  const std::string tax = kTaxLookup;
  const std::string benefits = kBenefits;
  const std::string get_citizen = "ndxp.residents.v1.ResidentRegistry/GetCitizen";
  const std::string get_household = "ndxp.residents.v1.ResidentRegistry/GetHousehold";
  const std::string verify = "ndxp.documents.v1.Documents/Verify";
  struct Case {
    std::string name;
    std::vector<hub::v1::Dimension> group_by;
    std::vector<std::string> rows;
  };
  const std::vector<Case> cases = {
      {"total only", {}, {}},
      {"consumer", {CONSUMER}, {tax + "=73", benefits + "=27"}},
      {"provider", {PROVIDER}, {"000.00.00.H49=93", "000.00.00.K10=7"}},
      {"service", {SERVICE}, {absl::StrCat(kResidents, "=93"), absl::StrCat(kDocuments, "=7")}},
      {"method", {METHOD}, {get_citizen + "=73", get_household + "=20", verify + "=7"}},
      {"status", {STATUS}, {"OK=90", "UNAVAILABLE=7", "NOT_FOUND=3"}},
      {"consumer, status",
       {CONSUMER, STATUS},
       {tax + "|OK=70", benefits + "|OK=20", benefits + "|UNAVAILABLE=7",
        tax + "|NOT_FOUND=3"}},
      {"status, consumer (order of the key follows group_by)",
       {STATUS, CONSUMER},
       {"OK|" + tax + "=70", "OK|" + benefits + "=20", "UNAVAILABLE|" + benefits + "=7",
        "NOT_FOUND|" + tax + "=3"}},
      {"consumer, method: equal counts sorted by key",
       {CONSUMER, METHOD},
       {tax + "|" + get_citizen + "=53", tax + "|" + get_household + "=20",
        benefits + "|" + get_citizen + "=20", benefits + "|" + verify + "=7"}},
      {"all five",
       {CONSUMER, PROVIDER, SERVICE, METHOD, STATUS},
       {absl::StrCat(tax, "|000.00.00.H49|", kResidents, "|", get_citizen, "|OK=50"),
        absl::StrCat(tax, "|000.00.00.H49|", kResidents, "|", get_household, "|OK=20"),
        absl::StrCat(benefits, "|000.00.00.H49|", kResidents, "|", get_citizen, "|OK=20"),
        absl::StrCat(benefits, "|000.00.00.K10|", kDocuments, "|", verify, "|UNAVAILABLE=7"),
        absl::StrCat(tax, "|000.00.00.H49|", kResidents, "|", get_citizen, "|NOT_FOUND=3")}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const CountResponse count =
        MustCount(CountOf(AnchoredPeriod(Period::MONTH, D(2026, 3, 1)), c.group_by));
    EXPECT_EQ(Rows(count), c.rows);
    EXPECT_EQ(count.total(), 100);
  }
}

TEST_F(GroupingTest, GrowthRowsPresentInOnePeriodOnly) {
  const GrowthResponse growth =
      MustGrowth(GrowthOf(AnchoredPeriod(Period::MONTH, D(2026, 3, 1)),
                          GrowthRequest::YEAR_ON_YEAR, {hub::v1::METHOD}));
  EXPECT_THAT(Rows(growth),
              ElementsAre("ndxp.residents.v1.ResidentRegistry/GetCitizen=73/40",
                          "ndxp.residents.v1.ResidentRegistry/GetHousehold=20/0",
                          "ndxp.documents.v1.Documents/Verify=7/0",
                          "ndxp.residents.v1.ResidentRegistry/ListCitizens=0/8"));
  const GrowthRow& get_citizen = growth.rows(0);
  EXPECT_TRUE(get_citizen.defined());
  EXPECT_EQ(get_citizen.difference(), 33);
  EXPECT_DOUBLE_EQ(get_citizen.percent_change(), 82.5);
  EXPECT_DOUBLE_EQ(get_citizen.multiple(), 1.825);
  EXPECT_FALSE(growth.rows(1).defined());
  EXPECT_EQ(growth.rows(1).undefined_reason(), kNoBaselineReason);
  const GrowthRow& list_citizens = growth.rows(3);
  EXPECT_TRUE(list_citizens.defined());
  EXPECT_DOUBLE_EQ(list_citizens.percent_change(), -100.0);
  EXPECT_DOUBLE_EQ(list_citizens.multiple(), 0.0);
  EXPECT_EQ(list_citizens.difference(), -8);

  EXPECT_EQ(growth.total().current(), 100);
  EXPECT_EQ(growth.total().baseline(), 48);
  EXPECT_EQ(growth.total().difference(), 52);
  EXPECT_TRUE(growth.total().key().empty());
}

TEST_F(GroupingTest, GrowthByConsumerAndStatus) {
  const GrowthResponse growth =
      MustGrowth(GrowthOf(AnchoredPeriod(Period::QUARTER, D(2026, 1, 1)),
                          GrowthRequest::YEAR_ON_YEAR, {hub::v1::CONSUMER, hub::v1::STATUS}));
  EXPECT_THAT(Rows(growth), ElementsAre(absl::StrCat(kTaxLookup, "|OK=70/48"),
                                        absl::StrCat(kBenefits, "|OK=20/0"),
                                        absl::StrCat(kBenefits, "|UNAVAILABLE=7/0"),
                                        absl::StrCat(kTaxLookup, "|NOT_FOUND=3/0")));
}

// ---- two levels: calls that came through a peer hub

constexpr char kProvinceHub[] = "000.00.00.H11/lgsp";
constexpr char kCommune[] = "000.11.01.H11/commune-office";
constexpr char kLandOffice[] = "000.11.00.H11/land-office";

// Where the hub records and the engine reads: a store and a reader on one
// database.
class RecordingBackend {
 public:
  virtual ~RecordingBackend() = default;
  virtual std::string SkipReason() const { return ""; }
  virtual absl::StatusOr<std::unique_ptr<TransactionStore>> OpenStore() = 0;
  virtual absl::StatusOr<std::unique_ptr<CounterReader>> OpenReader() = 0;
};

class SqliteBackend final : public RecordingBackend {
 public:
  absl::StatusOr<std::unique_ptr<TransactionStore>> OpenStore() override {
    SqliteTransactionStore::Options options;
    options.time_zone = "UTC";
    auto store = SqliteTransactionStore::Open(db_.path(), options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<TransactionStore>(*std::move(store));
  }
  absl::StatusOr<std::unique_ptr<CounterReader>> OpenReader() override {
    auto reader = SqliteCounterReader::Open(db_.path());
    if (!reader.ok()) return reader.status();
    return std::unique_ptr<CounterReader>(*std::move(reader));
  }

 private:
  HubDatabase db_;
};

class PostgresBackend final : public RecordingBackend {
 public:
  PostgresBackend() {
    if (server_.empty()) return;
    name_ = gateway::testing::DatabaseNameForTest("via");
    gateway::testing::ExecSql(server_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    gateway::testing::ExecSql(server_, "CREATE DATABASE " + name_);
  }
  ~PostgresBackend() override {
    if (!name_.empty()) {
      gateway::testing::ExecSql(server_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    }
  }
  std::string SkipReason() const override {
    return server_.empty() ? "NDXP_TEST_POSTGRES is not set: run under scripts/with-postgres"
                           : "";
  }
  absl::StatusOr<std::unique_ptr<TransactionStore>> OpenStore() override {
    PostgresTransactionStore::Options options;
    options.time_zone = "UTC";
    auto store = PostgresTransactionStore::Open(Conninfo(), options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<TransactionStore>(*std::move(store));
  }
  absl::StatusOr<std::unique_ptr<CounterReader>> OpenReader() override {
    auto reader = PostgresCounterReader::Open(Conninfo());
    if (!reader.ok()) return reader.status();
    return std::unique_ptr<CounterReader>(*std::move(reader));
  }

 private:
  std::string Conninfo() const { return gateway::testing::WithDatabase(server_, name_); }

  const std::string server_ = gateway::testing::TestServer();
  std::string name_;
};

using BackendFactory = std::function<std::unique_ptr<RecordingBackend>()>;

// The national hub's records, as each store keeps them: province agencies'
// calls through their province's hub (one refused), beside direct calls,
// in March 2026 and March 2025 (UTC days).
class TwoLevelStatisticsTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    backend_ = GetParam()();
    if (std::string reason = backend_->SkipReason(); !reason.empty()) GTEST_SKIP() << reason;
    std::vector<TransactionRecord> batch;
    auto calls = [&](int n, D day, const std::string& consumer, const std::string& via) {
      for (int i = 0; i < n; ++i) {
        TransactionRecord record = gateway::testing::MakeRecord(
            absl::ToUnixMicros(absl::FromCivil(day, absl::UTCTimeZone())) + i,
            absl::StrCat("r-", batch.size()), consumer);
        record.via = via;
        batch.push_back(std::move(record));
      }
    };
    calls(3, D(2026, 3, 1), kCommune, kProvinceHub);
    calls(2, D(2026, 3, 2), kLandOffice, kProvinceHub);
    calls(1, D(2026, 3, 2), kCommune, "");  // the same agency, directly
    calls(5, D(2026, 3, 3), kTaxLookup, "");
    calls(1, D(2026, 3, 4), kLandOffice, kProvinceHub);
    batch.back().refusal = "not granted";  // refused: in no figure
    batch.back().status_code = 7;
    calls(1, D(2025, 3, 1), kCommune, kProvinceHub);
    calls(2, D(2025, 3, 3), kTaxLookup, "");
    auto store = backend_->OpenStore();
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append(batch).ok());
    auto reader = backend_->OpenReader();
    ASSERT_TRUE(reader.ok()) << reader.status();
    engine_ = std::make_unique<StatisticsEngine>(*std::move(reader));
  }

  static Period March2026() { return AnchoredPeriod(Period::MONTH, D(2026, 3, 1)); }

  std::unique_ptr<RecordingBackend> backend_;
  std::unique_ptr<StatisticsEngine> engine_;
};

TEST_P(TwoLevelStatisticsTest, ByConsumerAndViaTheRowsSumExactlyToTheTotal) {
  absl::StatusOr<CountResponse> count =
      engine_->Count(CountOf(March2026(), {hub::v1::CONSUMER, hub::v1::VIA}));
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_THAT(Rows(*count), ElementsAre(absl::StrCat(kTaxLookup, "|=5"),
                                        absl::StrCat(kCommune, "|", kProvinceHub, "=3"),
                                        absl::StrCat(kLandOffice, "|", kProvinceHub, "=2"),
                                        absl::StrCat(kCommune, "|=1")));
  int64_t sum = 0;
  for (const hub::v1::CountRow& row : count->rows()) sum += row.count();
  EXPECT_EQ(sum, 11);
  EXPECT_EQ(count->total(), 11);

  absl::StatusOr<CountResponse> by_via = engine_->Count(CountOf(March2026(), {hub::v1::VIA}));
  ASSERT_TRUE(by_via.ok()) << by_via.status();
  EXPECT_THAT(Rows(*by_via), ElementsAre("=6", absl::StrCat(kProvinceHub, "=5")));
  EXPECT_EQ(by_via->total(), 11);
}

TEST_P(TwoLevelStatisticsTest, GrowthByVia) {
  absl::StatusOr<GrowthResponse> growth = engine_->Growth(
      GrowthOf(March2026(), GrowthRequest::YEAR_ON_YEAR, {hub::v1::VIA}));
  ASSERT_TRUE(growth.ok()) << growth.status();
  EXPECT_THAT(Rows(*growth), ElementsAre("=6/2", absl::StrCat(kProvinceHub, "=5/1")));
  EXPECT_DOUBLE_EQ(growth->rows(1).percent_change(), 400.0);
  EXPECT_EQ(growth->total().current(), 11);
  EXPECT_EQ(growth->total().baseline(), 3);

  absl::StatusOr<GrowthResponse> by_agency = engine_->Growth(
      GrowthOf(March2026(), GrowthRequest::YEAR_ON_YEAR, {hub::v1::CONSUMER, hub::v1::VIA}));
  ASSERT_TRUE(by_agency.ok()) << by_agency.status();
  EXPECT_THAT(Rows(*by_agency), ElementsAre(absl::StrCat(kTaxLookup, "|=5/2"),
                                            absl::StrCat(kCommune, "|", kProvinceHub, "=3/1"),
                                            absl::StrCat(kLandOffice, "|", kProvinceHub, "=2/0"),
                                            absl::StrCat(kCommune, "|=1/0")));
}

TEST_P(TwoLevelStatisticsTest, TheHubsOwnRefusalsAreCountedApart) {
  // The refused call is in no figure of the forwarded calls (above), and is
  // the only one of REFUSED_BY_HUB.
  CountRequest refused = CountOf(March2026(), {hub::v1::STATUS, hub::v1::CONSUMER, hub::v1::VIA});
  refused.set_calls(hub::v1::REFUSED_BY_HUB);
  absl::StatusOr<CountResponse> count = engine_->Count(refused);
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_THAT(Rows(*count),
              ElementsAre(absl::StrCat("PERMISSION_DENIED|", kLandOffice, "|", kProvinceHub, "=1")));
  EXPECT_EQ(count->total(), 1);
  EXPECT_EQ(count->calls(), hub::v1::REFUSED_BY_HUB);  // what a client checks

  GrowthRequest growth = GrowthOf(March2026(), GrowthRequest::YEAR_ON_YEAR, {hub::v1::STATUS});
  growth.set_calls(hub::v1::REFUSED_BY_HUB);
  absl::StatusOr<GrowthResponse> grown = engine_->Growth(growth);
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_THAT(Rows(*grown), ElementsAre("PERMISSION_DENIED=1/0"));
  EXPECT_EQ(grown->calls(), hub::v1::REFUSED_BY_HUB);

  // The forwarded calls (the default) and an unknown value.
  refused.set_calls(hub::v1::FORWARDED);
  absl::StatusOr<CountResponse> forwarded = engine_->Count(refused);
  ASSERT_TRUE(forwarded.ok()) << forwarded.status();
  EXPECT_EQ(forwarded->total(), 11);
  refused.set_calls(static_cast<hub::v1::Calls>(9));
  EXPECT_EQ(engine_->Count(refused).status().code(), absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, TwoLevelStatisticsTest,
    ::testing::Values(BackendFactory([] { return std::make_unique<SqliteBackend>(); }),
                      BackendFactory([] { return std::make_unique<PostgresBackend>(); })),
    [](const ::testing::TestParamInfo<BackendFactory>& backend) {
      return backend.index == 0 ? "Sqlite" : "Postgres";
    });

// ---- doors: the protocol a call came in by

// Calls by each door, as each store keeps them: in March 2026 (UTC days) 4
// by gRPC, 3 by Connect (one of them refused: in no figure of forwarded
// calls) and 2 by REST; in March 2025 2 by gRPC and 1 by Connect.
class DoorStatisticsTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    backend_ = GetParam()();
    if (std::string reason = backend_->SkipReason(); !reason.empty()) GTEST_SKIP() << reason;
    std::vector<TransactionRecord> batch;
    auto calls = [&](int n, D day, Door door) {
      for (int i = 0; i < n; ++i) {
        TransactionRecord record = gateway::testing::MakeRecord(
            absl::ToUnixMicros(absl::FromCivil(day, absl::UTCTimeZone())) + i,
            absl::StrCat("r-", batch.size()));
        record.door = door;
        batch.push_back(std::move(record));
      }
    };
    calls(4, D(2026, 3, 1), Door::kGrpc);
    calls(3, D(2026, 3, 2), Door::kConnect);
    batch.back().refusal = "not granted";
    batch.back().status_code = 7;
    calls(2, D(2026, 3, 3), Door::kRest);
    calls(2, D(2025, 3, 1), Door::kGrpc);
    calls(1, D(2025, 3, 2), Door::kConnect);
    auto store = backend_->OpenStore();
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append(batch).ok());
    auto reader = backend_->OpenReader();
    ASSERT_TRUE(reader.ok()) << reader.status();
    engine_ = std::make_unique<StatisticsEngine>(*std::move(reader));
  }

  static Period March2026() { return AnchoredPeriod(Period::MONTH, D(2026, 3, 1)); }

  std::unique_ptr<RecordingBackend> backend_;
  std::unique_ptr<StatisticsEngine> engine_;
};

TEST_P(DoorStatisticsTest, ByDoorTheRowsSumToTheTotal) {
  absl::StatusOr<CountResponse> count = engine_->Count(CountOf(March2026(), {hub::v1::DOOR}));
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_THAT(Rows(*count), ElementsAre("grpc=4", "connect=2", "rest=2"));
  EXPECT_EQ(count->total(), 8);
  EXPECT_EQ(count->door(), "");

  absl::StatusOr<GrowthResponse> growth = engine_->Growth(
      GrowthOf(March2026(), GrowthRequest::YEAR_ON_YEAR, {hub::v1::DOOR, hub::v1::STATUS}));
  ASSERT_TRUE(growth.ok()) << growth.status();
  EXPECT_THAT(Rows(*growth), ElementsAre("grpc|OK=4/2", "connect|OK=2/1", "rest|OK=2/0"));
}

TEST_P(DoorStatisticsTest, OneDoorOnly) {
  CountRequest connect = CountOf(March2026(), {hub::v1::CONSUMER});
  connect.set_door("connect");
  absl::StatusOr<CountResponse> count = engine_->Count(connect);
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_THAT(Rows(*count), ElementsAre(absl::StrCat(kTaxLookup, "=2")));
  EXPECT_EQ(count->total(), 2);
  EXPECT_EQ(count->door(), "connect");  // what a client checks

  connect.set_calls(hub::v1::REFUSED_BY_HUB);
  absl::StatusOr<CountResponse> refused = engine_->Count(connect);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->total(), 1);
  CountRequest rest = connect;
  rest.set_door("rest");
  absl::StatusOr<CountResponse> none_refused = engine_->Count(rest);
  ASSERT_TRUE(none_refused.ok()) << none_refused.status();
  EXPECT_EQ(none_refused->total(), 0);

  GrowthRequest grpc = GrowthOf(March2026(), GrowthRequest::YEAR_ON_YEAR);
  grpc.set_door("grpc");
  absl::StatusOr<GrowthResponse> grown = engine_->Growth(grpc);
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_EQ(grown->total().current(), 4);
  EXPECT_EQ(grown->total().baseline(), 2);
  EXPECT_EQ(grown->door(), "grpc");
}

TEST_P(DoorStatisticsTest, AnUnknownDoorIsInvalid) {
  CountRequest count = CountOf(March2026());
  count.set_door("soap");
  absl::StatusOr<CountResponse> counted = engine_->Count(count);
  EXPECT_EQ(counted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(counted.status().message(),
            "door: unknown door \"soap\" (expected one of grpc, connect, rest, or empty for "
            "every door)");
  GrowthRequest growth = GrowthOf(March2026(), GrowthRequest::YEAR_ON_YEAR);
  growth.set_door("GRPC");  // names are lower case
  EXPECT_EQ(engine_->Growth(growth).status().code(), absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, DoorStatisticsTest,
    ::testing::Values(BackendFactory([] { return std::make_unique<SqliteBackend>(); }),
                      BackendFactory([] { return std::make_unique<PostgresBackend>(); })),
    [](const ::testing::TestParamInfo<BackendFactory>& backend) {
      return backend.index == 0 ? "Sqlite" : "Postgres";
    });

// Imported history has no door: it counts as gRPC calls, the only door there
// was, with the hub's own gRPC counters.
TEST_F(StatisticsEngineTest, ImportedHistoryCountsAsGrpc) {
  Counter by_connect{D(2026, 3, 2), 3};
  by_connect.door = "connect";
  db_.Plant({{D(2026, 3, 1), 5}, by_connect});
  std::istringstream csv(
      "day,consumer,provider,service,method,status,count\n"
      "2026-03-03,000.00.00.G12/tax-lookup,000.00.00.H49,ndxp.residents.v1.ResidentRegistry,"
      "GetCitizen,OK,100\n");
  ASSERT_TRUE(ImportHistoryCsv(db_.path(), csv, "history.csv").ok());

  const Period march = AnchoredPeriod(Period::MONTH, D(2026, 3, 1));
  EXPECT_THAT(Rows(MustCount(CountOf(march, {hub::v1::DOOR}))),
              ElementsAre("grpc=105", "connect=3"));
  CountRequest grpc_only = CountOf(march);
  grpc_only.set_door("grpc");
  EXPECT_EQ(MustCount(grpc_only).total(), 105);
  CountRequest connect_only = CountOf(march);
  connect_only.set_door("connect");
  EXPECT_EQ(MustCount(connect_only).total(), 3);
}

// ---- invalid requests

TEST_F(StatisticsEngineTest, InvalidRequestsNameTheField) {
  Period no_anchor;
  no_anchor.set_kind(Period::YEAR);
  Period bad_anchor;
  bad_anchor.set_kind(Period::DAY);
  *bad_anchor.mutable_anchor() = MakeDay(2026, 2, 30);
  const Period good = AnchoredPeriod(Period::MONTH, D(2026, 3, 1));
  struct Case {
    std::string name;
    Period period;
    std::vector<int> group_by;
    GrowthRequest::Baseline baseline;  // BASELINE_UNSPECIFIED: Count too
    std::string message;
  };
  const auto yoy = GrowthRequest::YEAR_ON_YEAR;
  const std::vector<Case> cases = {
      {"kind unspecified", Period(), {}, yoy, "period.kind is unspecified"},
      {"anchor missing", no_anchor, {}, yoy, "period.anchor is missing"},
      {"anchor not a real date", bad_anchor, {}, yoy,
       "period.anchor 2026-02-30 is not a real date"},
      {"from after to", CustomPeriod(D(2026, 7, 1), D(2026, 6, 30)), {}, yoy,
       "period.from 2026-07-01 is after period.to 2026-06-30"},
      {"unspecified dimension", good, {hub::v1::CONSUMER, 0}, yoy,
       "group_by[1]: unknown dimension"},
      {"unknown dimension", good, {12}, yoy, "group_by[0]: unknown dimension 12"},
      {"duplicate dimension", good, {hub::v1::METHOD, hub::v1::METHOD}, yoy,
       "group_by[1]: duplicate dimension METHOD"},
      {"baseline unspecified", good, {}, GrowthRequest::BASELINE_UNSPECIFIED,
       "baseline is unspecified"},
      {"previous of cumulative", AnchoredPeriod(Period::CUMULATIVE, D(2026, 1, 1)), {},
       GrowthRequest::PREVIOUS_PERIOD, "baseline: previous period is undefined for cumulative"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    GrowthRequest growth;
    *growth.mutable_period() = c.period;
    growth.set_baseline(c.baseline);
    for (int d : c.group_by) growth.add_group_by(static_cast<hub::v1::Dimension>(d));
    absl::StatusOr<GrowthResponse> growth_response = Engine().Growth(growth);
    EXPECT_EQ(growth_response.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(growth_response.status().message()), ::testing::StartsWith(c.message));

    const bool count_applies = absl::StartsWith(c.message, "period.") ||
                               absl::StartsWith(c.message, "group_by");
    if (!count_applies) continue;
    CountRequest count;
    *count.mutable_period() = c.period;
    *count.mutable_group_by() = growth.group_by();
    absl::StatusOr<CountResponse> count_response = Engine().Count(count);
    EXPECT_EQ(count_response.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(count_response.status().message()), ::testing::StartsWith(c.message));
  }
}

// A fake reader whose counts overflow a total.
class HugeCounts final : public CounterReader {
 public:
  absl::StatusOr<std::vector<CounterRow>> Sum(absl::CivilDay, absl::CivilDay,
                                               const std::vector<hub::v1::Dimension>&,
                                               hub::v1::Calls, std::optional<Door>) override {
    return std::vector<CounterRow>{{{"a"}, INT64_MAX}, {{"b"}, 1}};
  }
};

TEST(StatisticsEngineFakeTest, TotalOverflowIsOutOfRange) {
  StatisticsEngine engine(std::make_unique<HugeCounts>());
  absl::StatusOr<CountResponse> count =
      engine.Count(CountOf(AnchoredPeriod(Period::DAY, D(2026, 1, 1)), {hub::v1::CONSUMER}));
  EXPECT_EQ(count.status().code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace ndxp::gateway::statistics
