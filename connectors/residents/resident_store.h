// The data store behind the residents connector: the population register as
// the Ministry of Public Security shares it. The service talks only to this
// interface; the reference implementation is SQLite (sqlite_resident_store.h),
// a real agency plugs in an adapter to its own register.
#ifndef NDXP_CONNECTORS_RESIDENTS_RESIDENT_STORE_H_
#define NDXP_CONNECTORS_RESIDENTS_RESIDENT_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "ndxp/residents/v1/residents.pb.h"

namespace ndxp::residents {

// One access to a citizen's data, kept so citizens can later see who looked
// at their record, when and why.
struct AccessRecord {
  absl::Time time;
  std::string consumer;    // the original caller's SPIFFE ID (x-ndxp-consumer)
  std::string purpose;     // x-ndxp-purpose as declared
  std::string request_id;  // x-ndxp-request-id
  std::string method;      // full gRPC method name
  std::string personal_id; // whose data; empty when the request named no valid ID
  absl::StatusCode status = absl::StatusCode::kOk;  // outcome of the call

  friend bool operator==(const AccessRecord& a, const AccessRecord& b) {
    return a.time == b.time && a.consumer == b.consumer && a.purpose == b.purpose &&
           a.request_id == b.request_id && a.method == b.method &&
           a.personal_id == b.personal_id && a.status == b.status;
  }
};

// The outcome of ResidentStore::IssuePersonalId.
struct IssuedPersonalId {
  std::string personal_id;
  bool newly_issued = false;  // false: this request_id had been served before
};

// The outcome of ResidentStore::RecordDeath.
struct RecordedDeath {
  ndxp::residents::v1::Date date_of_death;
  // The registration the death is recorded under: the first one given.
  std::string death_registration_number;
  bool newly_recorded = false;  // false: this death was already recorded
};

// Implementations are thread-safe. Arguments are assumed already validated
// by the caller (well-formed personal IDs, valid dates); the store checks
// only what needs its data (existence, uniqueness).
class ResidentStore {
 public:
  virtual ~ResidentStore() = default;

  // The full record (every Citizen field, birth_province_name included).
  // NOT_FOUND when no citizen holds `personal_id`.
  virtual absl::StatusOr<ndxp::residents::v1::Citizen> GetCitizen(
      absl::string_view personal_id) = 0;

  // Father, then mother (those recorded), then children, oldest first.
  // NOT_FOUND when no citizen holds `personal_id`.
  virtual absl::StatusOr<std::vector<ndxp::residents::v1::Relative>> ListRelatives(
      absl::string_view personal_id) = 0;

  // Registers a new citizen (`citizen` without personal_id: full_name,
  // date_of_birth, sex, birth_province_code, optional parents' IDs) under a
  // newly drawn personal ID number that no citizen holds. Idempotent: a
  // request_id seen before returns the number it got then, with
  // newly_issued=false, whatever `citizen` says this time. NOT_FOUND
  // "father_personal_id: ..." / "mother_personal_id: ..." when a given
  // parent is not a citizen; RESOURCE_EXHAUSTED if every serial for that
  // province, year and sex is taken.
  virtual absl::StatusOr<IssuedPersonalId> IssuePersonalId(
      absl::string_view request_id, const ndxp::residents::v1::Citizen& citizen) = 0;

  // Marks the citizen deceased on `date_of_death` (a valid calendar date)
  // under civil status's `death_registration_number`. Idempotent: a death
  // already recorded on the same date answers newly_recorded=false with the
  // number it was first recorded under (a death known without a registration
  // number gets this one). NOT_FOUND "personal_id: ..." for an unknown
  // citizen; FAILED_PRECONDITION when a different death date is recorded;
  // INVALID_ARGUMENT (a BadRequest naming date_of_death) when the date is
  // before the citizen's birth.
  virtual absl::StatusOr<RecordedDeath> RecordDeath(
      absl::string_view personal_id, const ndxp::residents::v1::Date& date_of_death,
      absl::string_view death_registration_number) = 0;

  // Appends to the access log, all records or none.
  virtual absl::Status RecordAccesses(absl::Span<const AccessRecord> records) = 0;

  // Accesses to one citizen's data, oldest first.
  virtual absl::StatusOr<std::vector<AccessRecord>> ListAccesses(
      absl::string_view personal_id) = 0;

  virtual absl::StatusOr<int64_t> CountCitizens() = 0;
};

}  // namespace ndxp::residents

#endif  // NDXP_CONNECTORS_RESIDENTS_RESIDENT_STORE_H_
