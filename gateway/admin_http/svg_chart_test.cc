#include "gateway/admin_http/svg_chart.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ndxp::gateway::admin_http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SvgChartTest, ColumnsCarryTheirValuesAndLabels) {
  std::string svg = ColumnChart({{"Jan 26", 1670}, {"Feb 26", 0}}, "Per month");
  EXPECT_THAT(svg, HasSubstr("<title>Jan 26: 1,670</title>"));
  EXPECT_THAT(svg, HasSubstr(">Feb 26</text>"));
  EXPECT_THAT(svg, HasSubstr(">2,000</text>"));  // the axis rounds up to a round number
}

TEST(SvgChartTest, AtMostTwelveAxisLabelsTheLastAlways) {
  std::vector<Bar> bars;
  for (int i = 0; i < 24; ++i) bars.push_back({"m" + std::to_string(i), i});
  std::string svg = ColumnChart(bars, "Per month");
  EXPECT_THAT(svg, HasSubstr(">m23</text>"));
  EXPECT_THAT(svg, HasSubstr(">m21</text>"));
  EXPECT_THAT(svg, Not(HasSubstr(">m22</text>")));
  EXPECT_THAT(svg, HasSubstr("<title>m22: 22</title>"));
}

TEST(SvgChartTest, LabelsAreEscaped) {
  std::string svg = PairedBarChart({{"<b>&", 2, 1, "+100.0%"}}, "now", "then", "x");
  EXPECT_THAT(svg, HasSubstr("&lt;b&gt;&amp;"));
  EXPECT_THAT(svg, Not(HasSubstr("<b>")));
}

TEST(SvgChartTest, ThousandsAreGrouped) {
  EXPECT_EQ(GroupThousands(0), "0");
  EXPECT_EQ(GroupThousands(999), "999");
  EXPECT_EQ(GroupThousands(1670000), "1,670,000");
  EXPECT_EQ(GroupThousands(-1000), "-1,000");
}

}  // namespace
}  // namespace ndxp::gateway::admin_http
