#include "gateway/statistics/counter_reader.h"

#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "common/sqlite/sqlite.h"
#include "gateway/statistics/statistics_test_util.h"
#include "gateway/statistics/status_codes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::statistics {

// For gMock's messages.
void PrintTo(const CounterRow& row, std::ostream* os) {
  *os << "{" << absl::StrJoin(row.key, ", ") << "}: " << row.count;
}

namespace {

using hub::v1::Dimension;
using testing::Counter;
using testing::HubDatabase;
using testing::kBenefits;
using testing::kDocumentOffice;
using testing::kDocuments;
using testing::kTaxLookup;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

using D = absl::CivilDay;

TEST(StatusCodesTest, NamesOfAllSeventeenCodes) {
  const std::vector<std::string> names = {
      "OK",           "CANCELLED",         "UNKNOWN",          "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",    "ALREADY_EXISTS",   "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",  "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",         "UNAVAILABLE",      "DATA_LOSS",
      "UNAUTHENTICATED"};
  ASSERT_EQ(names.size(), static_cast<size_t>(kStatusCodeCount));
  for (int code = 0; code < kStatusCodeCount; ++code) {
    SCOPED_TRACE(code);
    EXPECT_EQ(StatusCodeName(code), names[code]);
    // The same names as absl's canonical codes (and gRPC's).
    EXPECT_EQ(StatusCodeName(code),
              absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
    EXPECT_EQ(ParseStatusCode(names[code]), code);
    EXPECT_EQ(ParseStatusCode(std::to_string(code)), code);
  }
  EXPECT_EQ(StatusCodeName(42), "42");
  EXPECT_EQ(StatusCodeName(-1), "-1");
}

TEST(StatusCodesTest, ParseRejectsEverythingElse) {
  for (const char* text : {"", "ok", "Ok", "NOTFOUND", "17", "-1", "+1", " 1", "1 ", "05x",
                           "007", "1.0"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ParseStatusCode(text), std::nullopt);
  }
}

TEST(ParseGroupByTest, UnknownAndDuplicateDimensionsNameTheIndex) {
  struct Case {
    std::vector<int> group_by;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{hub::v1::CONSUMER, hub::v1::DIMENSION_UNSPECIFIED},
       "group_by[1]: unknown dimension DIMENSION_UNSPECIFIED (expected CONSUMER, PROVIDER, "
       "SERVICE, METHOD, STATUS, VIA or DOOR)"},
      {{99}, "group_by[0]: unknown dimension 99 (expected CONSUMER, PROVIDER, SERVICE, "
             "METHOD, STATUS, VIA or DOOR)"},
      {{hub::v1::CONSUMER, hub::v1::STATUS, hub::v1::CONSUMER},
       "group_by[2]: duplicate dimension CONSUMER (already group_by[0])"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    google::protobuf::RepeatedField<int> group_by(c.group_by.begin(), c.group_by.end());
    absl::StatusOr<std::vector<Dimension>> parsed = ParseGroupBy(group_by);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().message(), c.message);
  }
  google::protobuf::RepeatedField<int> all;
  for (int d : {6, 5, 4, 3, 2, 1}) all.Add(d);
  absl::StatusOr<std::vector<Dimension>> parsed = ParseGroupBy(all);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->size(), 6u);
  EXPECT_EQ(parsed->front(), hub::v1::VIA);
}

TEST(SqliteCounterReaderTest, MissingFileIsNotFoundAndNotCreated) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/absent.db";
  auto reader = SqliteCounterReader::Open(path);
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(reader.status().message()), HasSubstr("no such file"));
  EXPECT_FALSE(std::ifstream(path).good());
}

TEST(SqliteCounterReaderTest, DatabaseWithoutCountersIsNotFound) {
  ndxp::testing::TempDir dir;
  const std::string path = dir.path() + "/other.db";
  {
    auto db = ::ndxp::SqliteDatabase::Open(path);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Exec("CREATE TABLE t (x)").ok());
  }
  auto reader = SqliteCounterReader::Open(path);
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(reader.status().message()), HasSubstr("no counters table"));
}

class SqliteCounterReaderSumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Plant({
        {D(2026, 3, 1), 50},
        {D(2026, 3, 1), 3, kTaxLookup, testing::kPopulationRegistry, testing::kResidents,
         "GetCitizen", 5},
        {D(2026, 3, 2), 20, kBenefits},
        {D(2026, 3, 3), 7, kBenefits, kDocumentOffice, kDocuments, "Verify", 14},
        {D(2026, 3, 4), 9, kBenefits, kDocumentOffice, kDocuments, "Verify", 42},
        {D(2026, 3, 5), 0, kBenefits},  // a zero counter shows no row
    });
    auto reader = SqliteCounterReader::Open(db_.path());
    ASSERT_TRUE(reader.ok()) << reader.status();
    reader_ = *std::move(reader);
  }

  HubDatabase db_;
  std::unique_ptr<SqliteCounterReader> reader_;
};

TEST_F(SqliteCounterReaderSumTest, KeysOfEachDimension) {
  using R = CounterRow;
  struct Case {
    std::string name;
    std::vector<Dimension> group_by;
    std::vector<CounterRow> expected;
  };
  const std::vector<Case> cases = {
      {"total", {}, {R{{}, 89}}},
      {"consumer", {hub::v1::CONSUMER}, {R{{kTaxLookup}, 53}, R{{kBenefits}, 36}}},
      {"method is service/method",
       {hub::v1::METHOD},
       {R{{"ndxp.residents.v1.ResidentRegistry/GetCitizen"}, 73},
        R{{"ndxp.documents.v1.Documents/Verify"}, 16}}},
      {"status names, unknown code as its number",
       {hub::v1::STATUS},
       {R{{"OK"}, 70}, R{{"NOT_FOUND"}, 3}, R{{"UNAVAILABLE"}, 7}, R{{"42"}, 9}}},
      {"provider and service",
       {hub::v1::PROVIDER, hub::v1::SERVICE},
       {R{{testing::kPopulationRegistry, testing::kResidents}, 73},
        R{{kDocumentOffice, kDocuments}, 16}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto rows = reader_->Sum(D(2026, 1, 1), D(2026, 12, 31), c.group_by, hub::v1::FORWARDED,
                             std::nullopt);
    ASSERT_TRUE(rows.ok()) << rows.status();
    EXPECT_THAT(*rows, ::testing::UnorderedElementsAreArray(c.expected));
  }
}

TEST_F(SqliteCounterReaderSumTest, DaysAreInclusive) {
  struct Case {
    D from, to;
    int64_t total;  // -1: no rows
  };
  const std::vector<Case> cases = {
      {D(2026, 3, 1), D(2026, 3, 1), 53},
      {D(2026, 3, 2), D(2026, 3, 3), 27},
      {D(2026, 3, 3), D(2026, 3, 4), 16},
      {D(2026, 3, 5), D(2026, 3, 31), -1},   // only a zero counter
      {D(2026, 3, 4), D(2026, 3, 1), -1},    // empty range
      {kEarliestDay, D(9999, 12, 31), 89},
      {D(-5, 1, 1), D(20000, 1, 1), 89},     // beyond 'YYYY' text: clamped
      {D(-5, 1, 1), D(-1, 12, 31), -1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(FormatDay(c.from), "..", FormatDay(c.to)));
    auto rows = reader_->Sum(c.from, c.to, {}, hub::v1::FORWARDED, std::nullopt);
    ASSERT_TRUE(rows.ok()) << rows.status();
    if (c.total < 0) {
      EXPECT_TRUE(rows->empty());
    } else {
      EXPECT_THAT(*rows, UnorderedElementsAre(CounterRow{{}, c.total}));
    }
  }
}

TEST_F(SqliteCounterReaderSumTest, RejectsBadDimensions) {
  auto rows = reader_->Sum(D(2026, 1, 1), D(2026, 12, 31),
                           {hub::v1::STATUS, static_cast<Dimension>(8)}, hub::v1::FORWARDED,
                           std::nullopt);
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(rows.status().message()), HasSubstr("group_by[1]: unknown dimension 8"));
  auto calls = reader_->Sum(D(2026, 1, 1), D(2026, 12, 31), {}, static_cast<hub::v1::Calls>(5),
                            std::nullopt);
  EXPECT_EQ(calls.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(calls.status().message()), HasSubstr("calls: unknown value 5"));
}

TEST_F(SqliteCounterReaderSumTest, SeesCountersWrittenAfterOpen) {
  // The hub keeps writing while the reader is open: each Sum reads anew.
  db_.Plant({{D(2026, 3, 1), 1}});
  auto rows = reader_->Sum(D(2026, 3, 1), D(2026, 3, 1), {}, hub::v1::FORWARDED, std::nullopt);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(*rows, UnorderedElementsAre(CounterRow{{}, 54}));
}

}  // namespace
}  // namespace ndxp::gateway::statistics
