// The reference LandStore: the cadastre in one SQLite file. The price table
// is (re)filled from ReferenceLandPrice (land_prices.h) on open; parcels and
// certificates are generated on first start from the synthetic population
// and its enterprises (synthetic_land.h).
//
// Schema (kSchema in the .cc): parcels, certificates (one in force per
// parcel), certificate_owners, land_prices, meta.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(auto store, SqliteLandStore::Open("land.db"));
//   NDXP_ASSIGN_OR_RETURN(int64_t parcels, store->GenerateIfEmpty(42, 100000));
//
// Thread-safe: one connection serialised by a mutex.
#ifndef NDXP_CONNECTORS_LAND_SQLITE_LAND_STORE_H_
#define NDXP_CONNECTORS_LAND_SQLITE_LAND_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "connectors/land/land_store.h"
#include "connectors/runtime/sqlite.h"

namespace ndxp::land {

class SqliteLandStore final : public LandStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteLandStore>> Open(const std::string& path);
  ~SqliteLandStore() override;

  // When the register has no parcel, fills it with the synthetic parcels of
  // the synthetic population (seed, population_size) and its enterprises,
  // in one transaction; returns how many parcels were generated, else 0.
  absl::StatusOr<int64_t> GenerateIfEmpty(uint64_t seed, uint32_t population_size);

  // Adds a parcel with its certificate (imports, tests). ALREADY_EXISTS if
  // the parcel or serial is taken.
  absl::Status InsertParcel(const v1::Parcel& parcel, const v1::Certificate& certificate);

  absl::StatusOr<v1::Parcel> GetParcel(absl::string_view parcel_id) override;
  absl::StatusOr<v1::Certificate> GetCertificate(absl::string_view serial) override;
  absl::StatusOr<v1::Certificate> GetCertificateOfParcel(absl::string_view parcel_id) override;
  absl::StatusOr<int64_t> GetLandPrice(absl::string_view province_code,
                                       absl::string_view purpose) override;
  absl::StatusOr<int64_t> CountParcels() override;

 private:
  explicit SqliteLandStore(std::unique_ptr<ndxp::SqliteDatabase> db);

  absl::Status InsertLocked(const v1::Parcel& parcel, const v1::Certificate& certificate)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The certificate whose `column` (serial or parcel_id) is `value`, or
  // NOT_FOUND `not_found`.
  absl::StatusOr<v1::Certificate> CertificateWhereLocked(absl::string_view column,
                                                         absl::string_view value,
                                                         absl::Status not_found)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> CountLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::unique_ptr<ndxp::SqliteDatabase> db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ndxp::land

#endif  // NDXP_CONNECTORS_LAND_SQLITE_LAND_STORE_H_
