// The deterministic synthetic cadastre of the reference land connector:
// about one parcel per four citizens, each with its certificate in force,
// owned by citizens of the synthetic population (one holder, or two
// co-holders) or by an enterprise of the synthetic business register
// (generated the same way as the business connector does, see
// connectors/business/synthetic_enterprises.h), so every owner is known to
// the residents or business registry of the same (seed, size).
//
// Parcels: the province of the owner (usually) or a big city; commune codes
// (province number * 300 + 1..299, 5 digits), map sheets 1..60, parcel
// numbers 1..9999, unique; purposes weighted (ODT, ONT, CLN, LUC, HNK, SKC,
// TMD) with realistic areas (residential 40-300 m2, farmland 300-5000 m2,
// commercial/industrial 500-20000 m2). Certificates: serials "AA123456"
// unique, issued 1994-2024 (never before an individual owner turned 18).
// Owners are drawn regardless of whether they have died since (a register
// is not updated until the estate is settled).
//
// Same (seed, population, enterprises), same records; no clock.
#ifndef NDXP_CONNECTORS_LAND_SYNTHETIC_LAND_H_
#define NDXP_CONNECTORS_LAND_SYNTHETIC_LAND_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "ndxp/business/v1/business.pb.h"
#include "ndxp/land/v1/land.pb.h"
#include "ndxp/residents/v1/residents.pb.h"

namespace ndxp::land {

inline constexpr uint32_t kCitizensPerParcel = 4;

// Calls `sink` once per parcel with its certificate; stops at, and returns,
// the first error of `sink`. Nothing when there are no adults.
absl::Status GenerateSyntheticLand(
    uint64_t seed, absl::Span<const ndxp::residents::v1::Citizen> population,
    absl::Span<const ndxp::business::v1::Enterprise> enterprises,
    const std::function<absl::Status(const v1::Parcel&, const v1::Certificate&)>& sink);

}  // namespace ndxp::land

#endif  // NDXP_CONNECTORS_LAND_SYNTHETIC_LAND_H_
