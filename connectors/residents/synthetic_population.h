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
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ndxp/config/v1/connector.pb.h"
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

// A connector store's synthetic data set, derived from the population.
struct SyntheticDataSet {
  std::string records;  // what is counted, plural: "insured people"
  // Generates from (seed, size) if the store is empty; how many were made
  // (0 when the store already held data).
  std::function<absl::StatusOr<int64_t>(uint64_t seed, uint32_t size)> generate_if_empty;
  std::function<absl::StatusOr<int64_t>()> count;
};

// Every connector's first start: generates `data` from config.synthetic
// (size 0: kDefaultSyntheticSize) into config.database unless it holds data
// already, and logs which ("generated N <records> in T s (population S,
// seed X) into DB" or "N <records> in DB").
absl::Status LoadSyntheticDataSet(const ndxp::config::v1::ConnectorConfig& config,
                                  const SyntheticDataSet& data);

}  // namespace ndxp::residents

#endif  // NDXP_CONNECTORS_RESIDENTS_SYNTHETIC_POPULATION_H_
