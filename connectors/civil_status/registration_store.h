// The data store behind the civil status connector: the register books of
// births, marriages and deaths, and each registration's progress through the
// procedure (the steps civil status asks other agencies for). The service
// talks only to this interface; the reference implementation is SQLite
// (sqlite_registration_store.h).
//
// A registration is keyed by (kind, request_id), the caller's idempotency
// key, and keeps the request it was made with, so a retry is recognised and
// a different request under the same key refused.
#ifndef NDXP_CONNECTORS_CIVIL_STATUS_REGISTRATION_STORE_H_
#define NDXP_CONNECTORS_CIVIL_STATUS_REGISTRATION_STORE_H_

#include <google/protobuf/message.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ndxp/civil_status/v1/civil_status.pb.h"

namespace ndxp::civil_status {

enum class RegistrationKind { kBirth, kMarriage, kDeath };

// "KS" (khai sinh), "KH" (kết hôn), "KT" (khai tử): the books' prefixes.
absl::string_view BookPrefix(RegistrationKind kind);

// "<prefix>-<province code>-<year>", e.g. "KS-001-2025": one book per kind,
// province and year (see civil_status.proto for the numbering).
std::string BookName(RegistrationKind kind, absl::string_view province_code, int year);

// Pages per volume of a register book.
inline constexpr int kPagesPerVolume = 200;

// The n-th registration (from 1) of `book`: volume (n-1)/200+1, page
// (n-1)%200+1, formatted "<book>/Q<volume>/T<page>".
v1::CertificateNumber MakeCertificateNumber(absl::string_view book, int64_t sequence);

// Where a registration is in its procedure. The values are those of
// v1::BirthRegistrationState; marriages and deaths skip kPersonalIdIssued.
enum class RegistrationState {
  kRegistered = 1,        // certificate number allocated, downstream steps pending
  kPersonalIdIssued = 2,  // births: residents issued the child's personal ID
  kCompleted = 3,         // every step done
};

// A registration as stored.
struct StoredRegistration {
  RegistrationKind kind = RegistrationKind::kBirth;
  std::string request_id;
  std::string request;  // the serialised request it was made with
  v1::CertificateNumber certificate_number;
  RegistrationState state = RegistrationState::kRegistered;
  // What downstream agencies answered (births): empty until then.
  std::string personal_id;
  std::string social_insurance_code;
  std::string health_insurance_card_code;
  // True when this call created it (Register only).
  bool newly_created = false;
};

// Implementations are thread-safe. They do not serialise a registration's
// procedure: the service does (one request_id at a time).
class RegistrationStore {
 public:
  virtual ~RegistrationStore() = default;

  // The registration (kind, request_id) made with `request`: created in
  // state kRegistered on the next page of `book` (a page is never reused)
  // when new, else as stored (newly_created=false). FAILED_PRECONDITION
  // naming the differences when it exists with a different request.
  virtual absl::StatusOr<StoredRegistration> Register(RegistrationKind kind,
                                                      absl::string_view request_id,
                                                      const google::protobuf::Message& request,
                                                      absl::string_view book) = 0;

  // Records a step's outcome: the new state and, where not empty, what the
  // downstream agency answered. NOT_FOUND for an unknown registration.
  virtual absl::Status Advance(RegistrationKind kind, absl::string_view request_id,
                               RegistrationState state, absl::string_view personal_id,
                               absl::string_view social_insurance_code,
                               absl::string_view health_insurance_card_code) = 0;

  // NOT_FOUND "request_id: no <kind> registration <id>" when unknown.
  virtual absl::StatusOr<StoredRegistration> Get(RegistrationKind kind,
                                                 absl::string_view request_id) = 0;

  virtual absl::StatusOr<int64_t> CountRegistrations() = 0;
};

}  // namespace ndxp::civil_status

#endif  // NDXP_CONNECTORS_CIVIL_STATUS_REGISTRATION_STORE_H_
