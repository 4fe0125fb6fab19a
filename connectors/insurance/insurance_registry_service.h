// ndxp.insurance.v1.InsuranceRegistry over an InsuranceStore:
// - GetInsuredPerson by personal ID or social insurance code;
// - IssueChildHealthCard: a newborn's free card (TE, level 1, valid to the
//   day before the sixth birthday), idempotent by request_id;
// - VerifyAgainstPopulation: for each requested record, calls
//   ndxp.residents.v1.ResidentRegistry/VerifyCitizen through the hub with the
//   connector's own certificate and classifies it MATCHED / MISMATCHED /
//   NOT_FOUND / NO_SUCH_RECORD.
// Every request is validated in full first: all bad fields are reported
// together as INVALID_ARGUMENT with a google.rpc.BadRequest naming each.
//
// Synchronous gRPC API: handlers block on the store and on residents, which
// is what a sync server's thread pool is for.
//
// Thread-safe (the store and the channel are; the service holds no mutable
// state).
#ifndef NDXP_CONNECTORS_INSURANCE_INSURANCE_REGISTRY_SERVICE_H_
#define NDXP_CONNECTORS_INSURANCE_INSURANCE_REGISTRY_SERVICE_H_

#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/insurance/insurance_store.h"
#include "ndxp/insurance/v1/insurance.grpc.pb.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"

namespace ndxp::insurance {

// VerifyAgainstPopulation's bounds and default purpose.
inline constexpr int kDefaultVerificationLimit = 100;
inline constexpr int kMaxVerificationBatch = 1000;
inline constexpr char kDefaultVerificationPurpose[] = "social insurance data quality review";

class InsuranceRegistryService final : public v1::InsuranceRegistry::Service {
 public:
  struct Options {
    // Deadline of each call to residents.
    absl::Duration residents_timeout = absl::Seconds(10);
  };

  // `store` is not owned and must outlive the service. `hub` is the channel
  // to the hub (HubChannel) that VerifyAgainstPopulation calls residents
  // through; null when the connector has no hub_endpoint, in which case
  // VerifyAgainstPopulation answers FAILED_PRECONDITION.
  InsuranceRegistryService(InsuranceStore* store, std::shared_ptr<grpc::Channel> hub);
  InsuranceRegistryService(InsuranceStore* store, std::shared_ptr<grpc::Channel> hub,
                           Options options);

  grpc::Status GetInsuredPerson(grpc::ServerContext* context,
                                const v1::GetInsuredPersonRequest* request,
                                v1::GetInsuredPersonResponse* response) override;
  grpc::Status IssueChildHealthCard(grpc::ServerContext* context,
                                    const v1::IssueChildHealthCardRequest* request,
                                    v1::IssueChildHealthCardResponse* response) override;
  grpc::Status VerifyAgainstPopulation(grpc::ServerContext* context,
                                       const v1::VerifyAgainstPopulationRequest* request,
                                       v1::VerifyAgainstPopulationResponse* response) override;

 private:
  absl::StatusOr<v1::InsuredPerson> Get(const v1::GetInsuredPersonRequest& request);
  absl::StatusOr<IssuedChildCard> Issue(const v1::IssueChildHealthCardRequest& request);
  absl::StatusOr<v1::VerifyAgainstPopulationResponse> Verify(
      const v1::VerifyAgainstPopulationRequest& request, const std::string& request_id);
  // One record against the population register; `request_id` goes on the
  // call to residents.
  absl::StatusOr<v1::VerificationResult> VerifyRecord(const v1::InsuredPerson& person,
                                                      const std::string& purpose,
                                                      const std::string& request_id);

  // Constant after construction.
  InsuranceStore* const store_;
  const std::unique_ptr<ndxp::residents::v1::ResidentRegistry::Stub> residents_;  // null: no hub
  const Options options_;
};

}  // namespace ndxp::insurance

#endif  // NDXP_CONNECTORS_INSURANCE_INSURANCE_REGISTRY_SERVICE_H_
