#include "bench/latency_histogram.h"

#include <gtest/gtest.h>

namespace ndxp::bench {
namespace {

TEST(LatencyHistogramTest, EmptyHasNoPercentiles) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(0.5), 0u);
}

TEST(LatencyHistogramTest, PercentilesOfAUniformRunWithinBucketPrecision) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.Record(v * 1000);  // 1 us .. 100 ms
  EXPECT_EQ(h.count(), 100000u);
  struct Case {
    double q;
    double expected;
  };
  for (Case c : {Case{0.5, 50e6}, Case{0.9, 90e6}, Case{0.99, 99e6}, Case{0.999, 99.9e6}}) {
    SCOPED_TRACE(c.q);
    double got = static_cast<double>(h.Percentile(c.q));
    EXPECT_NEAR(got, c.expected, c.expected * 0.01);
    EXPECT_GE(got, c.expected) << "percentiles report the bucket's upper bound";
  }
  EXPECT_EQ(h.Percentile(1.0), 100000u * 1000);
  EXPECT_EQ(h.max(), 100000u * 1000);
}

TEST(LatencyHistogramTest, SmallValuesAreExactAndMergeAdds) {
  LatencyHistogram a, b;
  a.Record(3);
  b.Record(7);
  b.Record(7);
  a.Merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.Percentile(0.33), 3u);
  EXPECT_EQ(a.Percentile(0.34), 7u);
  EXPECT_DOUBLE_EQ(a.mean(), 17.0 / 3);
}

}  // namespace
}  // namespace ndxp::bench
