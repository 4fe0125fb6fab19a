// ndxp.business.v1.BusinessRegistry over an EnterpriseStore: request
// validation (enterprise codes through common/identifiers/enterprise_code.h;
// every bad field of a request reported at once as INVALID_ARGUMENT with a
// google.rpc.BadRequest), lookups and the streamed name search.
//
// Synchronous gRPC API: handlers block on the store, which is what a sync
// server's thread pool is for. SearchEnterprises checks for cancellation
// before every message it streams.
//
// Thread-safe (the store is; the service holds no mutable state).
#ifndef NDXP_CONNECTORS_BUSINESS_BUSINESS_REGISTRY_SERVICE_H_
#define NDXP_CONNECTORS_BUSINESS_BUSINESS_REGISTRY_SERVICE_H_

#include "absl/status/statusor.h"
#include "connectors/business/enterprise_store.h"
#include "ndxp/business/v1/business.grpc.pb.h"

namespace ndxp::business {

// SearchEnterprises' cap when the request gives none, and the largest allowed.
inline constexpr int kDefaultSearchResults = 50;
inline constexpr int kMaxSearchResults = 500;
// Letters or digits a name prefix needs once normalised (SearchKey).
inline constexpr int kMinSearchKeyLetters = 2;

class BusinessRegistryService final : public v1::BusinessRegistry::Service {
 public:
  // `store` is not owned and must outlive the service.
  explicit BusinessRegistryService(EnterpriseStore* store) : store_(store) {}

  grpc::Status GetEnterprise(grpc::ServerContext* context,
                             const v1::GetEnterpriseRequest* request,
                             v1::GetEnterpriseResponse* response) override;
  grpc::Status SearchEnterprises(grpc::ServerContext* context,
                                 const v1::SearchEnterprisesRequest* request,
                                 grpc::ServerWriter<v1::EnterpriseSummary>* writer) override;

 private:
  absl::StatusOr<v1::Enterprise> Get(const v1::GetEnterpriseRequest& request);
  absl::StatusOr<std::vector<v1::EnterpriseSummary>> Search(
      const v1::SearchEnterprisesRequest& request);

  EnterpriseStore* const store_;  // constant after construction
};

}  // namespace ndxp::business

#endif  // NDXP_CONNECTORS_BUSINESS_BUSINESS_REGISTRY_SERVICE_H_
