#include "gateway/metrics/prometheus_text.h"

#include <cmath>

#include <gtest/gtest.h>

namespace ndxp::gateway::metrics {
namespace {

TEST(PrometheusTextTest, WritesFamiliesSamplesAndEscapedLabels) {
  PrometheusText page;
  page.Family("ndxp_x_total", "counter", "Things.");
  page.Sample("ndxp_x_total", {{"who", "a\"b\\c\nd"}}, 3);
  page.Sample("ndxp_y_seconds", {}, 0.25);
  EXPECT_EQ(std::move(page).Take(),
            "# HELP ndxp_x_total Things.\n# TYPE ndxp_x_total counter\n"
            "ndxp_x_total{who=\"a\\\"b\\\\c\\nd\"} 3\n"
            "ndxp_y_seconds 0.25\n");
}

TEST(PrometheusTextTest, SpecialValues) {
  EXPECT_EQ(FormatSampleValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatSampleValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatSampleValue(NAN), "NaN");
  EXPECT_EQ(FormatSampleValue(-12), "-12");
  EXPECT_EQ(FormatSampleValue(0.0005), "0.0005");
}

TEST(PrometheusTextTest, HistogramHasBucketsSumAndCount) {
  static constexpr double kBounds[] = {1, 2};
  Histogram histogram(kBounds);
  histogram.Observe(1.5);
  histogram.Observe(7);
  PrometheusText page;
  page.HistogramSamples("h", {{"m", "x"}}, histogram);
  EXPECT_EQ(std::move(page).Take(),
            "h_bucket{m=\"x\",le=\"1\"} 0\nh_bucket{m=\"x\",le=\"2\"} 1\n"
            "h_bucket{m=\"x\",le=\"+Inf\"} 2\nh_sum{m=\"x\"} 8.5\nh_count{m=\"x\"} 2\n");
}

}  // namespace
}  // namespace ndxp::gateway::metrics
