// The land register's own identifiers (see land.proto):
//   parcel id            12 digits CCCCC SSS NNNN: 5-digit commune code,
//                        3-digit map sheet, 4-digit parcel number, none zero.
//   certificate serial   2 upper-case ASCII letters + 6 digits, not all zero.
//
// Errors are INVALID_ARGUMENT "<field>: <reason>", ready for FieldViolations.
//
// Example:
//   absl::StatusOr<ParcelNumberParts> p = ParseParcelId("003760120045");
//   p->map_sheet;  // 12
//   MakeParcelId({"00376", 12, 45});  // "003760120045"
//
// Pure functions, thread-safe.
#ifndef NDXP_CONNECTORS_LAND_LAND_IDENTIFIERS_H_
#define NDXP_CONNECTORS_LAND_LAND_IDENTIFIERS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ndxp::land {

inline constexpr size_t kParcelIdLength = 12;
inline constexpr size_t kCommuneCodeLength = 5;
inline constexpr int kMaxMapSheet = 999;
inline constexpr int kMaxParcelNumber = 9999;
inline constexpr size_t kCertificateSerialLength = 8;

struct ParcelNumberParts {
  std::string commune_code;  // 5 digits
  int map_sheet = 0;         // 1..999
  int parcel_number = 0;     // 1..9999
};

// Checks and splits a parcel id. `field` names the field in errors.
absl::StatusOr<ParcelNumberParts> ParseParcelId(absl::string_view parcel_id,
                                                absl::string_view field = "parcel_id");

// Checks the three parts; errors name "<field_prefix>.commune_code",
// "<field_prefix>.map_sheet" or "<field_prefix>.parcel_number", each
// reported separately through `report` (field, status) so a caller can
// collect them all. Returns true when all are valid.
bool CheckParcelNumber(
    const ParcelNumberParts& parts, absl::string_view field_prefix,
    const std::function<void(absl::string_view, const absl::Status&)>& report);

// The parcel id of valid parts.
std::string MakeParcelId(const ParcelNumberParts& parts);

// OK or INVALID_ARGUMENT naming `field`.
absl::Status ValidateCertificateSerial(absl::string_view serial,
                                       absl::string_view field = "certificate_serial");

}  // namespace ndxp::land

#endif  // NDXP_CONNECTORS_LAND_LAND_IDENTIFIERS_H_
