#include "connectors/land/sqlite_land_store.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/identifiers/province.h"
#include "connectors/business/synthetic_enterprises.h"
#include "connectors/land/land_prices.h"
#include "connectors/land/synthetic_land.h"
#include "connectors/runtime/stored_values.h"
#include "common/status/status_util.h"

namespace ndxp::land {

using ndxp::SqliteDatabase;
using ndxp::SqliteStatement;
using ndxp::SqliteTransaction;

namespace {

using ndxp::connectors::DateText;
using ndxp::connectors::NonEmpty;
using ndxp::connectors::ParseDateText;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS parcels (
  parcel_id     TEXT PRIMARY KEY,             -- commune + sheet + number
  commune_code  TEXT NOT NULL,
  map_sheet     INTEGER NOT NULL,
  parcel_number INTEGER NOT NULL,
  area_dm2      INTEGER NOT NULL,             -- 0.01 m2
  purpose       TEXT NOT NULL,                -- land-use purpose code
  address       TEXT NOT NULL,
  province_code TEXT NOT NULL
) WITHOUT ROWID;

-- The certificate in force for each parcel.
CREATE TABLE IF NOT EXISTS certificates (
  serial     TEXT PRIMARY KEY,
  parcel_id  TEXT NOT NULL UNIQUE REFERENCES parcels (parcel_id),
  issue_date TEXT NOT NULL                    -- YYYY-MM-DD
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS certificate_owners (
  serial          TEXT NOT NULL REFERENCES certificates (serial),
  position        INTEGER NOT NULL,
  personal_id     TEXT,
  enterprise_code TEXT,
  name            TEXT NOT NULL,
  PRIMARY KEY (serial, position),
  CHECK ((personal_id IS NULL) <> (enterprise_code IS NULL))
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS land_prices (
  province_code TEXT NOT NULL,
  purpose       TEXT NOT NULL,
  vnd_per_m2    INTEGER NOT NULL,
  PRIMARY KEY (province_code, purpose)
) WITHOUT ROWID;

INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
)sql";

// The reference price table, refreshed on every open (a real land office
// would load its provincial decisions here instead).
absl::Status WriteReferencePrices(SqliteDatabase& db) {
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(db));
  NDXP_ASSIGN_OR_RETURN(SqliteStatement insert,
                        db.Prepare("INSERT OR REPLACE INTO land_prices "
                                   "(province_code, purpose, vnd_per_m2) VALUES (?, ?, ?)"));
  for (const identifiers::Province& province : identifiers::AllProvinces()) {
    for (const LandPurpose& purpose : AllLandPurposes()) {
      insert.Reset();
      NDXP_RETURN_IF_ERROR(insert.BindAll(province.code, purpose.code,
                                          ReferenceLandPrice(province.code, purpose)));
      NDXP_RETURN_IF_ERROR(insert.Run());
    }
  }
  return txn.Commit();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteLandStore>> SqliteLandStore::Open(const std::string& path) {
  NDXP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> db, SqliteDatabase::Open(path));
  NDXP_RETURN_IF_ERROR(db->Exec(kSchema));
  NDXP_RETURN_IF_ERROR(WriteReferencePrices(*db));
  return std::unique_ptr<SqliteLandStore>(new SqliteLandStore(std::move(db)));
}

SqliteLandStore::SqliteLandStore(std::unique_ptr<SqliteDatabase> db) : db_(std::move(db)) {}
SqliteLandStore::~SqliteLandStore() = default;

absl::Status SqliteLandStore::InsertLocked(const v1::Parcel& p, const v1::Certificate& c) {
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement parcel,
      db_->Prepare("INSERT INTO parcels (parcel_id, commune_code, map_sheet, parcel_number, "
                   "area_dm2, purpose, address, province_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  NDXP_RETURN_IF_ERROR(parcel.BindAll(p.parcel_id(), p.commune_code(), p.map_sheet(),
                                      p.parcel_number(), p.area_dm2(), p.purpose(), p.address(),
                                      p.province_code()));
  NDXP_RETURN_IF_ERROR(parcel.Run());
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement certificate,
      db_->Prepare("INSERT INTO certificates (serial, parcel_id, issue_date) VALUES (?, ?, ?)"));
  NDXP_RETURN_IF_ERROR(certificate.BindAll(c.serial(), p.parcel_id(), DateText(c.issue_date())));
  NDXP_RETURN_IF_ERROR(certificate.Run());
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement owner,
      db_->Prepare("INSERT INTO certificate_owners (serial, position, personal_id, "
                   "enterprise_code, name) VALUES (?, ?, ?, ?, ?)"));
  for (int i = 0; i < c.owners_size(); ++i) {
    owner.Reset();
    NDXP_RETURN_IF_ERROR(owner.BindAll(c.serial(), i, NonEmpty(c.owners(i).personal_id()),
                                       NonEmpty(c.owners(i).enterprise_code()),
                                       c.owners(i).name()));
    NDXP_RETURN_IF_ERROR(owner.Run());
  }
  return absl::OkStatus();
}

absl::Status SqliteLandStore::InsertParcel(const v1::Parcel& parcel,
                                           const v1::Certificate& certificate) {
  absl::MutexLock lock(&mu_);
  NDXP_ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  NDXP_RETURN_IF_ERROR(InsertLocked(parcel, certificate));
  return txn.Commit();
}

absl::StatusOr<int64_t> SqliteLandStore::CountLocked() {
  NDXP_ASSIGN_OR_RETURN(SqliteStatement count, db_->Prepare("SELECT COUNT(*) FROM parcels"));
  NDXP_ASSIGN_OR_RETURN(bool row, count.Step());
  return row ? count.ColumnInt64(0) : 0;
}

absl::StatusOr<int64_t> SqliteLandStore::GenerateIfEmpty(uint64_t seed,
                                                         uint32_t population_size) {
  absl::MutexLock lock(&mu_);
  return ndxp::connectors::FillSyntheticDataOnce(
      *db_, "SELECT COUNT(*) FROM parcels", seed, population_size,
      [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<int64_t> {
        NDXP_ASSIGN_OR_RETURN(std::vector<ndxp::residents::v1::Citizen> people,
                              business::CollectSyntheticPopulation(seed, population_size));
        std::vector<business::v1::Enterprise> enterprises;
        NDXP_RETURN_IF_ERROR(business::GenerateSyntheticEnterprises(
            seed, people, [&enterprises](const business::v1::Enterprise& e) {
              enterprises.push_back(e);
              return absl::OkStatus();
            }));
        int64_t generated = 0;
        NDXP_RETURN_IF_ERROR(GenerateSyntheticLand(
            seed, people, enterprises,
            [&](const v1::Parcel& parcel, const v1::Certificate& certificate)
                ABSL_NO_THREAD_SAFETY_ANALYSIS {
                  ++generated;
                  return InsertLocked(parcel, certificate);
                }));
        return generated;
      });
}

absl::StatusOr<v1::Parcel> SqliteLandStore::GetParcel(absl::string_view parcel_id) {
  absl::MutexLock lock(&mu_);
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement get,
      db_->Prepare("SELECT parcel_id, commune_code, map_sheet, parcel_number, area_dm2, "
                   "purpose, address, province_code FROM parcels WHERE parcel_id = ?"));
  NDXP_RETURN_IF_ERROR(get.Bind(1, parcel_id));
  NDXP_ASSIGN_OR_RETURN(bool found, get.Step());
  if (!found) {
    return absl::NotFoundError(absl::StrCat("parcel: no parcel ", parcel_id, " in the register"));
  }
  v1::Parcel p;
  p.set_parcel_id(std::string(get.ColumnText(0)));
  p.set_commune_code(std::string(get.ColumnText(1)));
  p.set_map_sheet(static_cast<int32_t>(get.ColumnInt64(2)));
  p.set_parcel_number(static_cast<int32_t>(get.ColumnInt64(3)));
  p.set_area_dm2(get.ColumnInt64(4));
  p.set_purpose(std::string(get.ColumnText(5)));
  p.set_address(std::string(get.ColumnText(6)));
  p.set_province_code(std::string(get.ColumnText(7)));
  if (const identifiers::Province* province = identifiers::FindProvince(p.province_code())) {
    p.set_province_name(std::string(province->name));
  }
  return p;
}

absl::StatusOr<v1::Certificate> SqliteLandStore::CertificateWhereLocked(
    absl::string_view column, absl::string_view value, absl::Status not_found) {
  NDXP_ASSIGN_OR_RETURN(SqliteStatement get,
                        db_->Prepare(absl::StrCat("SELECT serial, parcel_id, issue_date "
                                                  "FROM certificates WHERE ",
                                                  column, " = ?")));
  NDXP_RETURN_IF_ERROR(get.Bind(1, value));
  NDXP_ASSIGN_OR_RETURN(bool found, get.Step());
  if (!found) return not_found;
  v1::Certificate c;
  c.set_serial(std::string(get.ColumnText(0)));
  c.set_parcel_id(std::string(get.ColumnText(1)));
  NDXP_ASSIGN_OR_RETURN(*c.mutable_issue_date(), ParseDateText(get.ColumnText(2)));
  NDXP_ASSIGN_OR_RETURN(
      SqliteStatement owners,
      db_->Prepare("SELECT personal_id, enterprise_code, name FROM certificate_owners "
                   "WHERE serial = ? ORDER BY position"));
  NDXP_RETURN_IF_ERROR(owners.Bind(1, c.serial()));
  for (;;) {
    NDXP_ASSIGN_OR_RETURN(bool row, owners.Step());
    if (!row) break;
    v1::Party* owner = c.add_owners();
    if (!owners.ColumnIsNull(0)) {
      owner->set_personal_id(std::string(owners.ColumnText(0)));
    } else {
      owner->set_enterprise_code(std::string(owners.ColumnText(1)));
    }
    owner->set_name(std::string(owners.ColumnText(2)));
  }
  return c;
}

absl::StatusOr<v1::Certificate> SqliteLandStore::GetCertificate(absl::string_view serial) {
  absl::MutexLock lock(&mu_);
  return CertificateWhereLocked(
      "serial", serial,
      absl::NotFoundError(
          absl::StrCat("certificate_serial: no certificate ", serial, " is in force")));
}

absl::StatusOr<v1::Certificate> SqliteLandStore::GetCertificateOfParcel(
    absl::string_view parcel_id) {
  absl::MutexLock lock(&mu_);
  return CertificateWhereLocked(
      "parcel_id", parcel_id,
      absl::NotFoundError(
          absl::StrCat("parcel: no certificate in force for parcel ", parcel_id)));
}

absl::StatusOr<int64_t> SqliteLandStore::GetLandPrice(absl::string_view province_code,
                                                      absl::string_view purpose) {
  absl::MutexLock lock(&mu_);
  NDXP_ASSIGN_OR_RETURN(SqliteStatement get,
                        db_->Prepare("SELECT vnd_per_m2 FROM land_prices "
                                     "WHERE province_code = ? AND purpose = ?"));
  NDXP_RETURN_IF_ERROR(get.BindAll(province_code, purpose));
  NDXP_ASSIGN_OR_RETURN(bool found, get.Step());
  if (!found) {
    return absl::NotFoundError(absl::StrCat("no land price for purpose ", purpose,
                                            " in province ", province_code));
  }
  return get.ColumnInt64(0);
}

absl::StatusOr<int64_t> SqliteLandStore::CountParcels() {
  absl::MutexLock lock(&mu_);
  return CountLocked();
}

}  // namespace ndxp::land
