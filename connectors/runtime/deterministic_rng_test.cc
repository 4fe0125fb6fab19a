#include "connectors/runtime/deterministic_rng.h"

#include <map>
#include <vector>

#include "gtest/gtest.h"

namespace ndxp::connectors {
namespace {

TEST(DeterministicRngTest, RawOutputIsTheStandardMt19937_64) {
  // [rand.predef]: the 10000th output of a default-constructed mt19937_64.
  DeterministicRng rng(std::mt19937_64::default_seed);
  uint64_t x = 0;
  for (int i = 0; i < 10000; ++i) x = rng.Next();
  EXPECT_EQ(x, 9981545732273789042ull);
}

TEST(DeterministicRngTest, SameSeedSameSequence) {
  DeterministicRng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    uint64_t va = a.Below(1000003);
    EXPECT_EQ(va, b.Below(1000003));
    differs = differs || va != c.Below(1000003);
  }
  EXPECT_TRUE(differs);
}

TEST(DeterministicRngTest, RangesAreRespected) {
  struct Case {
    int64_t lo, hi;
  };
  DeterministicRng rng(1);
  for (const Case& c : {Case{0, 0}, Case{-5, 5}, Case{1, 299}, Case{1000, 1001}}) {
    SCOPED_TRACE(c.lo);
    std::map<int64_t, int> seen;
    for (int i = 0; i < 5000; ++i) {
      int64_t v = rng.Between(c.lo, c.hi);
      ASSERT_GE(v, c.lo);
      ASSERT_LE(v, c.hi);
      ++seen[v];
    }
    EXPECT_EQ(seen.size(), static_cast<size_t>(c.hi - c.lo + 1));
  }
  EXPECT_EQ(rng.Below(0), 0u);
  EXPECT_EQ(rng.Below(1), 0u);
}

TEST(DeterministicRngTest, WeightedFollowsTheWeights) {
  DeterministicRng rng(3);
  const std::vector<uint32_t> weights = {0, 1, 3, 0};
  std::vector<int> counts(weights.size());
  for (int i = 0; i < 40000; ++i) ++counts[rng.Weighted(weights)];
  EXPECT_EQ(counts[0], 0);
  EXPECT_EQ(counts[3], 0);
  EXPECT_NEAR(counts[2] / 40000.0, 0.75, 0.02);
  int chances = 0;
  for (int i = 0; i < 10000; ++i) chances += rng.Chance(3, 100);
  EXPECT_NEAR(chances / 10000.0, 0.03, 0.01);
}

}  // namespace
}  // namespace ndxp::connectors
