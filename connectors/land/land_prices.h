// Land-use purposes and the reference land price table (bảng giá đất) the
// synthetic register is filled with, as documented in land.proto
// GetLandPriceRequest:
//   price = base(purpose) * factor(province) / 100, rounded down to 1000 VND.
//
// Example:
//   const LandPurpose* odt = FindLandPurpose("ODT");
//   ReferenceLandPrice("001", *odt);  // 60 000 000 VND per m2 in Hà Nội
//
// Pure functions over static tables, thread-safe.
#ifndef NDXP_CONNECTORS_LAND_LAND_PRICES_H_
#define NDXP_CONNECTORS_LAND_LAND_PRICES_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ndxp::land {

struct LandPurpose {
  absl::string_view code;  // "ODT"
  absl::string_view name;  // "Đất ở tại đô thị"
  int64_t base_vnd_per_m2;
  bool residential;
  bool agricultural;
};

// Every purpose the register knows, static storage.
absl::Span<const LandPurpose> AllLandPurposes();

// The purpose with this exact code, or nullptr.
const LandPurpose* FindLandPurpose(absl::string_view code);

// The province factor in percent (320 for Hồ Chí Minh, 70 for provinces not
// listed in land.proto).
int ProvincePriceFactor(absl::string_view province_code);

// base * factor / 100, rounded down to a multiple of 1000 VND.
int64_t ReferenceLandPrice(absl::string_view province_code, const LandPurpose& purpose);

}  // namespace ndxp::land

#endif  // NDXP_CONNECTORS_LAND_LAND_PRICES_H_
