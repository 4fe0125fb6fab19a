// A log-linear latency histogram (HdrHistogram's idea): values in
// nanoseconds, about 0.8% relative precision, fixed memory, O(1) recording.
// Not thread-safe: give each recording thread or call chain its own and Merge.
#ifndef NDXP_BENCH_LATENCY_HISTOGRAM_H_
#define NDXP_BENCH_LATENCY_HISTOGRAM_H_

#include <array>
#include <cstdint>

namespace ndxp::bench {

class LatencyHistogram {
 public:
  void Record(uint64_t nanos);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }
  // The value at quantile q (0..1], within the bucket precision; 0 if empty.
  uint64_t Percentile(double q) const;

 private:
  static constexpr int kSubBucketBits = 7;  // 128 sub-buckets per power of two
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kBuckets = (64 - kSubBucketBits + 1) * kSubBuckets;

  static int IndexOf(uint64_t value);
  static uint64_t UpperBoundOf(int index);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace ndxp::bench

#endif  // NDXP_BENCH_LATENCY_HISTOGRAM_H_
