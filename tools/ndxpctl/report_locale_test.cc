#include "tools/ndxpctl/report_locale.h"

#include <string>

#include "gateway/statistics/statistics_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::ndxpctl {
namespace {

namespace v1 = ::ndxp::hub::v1;
using ::ndxp::gateway::statistics::MakeGrowthRow;

const ReportLocale& English() { return ReportLocale::For(Language::kEnglish); }
const ReportLocale& Vietnamese() { return ReportLocale::For(Language::kVietnamese); }

v1::ResolvedPeriod Range(int y1, int m1, int d1, int y2, int m2, int d2) {
  v1::ResolvedPeriod period;
  period.mutable_from()->set_year(y1);
  period.mutable_from()->set_month(m1);
  period.mutable_from()->set_day(d1);
  period.mutable_to()->set_year(y2);
  period.mutable_to()->set_month(m2);
  period.mutable_to()->set_day(d2);
  return period;
}

TEST(ReportLocaleTest, TheHeadlineOperatorsQuote) {
  const v1::GrowthRow total = MakeGrowthRow(1'670'000, 1'000'000);
  EXPECT_EQ(Vietnamese().Headline(total, 2023),
            "1.670.000 giao dịch, tăng 67,0% so với cùng kỳ năm 2023");
  EXPECT_EQ(English().Headline(total, 2023),
            "1,670,000 transactions, up 67.0% on the same period of 2023");
}

TEST(ReportLocaleTest, HeadlineDownUnchangedAndWithoutBaseline) {
  EXPECT_EQ(Vietnamese().Headline(MakeGrowthRow(875, 1000), 2023),
            "875 giao dịch, giảm 12,5% so với cùng kỳ năm 2023");
  EXPECT_EQ(English().Headline(MakeGrowthRow(875, 1000), 2023),
            "875 transactions, down 12.5% on the same period of 2023");
  EXPECT_EQ(Vietnamese().Headline(MakeGrowthRow(1000, 1000), 2023),
            "1.000 giao dịch, không đổi so với cùng kỳ năm 2023");
  EXPECT_EQ(English().Headline(MakeGrowthRow(1000, 1000), 2023),
            "1,000 transactions, unchanged from the same period of 2023");
  EXPECT_EQ(Vietnamese().Headline(MakeGrowthRow(12, 0), 2023),
            "12 giao dịch, cùng kỳ năm 2023 không có");
  EXPECT_EQ(English().Headline(MakeGrowthRow(12, 0), 2023),
            "12 transactions, none in the same period of 2023");
}

TEST(ReportLocaleTest, DocumentsAsAMultiple) {
  const v1::GrowthRow documents = MakeGrowthRow(380'000, 100'000);
  EXPECT_EQ(Vietnamese().DocumentsSentence(documents, 2023),
            "380.000 văn bản điện tử được trao đổi, gấp 3,80 lần cùng kỳ năm 2023");
  EXPECT_EQ(English().DocumentsSentence(documents, 2023),
            "380,000 documents exchanged, 3.80× the same period of 2023");
  // Fewer than a year earlier: a change, not "0.50×"; thousands separators are not the
  // sentence's commas.
  EXPECT_EQ(English().DocumentsSentence(MakeGrowthRow(50'000, 100'000), 2023),
            "50,000 documents exchanged, down 50.0% on the same period of 2023");
}

TEST(ReportLocaleTest, NumbersInEachLanguage) {
  EXPECT_EQ(Vietnamese().Count(1'670'000), "1.670.000");
  EXPECT_EQ(English().Count(1'670'000), "1,670,000");
  EXPECT_EQ(Vietnamese().Count(0), "0");
  EXPECT_EQ(Vietnamese().SignedCount(670'000), "+670.000");
  EXPECT_EQ(English().SignedCount(-12), "-12");
  EXPECT_EQ(Vietnamese().SignedPercent(67.0), "+67,0%");
  EXPECT_EQ(English().SignedPercent(-4.25), "-4.2%");
  EXPECT_EQ(Vietnamese().Share(0.935), "93,5%");
  EXPECT_EQ(English().Multiple(3'700'000.0 / 974'000.0), "3.80×");
  EXPECT_EQ(Vietnamese().Multiple(3'700'000.0 / 974'000.0), "3,80 lần");
  EXPECT_EQ(Vietnamese().Change(MakeGrowthRow(5, 0)), "mới");
  EXPECT_EQ(English().Change(MakeGrowthRow(5, 0)), "new");
  // Nothing against nothing is not new: there is no change to show.
  EXPECT_EQ(Vietnamese().Change(MakeGrowthRow(0, 0)), "–");
  EXPECT_EQ(English().Change(MakeGrowthRow(0, 0)), "–");
  EXPECT_EQ(English().Change(MakeGrowthRow(0, 4)), "-100.0%");
  // A share of nothing is no figure.
  EXPECT_EQ(English().ShareOf(0, 0), "–");
  EXPECT_EQ(Vietnamese().ShareOf(1, 8), "12,5%");
}

TEST(ReportLocaleTest, PeriodNamesAndDates) {
  struct Case {
    v1::Period::Kind kind;
    v1::ResolvedPeriod period;
    std::string english, vietnamese;
  };
  const Case cases[] = {
      {v1::Period::HALF_YEAR, Range(2024, 1, 1, 2024, 6, 30), "first half of 2024",
       "6 tháng đầu năm 2024"},
      {v1::Period::HALF_YEAR, Range(2024, 7, 1, 2024, 12, 31), "second half of 2024",
       "6 tháng cuối năm 2024"},
      {v1::Period::QUARTER, Range(2024, 4, 1, 2024, 6, 30), "Q2 2024", "quý II năm 2024"},
      {v1::Period::MONTH, Range(2024, 6, 1, 2024, 6, 30), "June 2024", "tháng 6 năm 2024"},
      {v1::Period::YEAR, Range(2024, 1, 1, 2024, 12, 31), "2024", "năm 2024"},
      {v1::Period::DAY, Range(2024, 6, 15, 2024, 6, 15), "15 June 2024", "ngày 15/06/2024"},
      {v1::Period::CUSTOM, Range(2024, 1, 5, 2024, 2, 9), "5 January 2024 – 9 February 2024",
       "05/01/2024 – 09/02/2024"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.english);
    EXPECT_EQ(English().PeriodName(c.kind, c.period), c.english);
    EXPECT_EQ(Vietnamese().PeriodName(c.kind, c.period), c.vietnamese);
  }
}

TEST(ReportLocaleTest, LanguagesAndStatusMeanings) {
  EXPECT_EQ(*ParseLanguage("vi"), Language::kVietnamese);
  EXPECT_EQ(*ParseLanguage("en"), Language::kEnglish);
  EXPECT_THAT(ParseLanguage("fr").status().message(),
              ::testing::HasSubstr("unknown language \"fr\" (expected en or vi)"));
  EXPECT_EQ(Vietnamese().StatusMeaning("PERMISSION_DENIED"), "không được cấp quyền");
  EXPECT_EQ(English().StatusMeaning("UNAVAILABLE"), "provider unavailable");
  EXPECT_EQ(English().StatusMeaning("CANCELLED"), "cancelled by the caller before the answer");
  EXPECT_EQ(English().StatusMeaning("42"), "42");
  EXPECT_EQ(English().HubRefusalMeaning("PERMISSION_DENIED"), "refused by the hub: not granted");
  EXPECT_EQ(Vietnamese().HubRefusalMeaning("PERMISSION_DENIED"),
            "nền tảng từ chối: không được cấp quyền");
}

}  // namespace
}  // namespace ndxp::ndxpctl
