#include "tools/ndxpctl/output_format.h"

#include <cstdint>
#include <limits>
#include <string>

#include <google/protobuf/text_format.h>

#include "gtest/gtest.h"

namespace ndxp::ndxpctl {
namespace {

namespace v1 = ::ndxp::hub::v1;

template <typename Message>
Message Parse(const std::string& text) {
  Message message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

TEST(WithThousandsSeparatorsTest, Cases) {
  struct Case {
    int64_t value;
    std::string plain;
    std::string signed_text;
  };
  const Case cases[] = {
      {0, "0", "+0"},
      {7, "7", "+7"},
      {999, "999", "+999"},
      {1000, "1,000", "+1,000"},
      {1670, "1,670", "+1,670"},
      {-670, "-670", "-670"},
      {-1234567, "-1,234,567", "-1,234,567"},
      {100000, "100,000", "+100,000"},
      {std::numeric_limits<int64_t>::max(), "9,223,372,036,854,775,807",
       "+9,223,372,036,854,775,807"},
      {std::numeric_limits<int64_t>::min(), "-9,223,372,036,854,775,808",
       "-9,223,372,036,854,775,808"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    EXPECT_EQ(WithThousandsSeparators(c.value), c.plain);
    EXPECT_EQ(SignedWithThousandsSeparators(c.value), c.signed_text);
  }
}

TEST(ParseOutputFormatTest, KnowsThreeAndRefusesTheRest) {
  EXPECT_EQ(*ParseOutputFormat("table"), OutputFormat::kTable);
  EXPECT_EQ(*ParseOutputFormat("csv"), OutputFormat::kCsv);
  EXPECT_EQ(*ParseOutputFormat("json"), OutputFormat::kJson);
  for (const char* name : {"yaml", "", "CSV", "table "}) {
    SCOPED_TRACE(name);
    absl::StatusOr<OutputFormat> format = ParseOutputFormat(name);
    ASSERT_FALSE(format.ok());
    EXPECT_EQ(format.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(format.status().message(), absl::StrCat("unknown format \"", name,
                                                      "\" (expected table, csv or json)"));
  }
}

TEST(DescribeStatusTest, NamesTheCode) {
  EXPECT_EQ(DescribeStatus(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "not an operator")),
            "PERMISSION_DENIED: not an operator");
  EXPECT_EQ(DescribeStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused")),
            "UNAVAILABLE: connection refused");
  EXPECT_EQ(DescribeStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "period.anchor")),
            "INVALID_ARGUMENT: period.anchor");
}

TEST(RenderCsvTest, QuotesWhatNeedsQuoting) {
  Table table{{"A", "B"}, {{"plain", "with,comma"}, {"say \"hi\"", "two\nlines"}}, 1};
  EXPECT_EQ(RenderCsv(table), "A,B\nplain,\"with,comma\"\n\"say \"\"hi\"\"\",\"two\nlines\"\n");
}

TEST(RenderAlignedTest, TextLeftNumbersRightNoTrailingSpaces) {
  Table table{{"METHOD", "COUNT"}, {{"a/LongMethod", "1,670"}, {"b/M", "7"}}, 1};
  EXPECT_EQ(RenderAligned(table),
            "METHOD        COUNT\n"
            "a/LongMethod  1,670\n"
            "b/M               7\n");
  Table text_last{{"K", "V"}, {{"x", "long text"}, {"y", "z"}}, 2};
  EXPECT_EQ(RenderAligned(text_last), "K  V\nx  long text\ny  z\n");
}

constexpr char kPeriod[] = "period { from { year: 2026 month: 1 day: 1 } "
                           "to { year: 2026 month: 6 day: 30 } } ";

TEST(RenderCountTest, UngroupedCarriesTheTotalInEveryFormat) {
  const auto request = Parse<v1::CountRequest>("period { kind: HALF_YEAR }");
  const auto response = Parse<v1::CountResponse>(std::string(kPeriod) + "total: 1670");
  EXPECT_EQ(RenderCount(request, response, OutputFormat::kTable),
            "Transactions 2026-01-01 .. 2026-06-30: 1,670\n");
  // Before: only the header "COUNT", no figure at all.
  EXPECT_EQ(RenderCount(request, response, OutputFormat::kCsv), "COUNT\n1670\n");
  EXPECT_EQ(RenderCount(request, response, OutputFormat::kJson),
            "{\"period\":{\"from\":{\"year\":2026,\"month\":1,\"day\":1},"
            "\"to\":{\"year\":2026,\"month\":6,\"day\":30}},\"rows\":[],\"total\":\"1670\","
            "\"calls\":\"FORWARDED\",\"door\":\"\"}\n");
}

TEST(RenderCountTest, EmptyTotalIsStillPrinted) {
  const auto request = Parse<v1::CountRequest>("");
  const auto response = Parse<v1::CountResponse>(kPeriod);
  EXPECT_EQ(RenderCount(request, response, OutputFormat::kCsv), "COUNT\n0\n");
  EXPECT_NE(RenderCount(request, response, OutputFormat::kJson).find("\"total\":\"0\""),
            std::string::npos);
}

TEST(RenderCountTest, GroupedRowsThenTotal) {
  const auto request = Parse<v1::CountRequest>("group_by: CONSUMER group_by: STATUS");
  const auto response = Parse<v1::CountResponse>(
      std::string(kPeriod) +
      "rows { key: '000.00.00.G12' key: 'OK' count: 1500 }"
      "rows { key: '000.00.00.G22' key: 'NOT_FOUND' count: 170 } total: 1670");
  EXPECT_EQ(RenderCount(request, response, OutputFormat::kTable),
            "Transactions 2026-01-01 .. 2026-06-30: 1,670\n"
            "\n"
            "CONSUMER       STATUS     COUNT\n"
            "000.00.00.G12  OK         1,500\n"
            "000.00.00.G22  NOT_FOUND    170\n"
            "TOTAL                     1,670\n");
  EXPECT_EQ(RenderCount(request, response, OutputFormat::kCsv),
            "CONSUMER,STATUS,COUNT\n"
            "000.00.00.G12,OK,1500\n"
            "000.00.00.G22,NOT_FOUND,170\n"
            "TOTAL,,1670\n");
}

// Province agencies through their province's hub, beside a direct call.
TEST(RenderCountTest, ADirectCallsViaIsADashInTablesAndEmptyForPrograms) {
  const auto request = Parse<v1::CountRequest>("group_by: CONSUMER group_by: VIA");
  const auto response = Parse<v1::CountResponse>(
      std::string(kPeriod) +
      "rows { key: '000.11.01.H11/commune' key: '000.00.00.H11/lgsp' count: 3 }"
      "rows { key: '000.00.00.G12/tax' key: '' count: 2 } total: 5");
  EXPECT_EQ(RenderCount(request, response, OutputFormat::kTable),
            "Transactions 2026-01-01 .. 2026-06-30: 5\n"
            "\n"
            "CONSUMER               VIA                 COUNT\n"
            "000.11.01.H11/commune  000.00.00.H11/lgsp      3\n"
            "000.00.00.G12/tax      -                       2\n"
            "TOTAL                                          5\n");
  EXPECT_EQ(RenderCount(request, response, OutputFormat::kCsv),
            "CONSUMER,VIA,COUNT\n"
            "000.11.01.H11/commune,000.00.00.H11/lgsp,3\n"
            "000.00.00.G12/tax,,2\n"
            "TOTAL,,5\n");
  EXPECT_NE(RenderCount(request, response, OutputFormat::kJson)
                .find("\"key\":[\"000.00.00.G12/tax\",\"\"]"),
            std::string::npos);
}

constexpr char kGrowthPeriods[] =
    "period { from { year: 2026 month: 1 day: 1 } to { year: 2026 month: 6 day: 30 } } "
    "baseline_period { from { year: 2025 month: 1 day: 1 } to { year: 2025 month: 6 day: 30 } } ";

TEST(RenderGrowthTest, HeadlineAndTotalRow) {
  const auto request = Parse<v1::GrowthRequest>("group_by: PROVIDER");
  const auto response = Parse<v1::GrowthResponse>(
      std::string(kGrowthPeriods) +
      "rows { key: '000.00.00.G04' current: 1670 baseline: 1000 difference: 670 defined: true "
      "       percent_change: 67.0 multiple: 1.67 }"
      "rows { key: '000.00.00.G22' current: 5 difference: 5 "
      "       undefined_reason: 'no transactions in the baseline period' }"
      "total { current: 1680 baseline: 1000 difference: 680 defined: true "
      "        percent_change: 68.0 multiple: 1.68 }");
  EXPECT_EQ(RenderGrowth(request, response, OutputFormat::kTable),
            "2026-01-01 .. 2026-06-30 against 2025-01-01 .. 2025-06-30: "
            "1,680 vs 1,000, +68.0%, 1.68x\n"
            "\n"
            "PROVIDER       CURRENT  BASELINE  DIFFERENCE    PERCENT  "
            "                              MULTIPLE\n"
            "000.00.00.G04    1,670     1,000        +670     +67.0%  "
            "                                 1.67x\n"
            "000.00.00.G22        5         0          +5  undefined  "
            "no transactions in the baseline period\n"
            "TOTAL            1,680     1,000        +680     +68.0%  "
            "                                 1.68x\n");
  EXPECT_EQ(RenderGrowth(request, response, OutputFormat::kCsv),
            "PROVIDER,CURRENT,BASELINE,DIFFERENCE,PERCENT,MULTIPLE\n"
            "000.00.00.G04,1670,1000,+670,+67.0%,1.67x\n"
            "000.00.00.G22,5,0,+5,undefined,no transactions in the baseline period\n"
            "TOTAL,1680,1000,+680,+68.0%,1.68x\n");
}

TEST(RenderGrowthTest, ByViaADirectCallIsADash) {
  const auto request = Parse<v1::GrowthRequest>("group_by: VIA");
  const auto response = Parse<v1::GrowthResponse>(
      std::string(kGrowthPeriods) +
      "rows { key: '' current: 6 baseline: 2 difference: 4 defined: true "
      "       percent_change: 200.0 multiple: 3.0 }"
      "total { current: 6 baseline: 2 difference: 4 defined: true "
      "        percent_change: 200.0 multiple: 3.0 }");
  EXPECT_EQ(RenderGrowth(request, response, OutputFormat::kTable),
            "2026-01-01 .. 2026-06-30 against 2025-01-01 .. 2025-06-30: 6 vs 2, +200.0%, 3.00x\n"
            "\n"
            "VIA    CURRENT  BASELINE  DIFFERENCE  PERCENT  MULTIPLE\n"
            "-            6         2          +4  +200.0%     3.00x\n"
            "TOTAL        6         2          +4  +200.0%     3.00x\n");
  EXPECT_EQ(RenderGrowth(request, response, OutputFormat::kCsv),
            "VIA,CURRENT,BASELINE,DIFFERENCE,PERCENT,MULTIPLE\n"
            ",6,2,+4,+200.0%,3.00x\n"
            "TOTAL,6,2,+4,+200.0%,3.00x\n");
}

TEST(RenderGrowthTest, UngroupedCsvIsTheTotal) {
  const auto request = Parse<v1::GrowthRequest>("");
  const auto response = Parse<v1::GrowthResponse>(
      std::string(kGrowthPeriods) +
      "total { current: 1670 baseline: 1000 difference: 670 defined: true "
      "        percent_change: 67.0 multiple: 1.67 }");
  EXPECT_EQ(RenderGrowth(request, response, OutputFormat::kTable),
            "2026-01-01 .. 2026-06-30 against 2025-01-01 .. 2025-06-30: "
            "1,670 vs 1,000, +67.0%, 1.67x\n");
  EXPECT_EQ(RenderGrowth(request, response, OutputFormat::kCsv),
            "CURRENT,BASELINE,DIFFERENCE,PERCENT,MULTIPLE\n1670,1000,+670,+67.0%,1.67x\n");
  EXPECT_NE(RenderGrowth(request, response, OutputFormat::kJson).find("\"baselinePeriod\""),
            std::string::npos);
}

TEST(RenderGrowthTest, EmptyBaselineSaysUndefined) {
  const auto request = Parse<v1::GrowthRequest>("");
  const auto response = Parse<v1::GrowthResponse>(
      std::string(kGrowthPeriods) +
      "total { current: 3 difference: 3 undefined_reason: 'no transactions in the baseline "
      "period' }");
  EXPECT_EQ(RenderGrowth(request, response, OutputFormat::kTable),
            "2026-01-01 .. 2026-06-30 against 2025-01-01 .. 2025-06-30: "
            "3 vs 0, undefined, no transactions in the baseline period\n");
}

}  // namespace
}  // namespace ndxp::ndxpctl
