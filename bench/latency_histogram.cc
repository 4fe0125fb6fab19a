#include "bench/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace ndxp::bench {

// Values below kSubBuckets map to themselves; above, the position of the top
// bit picks a group and the next kSubBucketBits bits the slot within it.
int LatencyHistogram::IndexOf(uint64_t value) {
  if (value < kSubBuckets) return static_cast<int>(value);
  int top_bit = 63 - __builtin_clzll(value);
  int shift = top_bit - kSubBucketBits;
  int group = shift + 1;
  int slot = static_cast<int>((value >> shift) & (kSubBuckets - 1));
  return group * kSubBuckets + slot;
}

uint64_t LatencyHistogram::UpperBoundOf(int index) {
  if (index < kSubBuckets) return static_cast<uint64_t>(index);
  int group = index / kSubBuckets;
  int slot = index % kSubBuckets;
  int shift = group - 1;
  uint64_t base = (static_cast<uint64_t>(kSubBuckets) | slot) << shift;
  return base + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(uint64_t nanos) {
  ++counts_[IndexOf(nanos)];
  ++count_;
  sum_ += nanos;
  max_ = std::max(max_, nanos);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(UpperBoundOf(i), max_);
  }
  return max_;
}

}  // namespace ndxp::bench
