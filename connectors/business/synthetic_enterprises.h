// The deterministic synthetic business register served by the reference
// business connector, and reused by the land connector so that the
// enterprises owning land are the ones the business registry knows.
//
// Enterprises are drawn from the synthetic population (synthetic_population.h)
// of the same (seed, size): about one per 20 citizens (at least one), each
// with a legal representative and individual owners who are adult (18 or
// older on the data set's "as of" day, 2025-01-01) and alive citizens, and
// registered no earlier than the representative's 18th birthday. Legal forms,
// statuses (about 85% active, 5% dissolved, ...), charter capital, owners and
// members (individuals, and sometimes an earlier enterprise), Vietnamese
// names with diacritics, English names and abbreviations, head offices, and
// branches / representative offices for about one enterprise in seven.
// Enterprise codes are valid (enterprise_code.h) and unique.
//
// The same (seed, population) yields identical records on every platform
// (DeterministicRng, integer arithmetic, no clock).
//
// Example:
//   std::vector<residents::v1::Citizen> people;
//   NDXP_RETURN_IF_ERROR(residents::GenerateSyntheticPopulation(seed, size,
//       [&](const residents::v1::Citizen& c) { people.push_back(c); return absl::OkStatus(); }));
//   NDXP_RETURN_IF_ERROR(GenerateSyntheticEnterprises(seed, people,
//       [&](const v1::Enterprise& e) { return store.Insert(e); }));
#ifndef NDXP_CONNECTORS_BUSINESS_SYNTHETIC_ENTERPRISES_H_
#define NDXP_CONNECTORS_BUSINESS_SYNTHETIC_ENTERPRISES_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ndxp/business/v1/business.pb.h"
#include "ndxp/residents/v1/residents.pb.h"

namespace ndxp::business {

// One enterprise per this many citizens.
inline constexpr uint32_t kCitizensPerEnterprise = 20;

// Generates the enterprises of `population` (as GenerateSyntheticPopulation
// produced it from `seed`), calling `sink` for each record in order: an
// enterprise (owners filled, dependent_units empty), then each of its
// dependent units (own records, parent_enterprise_code set). Corporate owners
// are always enterprises emitted earlier. Stops at, and returns, the first
// error `sink` returns. An empty population yields nothing.
absl::Status GenerateSyntheticEnterprises(
    uint64_t seed, absl::Span<const ndxp::residents::v1::Citizen> population,
    const std::function<absl::Status(const v1::Enterprise&)>& sink);

// GenerateSyntheticPopulation(seed, size) collected into a vector, for
// callers that need the people and the enterprises.
absl::StatusOr<std::vector<ndxp::residents::v1::Citizen>> CollectSyntheticPopulation(
    uint64_t seed, uint32_t size);

}  // namespace ndxp::business

#endif  // NDXP_CONNECTORS_BUSINESS_SYNTHETIC_ENTERPRISES_H_
