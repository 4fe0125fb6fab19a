// ndxp.civil_status.v1.CivilStatusRegistry over a RegistrationStore, calling
// residents and insurance through the hub (the connector's own certificate).
//
// Every registration is a small state machine persisted before and after
// each downstream call (registered -> personal ID issued -> completed for
// births; registered -> completed for deaths), so a retry with the same
// request_id resumes from the first pending step. The downstream calls carry
// idempotency keys derived from the request_id ("<request_id>:personal-id",
// "<request_id>:health-card", "<request_id>:record-death"): even if this
// connector dies between a downstream answer and its own commit, the retry
// gets the same personal ID and card back, never a second one.
//
// A downstream failure mid-procedure answers a partial-failure status:
// UNAVAILABLE for a transient cause (the downstream's own code otherwise),
// a message saying what is done and what is pending, and a
// google.rpc.ErrorInfo (kErrorInfoDomain, reason "<KIND>_REGISTRATION_INCOMPLETE",
// metadata request_id, certificate_number, completed_steps, pending_steps and
// personal_id when issued).
//
// Thread-safe. Calls for one request_id are serialised (striped mutexes), so
// concurrent retries of one registration never run a step twice at once;
// other registrations proceed in parallel. Handlers block on the store and
// on downstream calls (sync server).
#ifndef NDXP_CONNECTORS_CIVIL_STATUS_CIVIL_STATUS_REGISTRY_SERVICE_H_
#define NDXP_CONNECTORS_CIVIL_STATUS_CIVIL_STATUS_REGISTRY_SERVICE_H_

#include <grpcpp/channel.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "connectors/civil_status/registration_store.h"
#include "ndxp/civil_status/v1/civil_status.grpc.pb.h"
#include "ndxp/insurance/v1/insurance.grpc.pb.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"

namespace ndxp::civil_status {

inline constexpr char kErrorInfoDomain[] = "civil-status.ndxp.gov.vn";
inline constexpr char kErrorInfoTypeUrl[] = "type.googleapis.com/google.rpc.ErrorInfo";

// The purposes declared on calls through the hub (x-ndxp-purpose).
inline constexpr char kBirthPurpose[] = "birth registration (Law on Civil Status 2014)";
inline constexpr char kMarriagePurpose[] =
    "marriage registration (Law on Civil Status 2014, Law on Marriage and Family 2014)";
inline constexpr char kDeathPurpose[] = "death registration (Law on Civil Status 2014)";

// Minimum ages to marry (Law on Marriage and Family 2014, article 8).
inline constexpr int kMinimumHusbandAge = 20;
inline constexpr int kMinimumWifeAge = 18;

class CivilStatusRegistryService final : public v1::CivilStatusRegistry::Service {
 public:
  struct Options {
    // "Today" for dates that must not be in the future. Default: absl::Now.
    std::function<absl::Time()> clock;
    absl::TimeZone time_zone = absl::FixedTimeZone(7 * 60 * 60);  // Vietnam, UTC+7
    // Deadline of each downstream call.
    absl::Duration downstream_timeout = absl::Seconds(10);
  };

  // `store` is not owned and must outlive the service; `hub` is the channel
  // to the hub with this connector's certificate (HubChannel).
  CivilStatusRegistryService(RegistrationStore* store, std::shared_ptr<grpc::Channel> hub,
                             Options options);

  grpc::Status RegisterBirth(grpc::ServerContext* context, const v1::RegisterBirthRequest* request,
                             v1::RegisterBirthResponse* response) override;
  grpc::Status GetBirthRegistration(grpc::ServerContext* context,
                                    const v1::GetBirthRegistrationRequest* request,
                                    v1::GetBirthRegistrationResponse* response) override;
  grpc::Status RegisterMarriage(grpc::ServerContext* context,
                                const v1::RegisterMarriageRequest* request,
                                v1::RegisterMarriageResponse* response) override;
  grpc::Status RegisterDeath(grpc::ServerContext* context, const v1::RegisterDeathRequest* request,
                             v1::RegisterDeathResponse* response) override;

  // Exposed for tests: the request validations (INVALID_ARGUMENT with a
  // BadRequest naming every bad field).
  absl::Status ValidateBirth(const v1::RegisterBirthRequest& request) const;
  absl::Status ValidateMarriage(const v1::RegisterMarriageRequest& request) const;
  absl::Status ValidateDeath(const v1::RegisterDeathRequest& request) const;

 private:
  absl::StatusOr<v1::RegisterBirthResponse> Birth(const v1::RegisterBirthRequest& request);
  absl::StatusOr<v1::RegisterMarriageResponse> Marriage(const v1::RegisterMarriageRequest& request);
  absl::StatusOr<v1::RegisterDeathResponse> Death(const v1::RegisterDeathRequest& request);

  // True when no registration (kind, request_id) exists yet.
  absl::StatusOr<bool> IsNew(RegistrationKind kind, const std::string& request_id);
  // The citizen's sex, birth date and life status from residents GetCitizen.
  // NOT_FOUND "<field>: ..." when no citizen holds it.
  absl::StatusOr<ndxp::residents::v1::Citizen> LookUpCitizen(const std::string& personal_id,
                                                             absl::string_view field,
                                                             absl::string_view purpose,
                                                             const std::string& request_id);
  // The mutex serialising calls for `request_id`.
  absl::Mutex& LockFor(const std::string& request_id);
  bool IsFuture(const ndxp::residents::v1::Date& date) const;

  static constexpr size_t kRequestLockStripes = 64;

  // Constant after construction.
  RegistrationStore* const store_;
  const Options options_;
  const std::unique_ptr<ndxp::residents::v1::ResidentRegistry::Stub> residents_;
  const std::unique_ptr<ndxp::insurance::v1::InsuranceRegistry::Stub> insurance_;

  absl::Mutex request_locks_[kRequestLockStripes];
};

}  // namespace ndxp::civil_status

#endif  // NDXP_CONNECTORS_CIVIL_STATUS_CIVIL_STATUS_REGISTRY_SERVICE_H_
