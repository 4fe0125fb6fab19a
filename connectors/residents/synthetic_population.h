// The deterministic synthetic population the reference residents connector
// serves, so the whole federation runs on one machine with realistic data:
// Vietnamese names with diacritics (surnames at their real frequencies,
// gendered and generation-dependent middle and given names), birth dates
// 1930-2024, unique valid personal ID numbers agreeing with birth province,
// date and sex, families (children share both parents, the father's surname,
// the mother's address), permanent addresses, ethnicities (mostly Kinh), and
// about 3% deceased. The data is "as of" 2025-01-01 and never reads the clock.
//
// The same (seed, size) yields byte-identical citizens on every platform:
// generation uses DeterministicRng and integer arithmetic only.
//
// Example:
//   NDXP_RETURN_IF_ERROR(GenerateSyntheticPopulation(42, 100000,
//       [&](const v1::Citizen& c) { return store.Insert(c); }));
#ifndef NDXP_CONNECTORS_RESIDENTS_SYNTHETIC_POPULATION_H_
#define NDXP_CONNECTORS_RESIDENTS_SYNTHETIC_POPULATION_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "ndxp/residents/v1/residents.pb.h"

namespace ndxp::residents {

// The size when the configuration says 0.
inline constexpr uint32_t kDefaultSyntheticSize = 100000;

// Generates `size` citizens from `seed`, calling `sink` once for each in
// birth order (parents always before their children), every field of
// Citizen filled (father/mother IDs and date_of_death where they apply).
// Stops at, and returns, the first error `sink` returns.
absl::Status GenerateSyntheticPopulation(
    uint64_t seed, uint32_t size,
    const std::function<absl::Status(const ndxp::residents::v1::Citizen&)>& sink);

}  // namespace ndxp::residents

#endif  // NDXP_CONNECTORS_RESIDENTS_SYNTHETIC_POPULATION_H_
