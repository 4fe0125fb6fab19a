#include "tools/ndxpctl/report_render.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/statistics/statistics_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/ndxpctl/svg_chart.h"

namespace ndxp::ndxpctl {
namespace {

namespace v1 = ::ndxp::hub::v1;
using ::ndxp::gateway::statistics::MakeGrowthRow;
using ::testing::HasSubstr;
using ::testing::Not;

v1::Day Day(int year, int month, int day) {
  v1::Day out;
  out.set_year(year);
  out.set_month(month);
  out.set_day(day);
  return out;
}

// A first half-year: 1,670,000 against 1,000,000; documents 3.80x.
ReportData HalfYear() {
  ReportData data;
  data.kind = v1::Period::HALF_YEAR;
  *data.period.mutable_from() = Day(2024, 1, 1);
  *data.period.mutable_to() = Day(2024, 6, 30);
  *data.baseline_period.mutable_from() = Day(2023, 1, 1);
  *data.baseline_period.mutable_to() = Day(2023, 6, 30);
  data.total = MakeGrowthRow(1'670'000, 1'000'000);
  for (int month = 1; month <= 6; ++month) {
    TrendPoint point;
    *point.period.mutable_from() = Day(2024, month, 1);
    const absl::CivilDay last = absl::CivilDay(absl::CivilMonth(2024, month) + 1) - 1;
    *point.period.mutable_to() = Day(2024, month, last.day());
    point.growth = MakeGrowthRow(month == 6 ? 420'000 : 250'000, month == 6 ? 0 : 200'000);
    data.trend.push_back(point);
  }
  data.providers = {{"000.00.00.G04", MakeGrowthRow(1'290'000, 900'000)},
                    {"000.00.00.A02", MakeGrowthRow(380'000, 100'000)}};
  for (int i = 0; i < 14; ++i) {
    data.consumers.push_back({absl::StrCat("000.00.00.C", 10 + i), MakeGrowthRow(1000 - i, 900)});
  }
  data.services = {{"ndxp.residents.v1.ResidentRegistry", MakeGrowthRow(1'290'000, 900'000)},
                   {"ndxp.documents.v1.DocumentExchange", MakeGrowthRow(380'000, 100'000)}};
  data.statuses = {{"OK", MakeGrowthRow(1'600'000, 960'000)},
                   {"PERMISSION_DENIED", MakeGrowthRow(50'000, 30'000)},
                   {"UNAVAILABLE", MakeGrowthRow(17'000, 10'000)},
                   {"CANCELLED", MakeGrowthRow(3'000, 0)}};
  // The hub's own refusals: not transactions, but calls it received.
  data.hub_refusals = {{"PERMISSION_DENIED", MakeGrowthRow(25'000, 0)},
                       {"INVALID_ARGUMENT", MakeGrowthRow(5'000, 0)}};
  data.documents = MakeGrowthRow(380'000, 100'000);
  return data;
}

std::string Render(ReportFormat format, Language language) {
  return RenderReport(HalfYear(), format, ReportLocale::For(language), absl::CivilDay(2024, 7, 5));
}

TEST(ReportRenderTest, MarkdownInVietnamese) {
  const std::string md = Render(ReportFormat::kMarkdown, Language::kVietnamese);
  EXPECT_THAT(md, HasSubstr("# Báo cáo kết quả chia sẻ, trao đổi dữ liệu: 6 tháng đầu năm 2024"));
  EXPECT_THAT(md, HasSubstr("**1.670.000 giao dịch, tăng 67,0% so với cùng kỳ năm 2023.**"));
  EXPECT_THAT(md, HasSubstr("gấp 3,80 lần cùng kỳ năm 2023"));
  EXPECT_THAT(md, HasSubstr("| Số giao dịch | 1.670.000 | 1.000.000 | +67,0% |"));
  EXPECT_THAT(md, HasSubstr("| 000.00.00.G04 | 1.290.000 | 900.000 | +43,3% | 77,2% |"));
  // Of 1,700,000 calls: 80,000 refused (30,000 of them by the hub itself), 17,000 failed,
  // 3,000 cancelled by their callers (not errors).
  EXPECT_THAT(md, HasSubstr("| Xử lý thành công | 94,1% | 96,0% |  |"));
  EXPECT_THAT(md, HasSubstr("| Bị từ chối | 80.000 | 30.000 | +166,7% |"));
  EXPECT_THAT(md, HasSubstr("| Lỗi | 17.000 | 10.000 | +70,0% |"));
  EXPECT_THAT(md, HasSubstr("| Bên gọi hủy | 3.000 | 0 | mới |"));
  EXPECT_THAT(md, HasSubstr("| PERMISSION_DENIED | không được cấp quyền | 50.000 | 2,9% | 30.000 |"));
  EXPECT_THAT(md, HasSubstr("| PERMISSION_DENIED | nền tảng từ chối: không được cấp quyền | 25.000 "
                            "| 1,5% | 0 |"));
  EXPECT_THAT(md, HasSubstr("| CANCELLED | bên gọi hủy trước khi có trả lời | 3.000 | 0,2% | 0 |"));
  // June had nothing a year earlier.
  EXPECT_THAT(md, HasSubstr("| tháng 6 năm 2024 | 420.000 | 0 | mới |"));
  // 14 consumer agencies: 12 by name, 2 summed.
  EXPECT_THAT(md, HasSubstr("| Khác (2) | 1.975 | 1.800 |"));
  EXPECT_THAT(md, HasSubstr("05/07/2024"));
}

TEST(ReportRenderTest, CsvIsPlainNumbersWhateverTheLanguage) {
  const std::string csv = Render(ReportFormat::kCsv, Language::kVietnamese);
  EXPECT_EQ(csv, Render(ReportFormat::kCsv, Language::kEnglish));
  EXPECT_THAT(csv, HasSubstr("section,key,current,baseline,difference,percent_change,multiple\n"
                             "total,2024-01-01..2024-06-30,1670000,1000000,670000,67.0,1.6700\n"
                             "documents,ndxp.documents.v1.DocumentExchange/SendDocument,380000,"
                             "100000,280000,280.0,3.8000\n"
                             "refused,,80000,30000,50000,166.7,2.6667\n"
                             "failed,,17000,10000,7000,70.0,1.7000\n"
                             "cancelled,,3000,0,3000,,\n"));
  EXPECT_THAT(csv, HasSubstr("month,2024-06-01..2024-06-30,420000,0,420000,,\n"));
  EXPECT_THAT(csv, HasSubstr("consumer_agency,000.00.00.C23,987,900,87,9.7,1.0967\n"));
  EXPECT_THAT(csv, HasSubstr("status,UNAVAILABLE,17000,10000,7000,70.0,1.7000\n"));
  EXPECT_THAT(csv, HasSubstr("hub_refusal,PERMISSION_DENIED,25000,0,25000,,\n"));
}

TEST(ReportRenderTest, HtmlIsOneSelfContainedPage) {
  const std::string html = Render(ReportFormat::kHtml, Language::kEnglish);
  EXPECT_THAT(html, HasSubstr("<html lang=\"en\">"));
  EXPECT_THAT(html, HasSubstr("1,670,000 transactions, up 67.0% on the same period of 2023."));
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr(">ResidentRegistry<"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));  // nothing to fetch
  EXPECT_THAT(html, Not(HasSubstr("href=")));
}

TEST(ReportRenderTest, AnEmptyPeriodHasNoSharesAndNothingNew) {
  ReportData data = HalfYear();
  data.total = MakeGrowthRow(0, 0);
  data.documents = MakeGrowthRow(0, 0);
  for (TrendPoint& point : data.trend) point.growth = MakeGrowthRow(0, 0);
  data.providers.clear();
  data.consumers.clear();
  data.services.clear();
  data.statuses.clear();
  data.hub_refusals.clear();
  for (Language language : {Language::kEnglish, Language::kVietnamese}) {
    const std::string md = RenderReport(data, ReportFormat::kMarkdown,
                                        ReportLocale::For(language), absl::CivilDay(2024, 7, 5));
    EXPECT_THAT(md, Not(HasSubstr("0.0%")));
    EXPECT_THAT(md, Not(HasSubstr("0,0%")));
    EXPECT_THAT(md, Not(HasSubstr("new")));
    EXPECT_THAT(md, Not(HasSubstr("mới")));
  }
  const std::string md = RenderReport(data, ReportFormat::kMarkdown,
                                      ReportLocale::For(Language::kEnglish),
                                      absl::CivilDay(2024, 7, 5));
  EXPECT_THAT(md, HasSubstr("| Answered | – | – |  |"));
  EXPECT_THAT(md, HasSubstr("| Transactions | 0 | 0 | – |"));
  EXPECT_THAT(md, HasSubstr("| January 2024 | 0 | 0 | – | – |"));
  const std::string html = RenderReport(data, ReportFormat::kHtml,
                                        ReportLocale::For(Language::kEnglish),
                                        absl::CivilDay(2024, 7, 5));
  EXPECT_THAT(html, Not(HasSubstr("0.0%")));
}

TEST(ReportRenderTest, AnOlderHubsMissingRefusalsAreSaidToBeMissing) {
  ReportData data = HalfYear();
  data.hub_refusals.clear();
  data.hub_refusals_known = false;
  const std::string md = RenderReport(data, ReportFormat::kMarkdown,
                                      ReportLocale::For(Language::kEnglish),
                                      absl::CivilDay(2024, 7, 5));
  EXPECT_THAT(md, HasSubstr("The hub did not report the calls it refused itself"));
  EXPECT_THAT(Render(ReportFormat::kMarkdown, Language::kEnglish),
              Not(HasSubstr("The hub did not report")));
}

TEST(SvgChartTest, TextIsEscaped) {
  EXPECT_EQ(EscapeXml("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  ColumnChart chart;
  chart.categories = {"<agency>"};
  chart.series = {{"2024", "#000", {5}}};
  chart.format = [](double v) { return absl::StrCat(v); };
  EXPECT_THAT(RenderBarChart(chart, 400), HasSubstr("&lt;agency&gt;"));
  EXPECT_THAT(RenderBarChart(chart, 400), Not(HasSubstr("<agency>")));
}

}  // namespace
}  // namespace ndxp::ndxpctl
