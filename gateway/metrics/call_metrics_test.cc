#include "gateway/metrics/call_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ndxp::gateway::metrics {
namespace {

TransactionRecord Call(std::string consumer, std::string method, int status,
                       int64_t latency_micros) {
  TransactionRecord record;
  record.consumer = std::move(consumer);
  record.provider = "000.00.00.H49";
  record.service = "ndxp.residents.v1.ResidentRegistry";
  record.method = std::move(method);
  record.status_code = status;
  record.latency_micros = latency_micros;
  record.request_bytes = 10;
  record.response_bytes = 100;
  return record;
}

TEST(CallMetricsTest, MergesThreadsByLabels) {
  CallMetrics metrics(2);
  metrics.OnTransaction(0, Call("000.00.00.G12/tax", "GetCitizen", 0, 4000), absl::Milliseconds(3));
  metrics.OnTransaction(1, Call("000.00.00.G12/tax", "GetCitizen", 0, 2000), absl::Milliseconds(1));
  metrics.OnTransaction(1, Call("000.00.00.G12/tax", "GetCitizen", 5, 2000), std::nullopt);
  metrics.OnTransaction(0, Call("000.00.01.B05/ben", "VerifyCitizen", 0, 1000), std::nullopt);

  CallMetrics::Snapshot snapshot = metrics.Read();
  ASSERT_EQ(snapshot.transactions.size(), 3u);
  EXPECT_EQ(snapshot.transactions[0].consumer, "000.00.00.G12/tax");
  EXPECT_EQ(snapshot.transactions[0].status_code, 0);
  EXPECT_EQ(snapshot.transactions[0].count, 2u);
  EXPECT_EQ(snapshot.transactions[1].status_code, 5);
  EXPECT_EQ(snapshot.transactions[1].count, 1u);
  EXPECT_EQ(snapshot.transactions[2].method, "VerifyCitizen");

  ASSERT_EQ(snapshot.methods.size(), 2u);
  const auto& get = snapshot.methods[0];
  EXPECT_EQ(get.method, "GetCitizen");
  EXPECT_EQ(get.total.count(), 3u);
  EXPECT_DOUBLE_EQ(get.total.sum(), 0.008);
  // Only the calls a connector answered have a hub-added time: 1 ms each.
  EXPECT_EQ(get.hub_added.count(), 2u);
  EXPECT_NEAR(get.hub_added.sum(), 0.002, 1e-12);
  EXPECT_EQ(get.request_bytes, 30u);
  EXPECT_EQ(get.response_bytes, 300u);
}

// The same call in by another door is a series of its own, in transactions
// and per method alike; sorted by the door's name, as /metrics shows it.
TEST(CallMetricsTest, CountsEachDoorApart) {
  CallMetrics metrics(1);
  TransactionRecord connect = Call("000.00.00.G12/tax", "GetCitizen", 0, 2000);
  connect.door = Door::kConnect;
  metrics.OnTransaction(0, Call("000.00.00.G12/tax", "GetCitizen", 0, 4000), std::nullopt);
  metrics.OnTransaction(0, connect, std::nullopt);
  metrics.OnTransaction(0, connect, std::nullopt);

  CallMetrics::Snapshot snapshot = metrics.Read();
  ASSERT_EQ(snapshot.transactions.size(), 2u);
  EXPECT_EQ(snapshot.transactions[0].door, Door::kConnect);
  EXPECT_EQ(snapshot.transactions[0].count, 2u);
  EXPECT_EQ(snapshot.transactions[1].door, Door::kGrpc);
  EXPECT_EQ(snapshot.transactions[1].count, 1u);
  ASSERT_EQ(snapshot.methods.size(), 2u);
  EXPECT_EQ(snapshot.methods[0].door, Door::kConnect);
  EXPECT_EQ(snapshot.methods[0].total.count(), 2u);
  EXPECT_EQ(snapshot.methods[0].request_bytes, 20u);
  EXPECT_EQ(snapshot.methods[1].door, Door::kGrpc);
  EXPECT_EQ(snapshot.methods[1].total.count(), 1u);
}

TEST(CallMetricsTest, CountsOpenUpstreamConnections) {
  CallMetrics metrics(1);
  metrics.OnUpstreamOpened("000.00.00.H49", "127.0.0.1:1");
  metrics.OnUpstreamOpened("000.00.00.H49", "127.0.0.1:1");
  metrics.OnUpstreamClosed("000.00.00.H49", "127.0.0.1:1");
  CallMetrics::Snapshot snapshot = metrics.Read();
  ASSERT_EQ(snapshot.upstreams.size(), 1u);
  EXPECT_EQ(snapshot.upstreams[0].open, 1);
  EXPECT_FALSE(snapshot.upstreams[0].checked);
}

TEST(CallMetricsTest, KeepsEachEndpointsLastHealthCheckAndCountsThemByResult) {
  using Result = CallMetrics::HealthCheckResult;
  CallMetrics metrics(1);
  metrics.OnHealthCheck("000.00.00.H49", "127.0.0.1:1", Result::kServing);
  metrics.OnHealthCheck("000.00.00.H49", "127.0.0.1:1", Result::kNotServing);
  metrics.OnHealthCheck("000.00.00.H49", "127.0.0.1:2", Result::kNoHealthService);
  metrics.OnHealthCheck("000.00.00.H49", "127.0.0.1:1", Result::kNotServing);
  CallMetrics::Snapshot snapshot = metrics.Read();
  ASSERT_EQ(snapshot.upstreams.size(), 2u);
  const auto& drained = snapshot.upstreams[0];
  EXPECT_EQ(drained.endpoint, "127.0.0.1:1");
  EXPECT_TRUE(drained.checked);
  EXPECT_FALSE(drained.serving);
  EXPECT_EQ(drained.checks[static_cast<int>(Result::kServing)], 1u);
  EXPECT_EQ(drained.checks[static_cast<int>(Result::kNotServing)], 2u);
  EXPECT_EQ(drained.open, 0);
  EXPECT_TRUE(snapshot.upstreams[1].serving) << "no health service: taken as serving";
  EXPECT_EQ(CallMetrics::Name(Result::kNoAnswer), "no_answer");
}

TEST(HistogramTest, BucketsAreCumulativeAndInclusive) {
  Histogram histogram(kBatchSizeBuckets);
  histogram.Observe(1);
  histogram.Observe(3);
  histogram.Observe(5000);
  std::vector<uint64_t> cumulative = histogram.cumulative_counts();
  EXPECT_EQ(cumulative[0], 1u);  // le=1 includes 1
  EXPECT_EQ(cumulative[1], 1u);  // le=2
  EXPECT_EQ(cumulative[2], 2u);  // le=4
  EXPECT_EQ(cumulative.back(), 2u);  // 5000 only in +Inf
  EXPECT_EQ(histogram.count(), 3u);
}

}  // namespace
}  // namespace ndxp::gateway::metrics
