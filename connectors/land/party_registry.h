// Who the parties to a land transaction are, asked of the agencies that know
// them, THROUGH THE HUB with the land connector's own certificate:
// individuals of residents (ResidentRegistry.GetCitizen, read mask
// full_name + life_status), enterprises of the business registry
// (BusinessRegistry.GetEnterprise). Both are personal-data methods: every
// call carries x-ndxp-purpose kLandTransferPurpose and the original request
// id, so the hub's records tie the lookups to the request that caused them.
// Grants the land connector needs: "000.00.00.G15/land" -> residents
// GetCitizen and business GetEnterprise.
//
// Errors, each naming the party's request field ("transferees[0].personal_id"):
//   the registry has no such party       NOT_FOUND
//   deceased citizen, dissolved or
//   bankrupt enterprise                  FAILED_PRECONDITION
//   registry or hub unreachable / slow   UNAVAILABLE / DEADLINE_EXCEEDED
//                                        "residents GetCitizen: ..."
//   anything else the hub or registry
//   answers (a missing grant, ...)       INTERNAL: not the caller's fault
//
// Thread-safe (gRPC stubs are).
#ifndef NDXP_CONNECTORS_LAND_PARTY_REGISTRY_H_
#define NDXP_CONNECTORS_LAND_PARTY_REGISTRY_H_

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ndxp/business/v1/business.grpc.pb.h"
#include "ndxp/land/v1/land.pb.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"

namespace ndxp::land {

inline constexpr char kLandTransferPurpose[] =
    "land-use right transfer: assessment of financial obligations";

class HubPartyRegistry {
 public:
  // `hub`: HubChannel(config). `timeout`: each lookup's deadline.
  explicit HubPartyRegistry(std::shared_ptr<grpc::Channel> hub,
                            absl::Duration timeout = absl::Seconds(10));

  // The party's registered name, if it may transact. `field` is the party's
  // path in the request, for error messages.
  absl::StatusOr<std::string> NameOf(const v1::Party& party, absl::string_view field,
                                     absl::string_view request_id) const;

 private:
  void PrepareLookup(grpc::ClientContext* context, absl::string_view request_id) const;
  absl::StatusOr<std::string> CitizenName(const std::string& personal_id,
                                          absl::string_view field,
                                          absl::string_view request_id) const;
  absl::StatusOr<std::string> EnterpriseName(const std::string& code, absl::string_view field,
                                             absl::string_view request_id) const;

  // Constant after construction.
  const std::unique_ptr<ndxp::residents::v1::ResidentRegistry::Stub> residents_;
  const std::unique_ptr<ndxp::business::v1::BusinessRegistry::Stub> business_;
  const absl::Duration timeout_;
};

}  // namespace ndxp::land

#endif  // NDXP_CONNECTORS_LAND_PARTY_REGISTRY_H_
