// ndxp.land.v1.LandRegistry over a LandStore, asking the residents and
// business registries about the parties of a transfer through the hub
// (HubPartyRegistry). Every identifier of a request is validated first and
// all bad fields are reported at once (INVALID_ARGUMENT + BadRequest); the
// formula of AssessTransferObligations is in transfer_obligations.h and
// land.proto.
//
// Synchronous gRPC API: a handler blocks on the store and on the lookups
// through the hub (each with its own deadline).
//
// Thread-safe (the store and the registry are; no mutable state here).
#ifndef NDXP_CONNECTORS_LAND_LAND_REGISTRY_SERVICE_H_
#define NDXP_CONNECTORS_LAND_LAND_REGISTRY_SERVICE_H_

#include <string>

#include "absl/status/statusor.h"
#include "connectors/land/land_store.h"
#include "connectors/land/party_registry.h"
#include "connectors/runtime/field_violations.h"
#include "ndxp/land/v1/land.grpc.pb.h"

namespace ndxp::land {

class LandRegistryService final : public v1::LandRegistry::Service {
 public:
  // Neither is owned; both must outlive the service.
  LandRegistryService(LandStore* store, const HubPartyRegistry* parties)
      : store_(store), parties_(parties) {}

  grpc::Status GetParcel(grpc::ServerContext* context, const v1::GetParcelRequest* request,
                         v1::GetParcelResponse* response) override;
  grpc::Status GetLandPrice(grpc::ServerContext* context,
                            const v1::GetLandPriceRequest* request,
                            v1::GetLandPriceResponse* response) override;
  grpc::Status AssessTransferObligations(
      grpc::ServerContext* context, const v1::AssessTransferObligationsRequest* request,
      v1::AssessTransferObligationsResponse* response) override;

 private:
  absl::StatusOr<v1::GetParcelResponse> Get(const v1::GetParcelRequest& request);
  absl::StatusOr<v1::AssessTransferObligationsResponse> Assess(
      const v1::AssessTransferObligationsRequest& request, absl::string_view request_id);

  // Constant after construction.
  LandStore* const store_;
  const HubPartyRegistry* const parties_;
};

}  // namespace ndxp::land

#endif  // NDXP_CONNECTORS_LAND_LAND_REGISTRY_SERVICE_H_
