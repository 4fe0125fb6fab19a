// A pseudo-random generator whose output depends only on its seed, the same
// with every compiler and standard library, for synthetic reference data
// ("same seed, same data" on every machine).
//
// std::mt19937_64's raw output is fixed by the C++ standard, but the standard
// distributions (uniform_int_distribution, ...) are not: libstdc++ and libc++
// map the same engine output to different numbers. So this class maps raw
// output itself, with integer arithmetic only (no floating point).
//
// Example:
//   DeterministicRng rng(seed);
//   int year = 1930 + static_cast<int>(rng.Below(95));
//   if (rng.Chance(300, 10000)) ...   // 3%
//   size_t i = rng.Weighted(kSurnameWeights);
//
// Not thread-safe (one per generating thread).
#ifndef NDXP_CONNECTORS_RUNTIME_DETERMINISTIC_RNG_H_
#define NDXP_CONNECTORS_RUNTIME_DETERMINISTIC_RNG_H_

#include <cstdint>
#include <limits>
#include <random>

#include "absl/types/span.h"

namespace ndxp::connectors {

class DeterministicRng {
 public:
  explicit DeterministicRng(uint64_t seed) : engine_(seed) {}

  // The engine's next raw 64-bit output.
  uint64_t Next() { return engine_(); }

  // Uniform in [0, n), n > 0 (n == 0 yields 0). Exact: draws that would bias
  // the modulo are rejected and redrawn.
  uint64_t Below(uint64_t n) {
    if (n == 0) return 0;
    const uint64_t max = std::numeric_limits<uint64_t>::max();
    const uint64_t limit = max - (max % n + 1) % n;  // largest multiple of n, minus 1
    uint64_t x;
    do {
      x = engine_();
    } while (x > limit);
    return x % n;
  }

  // Uniform in [lo, hi] (inclusive), lo <= hi.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // True with probability numerator/denominator.
  bool Chance(uint64_t numerator, uint64_t denominator) {
    return Below(denominator) < numerator;
  }

  // An index into `weights`, chosen with probability weight/sum. The weights
  // must not all be zero.
  size_t Weighted(absl::Span<const uint32_t> weights) {
    uint64_t total = 0;
    for (uint32_t w : weights) total += w;
    uint64_t x = Below(total);
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;  // unreachable with a non-zero total
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace ndxp::connectors

#endif  // NDXP_CONNECTORS_RUNTIME_DETERMINISTIC_RNG_H_
