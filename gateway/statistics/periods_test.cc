#include "gateway/statistics/periods.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "gateway/statistics/statistics_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::statistics {
namespace {

using hub::v1::GrowthRequest;
using hub::v1::Period;
using testing::AnchoredPeriod;
using testing::CustomPeriod;
using testing::MakeDay;
using testing::RangeString;
using ::testing::HasSubstr;

using D = absl::CivilDay;

struct PeriodCase {
  std::string name;
  Period period;
  std::string expected;  // "from..to"
};

TEST(ResolvePeriodTest, CalendarUnits) {
  const std::vector<PeriodCase> cases = {
      {"day", AnchoredPeriod(Period::DAY, D(2026, 3, 15)), "2026-03-15..2026-03-15"},
      {"leap day", AnchoredPeriod(Period::DAY, D(2028, 2, 29)), "2028-02-29..2028-02-29"},
      {"31-day month", AnchoredPeriod(Period::MONTH, D(2026, 1, 17)), "2026-01-01..2026-01-31"},
      {"28-day February", AnchoredPeriod(Period::MONTH, D(2026, 2, 10)),
       "2026-02-01..2026-02-28"},
      {"29-day February", AnchoredPeriod(Period::MONTH, D(2028, 2, 10)),
       "2028-02-01..2028-02-29"},
      {"30-day month", AnchoredPeriod(Period::MONTH, D(2026, 4, 30)), "2026-04-01..2026-04-30"},
      {"December", AnchoredPeriod(Period::MONTH, D(2026, 12, 31)), "2026-12-01..2026-12-31"},
      {"Q1", AnchoredPeriod(Period::QUARTER, D(2026, 1, 1)), "2026-01-01..2026-03-31"},
      {"Q1 of a leap year", AnchoredPeriod(Period::QUARTER, D(2028, 2, 29)),
       "2028-01-01..2028-03-31"},
      {"Q2", AnchoredPeriod(Period::QUARTER, D(2026, 5, 15)), "2026-04-01..2026-06-30"},
      {"Q3", AnchoredPeriod(Period::QUARTER, D(2026, 9, 30)), "2026-07-01..2026-09-30"},
      {"Q4", AnchoredPeriod(Period::QUARTER, D(2026, 11, 1)), "2026-10-01..2026-12-31"},
      {"H1 by its last day", AnchoredPeriod(Period::HALF_YEAR, D(2026, 6, 30)),
       "2026-01-01..2026-06-30"},
      {"H2 by its first day", AnchoredPeriod(Period::HALF_YEAR, D(2026, 7, 1)),
       "2026-07-01..2026-12-31"},
      {"year", AnchoredPeriod(Period::YEAR, D(2026, 8, 8)), "2026-01-01..2026-12-31"},
      {"leap year", AnchoredPeriod(Period::YEAR, D(2028, 2, 29)), "2028-01-01..2028-12-31"},
      {"custom", CustomPeriod(D(2026, 3, 10), D(2026, 4, 20)), "2026-03-10..2026-04-20"},
      {"custom single day", CustomPeriod(D(2026, 3, 10), D(2026, 3, 10)),
       "2026-03-10..2026-03-10"},
      {"cumulative", AnchoredPeriod(Period::CUMULATIVE, D(2026, 6, 30)),
       "0001-01-01..2026-06-30"},
  };
  for (const PeriodCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<DayRange> range = ResolvePeriod(c.period);
    ASSERT_TRUE(range.ok()) << range.status();
    EXPECT_EQ(RangeString(*range), c.expected);
  }
}

TEST(ResolvePeriodTest, LeapYearHas366Days) {
  absl::StatusOr<DayRange> leap = ResolvePeriod(AnchoredPeriod(Period::YEAR, D(2028, 7, 1)));
  ASSERT_TRUE(leap.ok()) << leap.status();
  EXPECT_EQ(leap->to - leap->from + 1, 366);
  absl::StatusOr<DayRange> common = ResolvePeriod(AnchoredPeriod(Period::YEAR, D(2027, 7, 1)));
  ASSERT_TRUE(common.ok()) << common.status();
  EXPECT_EQ(common->to - common->from + 1, 365);
}

struct BaselineCase {
  std::string name;
  Period period;
  std::string expected;
};

void ExpectBaselines(GrowthRequest::Baseline baseline, const std::vector<BaselineCase>& cases) {
  for (const BaselineCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<DayRange> range = ResolveBaseline(c.period, baseline);
    ASSERT_TRUE(range.ok()) << range.status();
    EXPECT_EQ(RangeString(*range), c.expected);
  }
}

TEST(ResolveBaselineTest, YearOnYear) {
  ExpectBaselines(
      GrowthRequest::YEAR_ON_YEAR,
      {
          {"day", AnchoredPeriod(Period::DAY, D(2026, 3, 1)), "2025-03-01..2025-03-01"},
          {"leap day becomes 28 February", AnchoredPeriod(Period::DAY, D(2028, 2, 29)),
           "2027-02-28..2027-02-28"},
          {"day after a leap day", AnchoredPeriod(Period::DAY, D(2029, 3, 1)),
           "2028-03-01..2028-03-01"},
          {"February of a leap year", AnchoredPeriod(Period::MONTH, D(2028, 2, 15)),
           "2027-02-01..2027-02-28"},
          {"February after a leap year", AnchoredPeriod(Period::MONTH, D(2029, 2, 15)),
           "2028-02-01..2028-02-29"},
          {"month", AnchoredPeriod(Period::MONTH, D(2026, 1, 31)), "2025-01-01..2025-01-31"},
          {"quarter", AnchoredPeriod(Period::QUARTER, D(2026, 8, 1)),
           "2025-07-01..2025-09-30"},
          {"half-year", AnchoredPeriod(Period::HALF_YEAR, D(2026, 1, 1)),
           "2025-01-01..2025-06-30"},
          {"second half-year", AnchoredPeriod(Period::HALF_YEAR, D(2026, 12, 31)),
           "2025-07-01..2025-12-31"},
          {"year", AnchoredPeriod(Period::YEAR, D(2029, 1, 1)), "2028-01-01..2028-12-31"},
          {"custom ending on a leap day", CustomPeriod(D(2028, 2, 1), D(2028, 2, 29)),
           "2027-02-01..2027-02-28"},
          {"custom", CustomPeriod(D(2026, 3, 10), D(2026, 4, 20)), "2025-03-10..2025-04-20"},
          {"cumulative", AnchoredPeriod(Period::CUMULATIVE, D(2028, 2, 29)),
           "0001-01-01..2027-02-28"},
      });
}

TEST(ResolveBaselineTest, PreviousPeriod) {
  ExpectBaselines(
      GrowthRequest::PREVIOUS_PERIOD,
      {
          {"day", AnchoredPeriod(Period::DAY, D(2026, 3, 1)), "2026-02-28..2026-02-28"},
          {"day after a leap day", AnchoredPeriod(Period::DAY, D(2028, 3, 1)),
           "2028-02-29..2028-02-29"},
          {"New Year's day", AnchoredPeriod(Period::DAY, D(2026, 1, 1)),
           "2025-12-31..2025-12-31"},
          {"January -> previous December", AnchoredPeriod(Period::MONTH, D(2026, 1, 20)),
           "2025-12-01..2025-12-31"},
          {"March -> leap February", AnchoredPeriod(Period::MONTH, D(2028, 3, 31)),
           "2028-02-01..2028-02-29"},
          {"May -> April", AnchoredPeriod(Period::MONTH, D(2026, 5, 31)),
           "2026-04-01..2026-04-30"},
          {"Q1 -> previous year's Q4", AnchoredPeriod(Period::QUARTER, D(2026, 2, 1)),
           "2025-10-01..2025-12-31"},
          {"Q3 -> Q2", AnchoredPeriod(Period::QUARTER, D(2026, 7, 1)),
           "2026-04-01..2026-06-30"},
          {"H2 -> H1", AnchoredPeriod(Period::HALF_YEAR, D(2026, 9, 1)),
           "2026-01-01..2026-06-30"},
          {"H1 -> previous year's H2", AnchoredPeriod(Period::HALF_YEAR, D(2026, 6, 30)),
           "2025-07-01..2025-12-31"},
          {"year", AnchoredPeriod(Period::YEAR, D(2026, 1, 1)), "2025-01-01..2025-12-31"},
          {"custom of 10 days", CustomPeriod(D(2026, 3, 1), D(2026, 3, 10)),
           "2026-02-19..2026-02-28"},
          {"custom of one day", CustomPeriod(D(2026, 3, 1), D(2026, 3, 1)),
           "2026-02-28..2026-02-28"},
          {"custom reaching before year 1: cut at 0001-01-01",
           CustomPeriod(D(1, 3, 1), D(1, 12, 31)), "0001-01-01..0001-02-28"},
      });
}

// Found by the statistics query fuzzer: a period in year 1 made a baseline in
// year 0 (a cumulative one ended before it began).
TEST(ResolveBaselineTest, APeriodInYearOneHasNoYearBefore) {
  for (const Period& period :
       {AnchoredPeriod(Period::YEAR, D(1, 6, 1)), AnchoredPeriod(Period::CUMULATIVE, D(1, 6, 1)),
        AnchoredPeriod(Period::DAY, D(1, 1, 1))}) {
    SCOPED_TRACE(period.DebugString());
    absl::StatusOr<DayRange> baseline = ResolveBaseline(period, GrowthRequest::YEAR_ON_YEAR);
    EXPECT_EQ(baseline.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(baseline.status().message()), HasSubstr("starts in year 1"));
  }
  EXPECT_FALSE(
      ResolveBaseline(AnchoredPeriod(Period::DAY, D(1, 1, 1)), GrowthRequest::PREVIOUS_PERIOD)
          .ok());
}

struct InvalidCase {
  std::string name;
  Period period;
  GrowthRequest::Baseline baseline;
  std::string message;  // the exact message, or a part of it
};

Period WithKind(int kind) {
  Period period;
  period.set_kind(static_cast<Period::Kind>(kind));
  *period.mutable_anchor() = MakeDay(2026, 1, 1);
  return period;
}

Period WithAnchor(Period::Kind kind, hub::v1::Day anchor) {
  Period period;
  period.set_kind(kind);
  *period.mutable_anchor() = anchor;
  return period;
}

TEST(ResolveBaselineTest, InvalidInputNamesTheField) {
  Period no_anchor;
  no_anchor.set_kind(Period::MONTH);
  Period custom_without_to = CustomPeriod(D(2026, 3, 1), D(2026, 3, 10));
  custom_without_to.clear_to();
  Period custom_without_from = CustomPeriod(D(2026, 3, 1), D(2026, 3, 10));
  custom_without_from.clear_from();
  Period custom_with_anchor = CustomPeriod(D(2026, 3, 1), D(2026, 3, 10));
  *custom_with_anchor.mutable_anchor() = MakeDay(2026, 3, 1);
  Period custom_bad_from = CustomPeriod(D(2026, 3, 1), D(2026, 5, 10));
  *custom_bad_from.mutable_from() = MakeDay(2026, 4, 31);
  Period custom_bad_to = CustomPeriod(D(2026, 3, 1), D(2026, 5, 10));
  *custom_bad_to.mutable_to() = MakeDay(2026, 5, 0);
  Period month_with_from = AnchoredPeriod(Period::MONTH, D(2026, 3, 1));
  *month_with_from.mutable_from() = MakeDay(2026, 3, 1);
  Period day_with_to = AnchoredPeriod(Period::DAY, D(2026, 3, 1));
  *day_with_to.mutable_to() = MakeDay(2026, 3, 1);
  const Period good = AnchoredPeriod(Period::MONTH, D(2026, 3, 1));
  const auto yoy = GrowthRequest::YEAR_ON_YEAR;

  const std::vector<InvalidCase> cases = {
      {"kind unspecified", WithKind(Period::KIND_UNSPECIFIED), yoy,
       "period.kind is unspecified (expected DAY, MONTH, QUARTER, HALF_YEAR, YEAR, CUSTOM "
       "or CUMULATIVE)"},
      {"kind unknown", WithKind(42), yoy, "period.kind 42 is unknown"},
      {"anchor missing", no_anchor, yoy, "period.anchor is missing (required for MONTH)"},
      {"30 February", WithAnchor(Period::DAY, MakeDay(2026, 2, 30)), yoy,
       "period.anchor 2026-02-30 is not a real date"},
      {"29 February of a common year", WithAnchor(Period::YEAR, MakeDay(2027, 2, 29)), yoy,
       "period.anchor 2027-02-29 is not a real date"},
      {"month 13", WithAnchor(Period::MONTH, MakeDay(2026, 13, 1)), yoy,
       "period.anchor 2026-13-01 is not a real date"},
      {"day 0", WithAnchor(Period::QUARTER, MakeDay(2026, 1, 0)), yoy,
       "period.anchor 2026-01-00 is not a real date"},
      {"year 0", WithAnchor(Period::CUMULATIVE, MakeDay(0, 1, 1)), yoy,
       "period.anchor 0000-01-01 is not a real date (years 1..9999)"},
      {"year 10000", WithAnchor(Period::HALF_YEAR, MakeDay(10000, 1, 1)), yoy,
       "period.anchor 10000-01-01 is not a real date (years 1..9999)"},
      {"from after to", CustomPeriod(D(2026, 7, 1), D(2026, 6, 30)), yoy,
       "period.from 2026-07-01 is after period.to 2026-06-30"},
      {"custom without from", custom_without_from, yoy,
       "period.from is missing (required for CUSTOM)"},
      {"custom without to", custom_without_to, yoy,
       "period.to is missing (required for CUSTOM)"},
      {"custom with anchor", custom_with_anchor, yoy,
       "period.anchor is set but CUSTOM periods use period.from and period.to only"},
      {"custom from not a real date", custom_bad_from, yoy,
       "period.from 2026-04-31 is not a real date"},
      {"custom to not a real date", custom_bad_to, yoy,
       "period.to 2026-05-00 is not a real date"},
      {"month with from", month_with_from, yoy,
       "period.from is set but MONTH periods use period.anchor only"},
      {"day with to", day_with_to, yoy, "period.to is set but DAY periods use period.anchor only"},
      {"baseline unspecified", good, GrowthRequest::BASELINE_UNSPECIFIED,
       "baseline is unspecified (expected YEAR_ON_YEAR or PREVIOUS_PERIOD)"},
      {"baseline unknown", good, static_cast<GrowthRequest::Baseline>(9),
       "baseline 9 is unknown"},
      {"previous of cumulative", AnchoredPeriod(Period::CUMULATIVE, D(2026, 6, 30)),
       GrowthRequest::PREVIOUS_PERIOD,
       "baseline: previous period is undefined for cumulative periods (use YEAR_ON_YEAR)"},
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<DayRange> range = ResolveBaseline(c.period, c.baseline);
    EXPECT_EQ(range.status().code(), absl::StatusCode::kInvalidArgument) << range.status();
    EXPECT_EQ(range.status().message(), c.message);
    // ResolvePeriod reports the same period errors.
    if (c.baseline == yoy) {
      EXPECT_EQ(ResolvePeriod(c.period).status(), range.status());
    }
  }
}

TEST(PeriodsTest, SameDayYearEarlier) {
  EXPECT_EQ(SameDayYearEarlier(D(2028, 2, 29)), D(2027, 2, 28));
  EXPECT_EQ(SameDayYearEarlier(D(2029, 2, 28)), D(2028, 2, 28));
  EXPECT_EQ(SameDayYearEarlier(D(2026, 12, 31)), D(2025, 12, 31));
}

TEST(PeriodsTest, FormatDayPadsTheYear) {
  EXPECT_EQ(FormatDay(D(2026, 3, 5)), "2026-03-05");
  EXPECT_EQ(FormatDay(kEarliestDay), "0001-01-01");
}

TEST(PeriodsTest, ProtoDayRoundTrip) {
  const hub::v1::Day day = ToProtoDay(D(2028, 2, 29));
  EXPECT_EQ(day.year(), 2028);
  EXPECT_EQ(day.month(), 2);
  EXPECT_EQ(day.day(), 29);
  absl::StatusOr<absl::CivilDay> back = DayFromProto(day, "x");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, D(2028, 2, 29));
  EXPECT_THAT(DayFromProto(MakeDay(2026, 2, 29), "report.day").status().message(),
              HasSubstr("report.day 2026-02-29 is not a real date"));
}

TEST(ParsePeriodNameTest, NamesResolveToTheirDays) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2024", "2024-01-01..2024-12-31"},      {"2024H1", "2024-01-01..2024-06-30"},
      {"2024h2", "2024-07-01..2024-12-31"},    {"2024Q1", "2024-01-01..2024-03-31"},
      {"2024Q2", "2024-04-01..2024-06-30"},    {"2024q4", "2024-10-01..2024-12-31"},
      {"2024-06", "2024-06-01..2024-06-30"},   {"2024-02", "2024-02-01..2024-02-29"},
      {"2024-06-15", "2024-06-15..2024-06-15"}, {"2024-02-29", "2024-02-29..2024-02-29"},
  };
  for (const auto& [name, expected] : cases) {
    SCOPED_TRACE(name);
    absl::StatusOr<Period> period = ParsePeriodName(name);
    ASSERT_TRUE(period.ok()) << period.status();
    absl::StatusOr<DayRange> range = ResolvePeriod(*period);
    ASSERT_TRUE(range.ok()) << range.status();
    EXPECT_EQ(RangeString(*range), expected);
  }
  EXPECT_EQ(ParsePeriodName("2024H1")->kind(), Period::HALF_YEAR);
  EXPECT_EQ(ParsePeriodName("2024Q2")->kind(), Period::QUARTER);
  EXPECT_EQ(ParsePeriodName("2024-06")->kind(), Period::MONTH);
  EXPECT_EQ(ParsePeriodName("2024")->kind(), Period::YEAR);
}

TEST(ParsePeriodNameTest, AnythingElseNamesTheTextAndTheForms) {
  for (const char* name : {"", "24", "2024H3", "2024H0", "2024Q5", "2024-13", "2024-00",
                           "2024-6", "2023-02-29", "2024-06-31", "H1 2024", "2024 H1",
                           "2024H12", "20x4", "0000", "2024-06-15x", "+2024"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<Period> period = ParsePeriodName(name);
    ASSERT_FALSE(period.ok());
    EXPECT_EQ(period.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(period.status().message(), HasSubstr(absl::StrCat("period \"", name, "\"")));
    EXPECT_THAT(period.status().message(), HasSubstr("YYYYH1"));
  }
}

}  // namespace
}  // namespace ndxp::gateway::statistics
