// A Prometheus-style histogram: counts of observations at or below each
// upper bound, their sum and their number. A plain value with no lock of its
// own: whoever keeps one guards it (CallMetrics keeps one per transport
// thread, the Recorder one for its writer), and readers take copies.
//
// Example:
//   Histogram latency(kLatencyBuckets);
//   latency.Observe(0.0042);
//   latency.cumulative_counts();  // {0, 0, 0, 1, 1, ...}: 1 at <= 0.005 and above
#ifndef NDXP_GATEWAY_METRICS_HISTOGRAM_H_
#define NDXP_GATEWAY_METRICS_HISTOGRAM_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace ndxp::gateway::metrics {

// Seconds, from half a millisecond (a hub-added cost) to the 30 s default
// deadline.
inline constexpr double kLatencyBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10, 30};
// Records per group commit.
inline constexpr double kBatchSizeBuckets[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

class Histogram {
 public:
  // `bounds` ascending, and must outlive the histogram (a constant above).
  explicit Histogram(absl::Span<const double> bounds)
      : bounds_(bounds), counts_(bounds.size(), 0) {}

  void Observe(double value);
  // Adds `other` (same bounds) into this one.
  void Merge(const Histogram& other);

  absl::Span<const double> bounds() const { return bounds_; }
  // Per bound, observations <= it (Prometheus' `le` buckets; +Inf is count()).
  std::vector<uint64_t> cumulative_counts() const;
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  absl::Span<const double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace ndxp::gateway::metrics

#endif  // NDXP_GATEWAY_METRICS_HISTOGRAM_H_
