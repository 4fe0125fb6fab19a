// The data store behind the land connector: parcels, the land-use right
// certificates in force, and the land price table. The service talks only to
// this interface; the reference implementation is SQLite
// (sqlite_land_store.h), a real land office plugs in its cadastre.
#ifndef NDXP_CONNECTORS_LAND_LAND_STORE_H_
#define NDXP_CONNECTORS_LAND_LAND_STORE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ndxp/land/v1/land.pb.h"

namespace ndxp::land {

// Implementations are thread-safe. Arguments are assumed already validated
// (well-formed ids); the store checks only what needs its data.
class LandStore {
 public:
  virtual ~LandStore() = default;

  // NOT_FOUND "parcel: no parcel <id> in the register".
  virtual absl::StatusOr<v1::Parcel> GetParcel(absl::string_view parcel_id) = 0;

  // NOT_FOUND "certificate_serial: no certificate <serial> is in force".
  virtual absl::StatusOr<v1::Certificate> GetCertificate(absl::string_view serial) = 0;

  // The certificate in force for a parcel. NOT_FOUND "parcel: no certificate
  // in force for parcel <id>".
  virtual absl::StatusOr<v1::Certificate> GetCertificateOfParcel(
      absl::string_view parcel_id) = 0;

  // VND per m2. NOT_FOUND when the table has no such (province, purpose).
  virtual absl::StatusOr<int64_t> GetLandPrice(absl::string_view province_code,
                                               absl::string_view purpose) = 0;

  virtual absl::StatusOr<int64_t> CountParcels() = 0;
};

}  // namespace ndxp::land

#endif  // NDXP_CONNECTORS_LAND_LAND_STORE_H_
