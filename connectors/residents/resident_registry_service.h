// ndxp.residents.v1.ResidentRegistry over a ResidentStore: request
// validation (every identifier through the identifiers library; errors are
// INVALID_ARGUMENT naming every bad field, e.g. "personal_id: must be exactly
// 12 digits, got 11", with a google.rpc.BadRequest detail, one violation per
// field), data minimisation (GetCitizen returns only the read_mask
// fields), and the access log: every call is recorded with the caller's
// consumer and purpose (CallerInfo) before any data is returned; if the
// record cannot be written the call fails with UNAVAILABLE instead of
// disclosing data untraced.
//
// Synchronous gRPC API: handlers block on the store, which is what a sync
// server's thread pool is for.
//
// Thread-safe (the store is; the service itself holds no mutable state).
#ifndef NDXP_CONNECTORS_RESIDENTS_RESIDENT_REGISTRY_SERVICE_H_
#define NDXP_CONNECTORS_RESIDENTS_RESIDENT_REGISTRY_SERVICE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/identifiers/civil_date.h"
#include "connectors/residents/resident_store.h"
#include "connectors/runtime/caller_info.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"

namespace ndxp::residents {

// Full method names, as recorded in the access log.
inline constexpr char kVerifyCitizenMethod[] = "/ndxp.residents.v1.ResidentRegistry/VerifyCitizen";
inline constexpr char kGetCitizenMethod[] = "/ndxp.residents.v1.ResidentRegistry/GetCitizen";
inline constexpr char kIssuePersonalIdMethod[] =
    "/ndxp.residents.v1.ResidentRegistry/IssuePersonalId";
inline constexpr char kListRelativesMethod[] =
    "/ndxp.residents.v1.ResidentRegistry/ListRelatives";
inline constexpr char kBatchVerifyCitizensMethod[] =
    "/ndxp.residents.v1.ResidentRegistry/BatchVerifyCitizens";
inline constexpr char kRecordDeathMethod[] = "/ndxp.residents.v1.ResidentRegistry/RecordDeath";

class ResidentRegistryService final : public v1::ResidentRegistry::Service {
 public:
  struct Options {
    // Access-log times and "today" for birth dates. Default: absl::Now.
    std::function<absl::Time()> clock;
    // Where "today" is reckoned (a birth date may be today, not tomorrow).
    absl::TimeZone time_zone = absl::FixedTimeZone(7 * 60 * 60);  // Vietnam, UTC+7
  };

  // `store` is not owned and must outlive the service.
  explicit ResidentRegistryService(ResidentStore* store);
  ResidentRegistryService(ResidentStore* store, Options options);

  grpc::Status VerifyCitizen(grpc::ServerContext* context,
                             const v1::VerifyCitizenRequest* request,
                             v1::VerifyCitizenResponse* response) override;
  grpc::Status GetCitizen(grpc::ServerContext* context, const v1::GetCitizenRequest* request,
                          v1::GetCitizenResponse* response) override;
  grpc::Status IssuePersonalId(grpc::ServerContext* context,
                               const v1::IssuePersonalIdRequest* request,
                               v1::IssuePersonalIdResponse* response) override;
  grpc::Status ListRelatives(grpc::ServerContext* context,
                             const v1::ListRelativesRequest* request,
                             grpc::ServerWriter<v1::Relative>* writer) override;
  grpc::Status BatchVerifyCitizens(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::VerifyCitizenResponse, v1::VerifyCitizenRequest>* stream)
      override;
  grpc::Status RecordDeath(grpc::ServerContext* context, const v1::RecordDeathRequest* request,
                           v1::RecordDeathResponse* response) override;

 private:
  absl::StatusOr<v1::VerifyCitizenResponse> Verify(const v1::VerifyCitizenRequest& request);
  absl::StatusOr<v1::Citizen> Get(const v1::GetCitizenRequest& request);
  absl::StatusOr<IssuedPersonalId> Issue(const v1::IssuePersonalIdRequest& request);
  absl::StatusOr<RecordedDeath> MarkDeceased(const v1::RecordDeathRequest& request);

  // After today in options_.time_zone (`date` valid).
  bool IsFuture(const identifiers::CivilDate& date) const;

  // Writes one access-log record per personal ID (one with an empty ID when
  // there is none), all stamped with `outcome`. Returns `outcome`, or
  // UNAVAILABLE when an OK call could not be recorded.
  absl::Status Record(const ndxp::connectors::CallerInfo& caller, absl::string_view method,
                      const std::vector<std::string>& personal_ids, absl::Status outcome);

  // Constant after construction.
  ResidentStore* const store_;
  const Options options_;
};

}  // namespace ndxp::residents

#endif  // NDXP_CONNECTORS_RESIDENTS_RESIDENT_REGISTRY_SERVICE_H_
