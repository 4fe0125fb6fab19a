// The civil status records of the synthetic population
// (connectors/residents/synthetic_population.h), so the same people appear at
// civil status as at residents: a completed birth registration for every
// citizen (book of their birth province and year, in birth order), a death
// registration for every deceased citizen, and a marriage registration for
// every couple with children (dated before the first child's birth, from a
// DeterministicRng). As of 2025-01-01; never reads the clock. Historical
// births carry the personal ID number but no health-insurance card.
//
// Example:
//   NDXP_RETURN_IF_ERROR(GenerateSyntheticRegistrations(42, 100000,
//       [&](const SyntheticRegistration& r) { return store.Insert(r); }));
#ifndef NDXP_CONNECTORS_CIVIL_STATUS_SYNTHETIC_REGISTRATIONS_H_
#define NDXP_CONNECTORS_CIVIL_STATUS_SYNTHETIC_REGISTRATIONS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "connectors/civil_status/registration_store.h"

namespace ndxp::civil_status {

// One completed historical registration.
struct SyntheticRegistration {
  RegistrationKind kind = RegistrationKind::kBirth;
  std::string request_id;  // "synthetic:<kind>:<personal ID(s)>"
  std::string request;     // the serialised v1 request it stands for
  std::string book;
  std::string personal_id;  // births: the child's
};

// Calls `sink` for each registration of the population (seed, size), births
// in birth order, then marriages, then deaths. Stops at, and returns, the
// first error of `sink` or of the population generator.
absl::Status GenerateSyntheticRegistrations(
    uint64_t seed, uint32_t size,
    const std::function<absl::Status(const SyntheticRegistration&)>& sink);

}  // namespace ndxp::civil_status

#endif  // NDXP_CONNECTORS_CIVIL_STATUS_SYNTHETIC_REGISTRATIONS_H_
