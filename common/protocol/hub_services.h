// The services every hub answers itself (docs/design.md "Access rights"):
// grpc.health.v1.Health, server reflection, the API catalogue (when the
// hub's descriptor set has ndxp/hub/v1/catalogue.proto), a data subject's
// accesses and the audit log's checkpoints and proofs (operators need no
// grant for these two). Grants name them as they name
// routed services, so a member calls them only when granted; a default grant
// to every member is a configuration line (consumer "*"), not a bypass.
#ifndef NDXP_COMMON_PROTOCOL_HUB_SERVICES_H_
#define NDXP_COMMON_PROTOCOL_HUB_SERVICES_H_

#include "absl/strings/string_view.h"

namespace ndxp::protocol {

inline constexpr char kHealthService[] = "grpc.health.v1.Health";
inline constexpr char kReflectionV1Service[] = "grpc.reflection.v1.ServerReflection";
inline constexpr char kReflectionV1AlphaService[] = "grpc.reflection.v1alpha.ServerReflection";
inline constexpr char kCatalogueService[] = "ndxp.hub.v1.Catalogue";
inline constexpr char kDataSubjectAccessService[] = "ndxp.hub.v1.DataSubjectAccess";
inline constexpr char kTransparencyService[] = "ndxp.hub.v1.Transparency";

struct HubService {
  const char* service;
  const char* methods[4];  // nullptr after the last
  bool HasMethod(absl::string_view method) const {
    for (const char* m : methods) {
      if (m != nullptr && method == m) return true;
    }
    return false;
  }
};
inline constexpr HubService kHubServices[] = {
    {kHealthService, {"Check", "Watch"}},
    {kReflectionV1Service, {"ServerReflectionInfo", nullptr}},
    {kReflectionV1AlphaService, {"ServerReflectionInfo", nullptr}},
    {kCatalogueService, {"GetOpenApiDocument", nullptr}},
    {kDataSubjectAccessService, {"ListAccesses", nullptr}},
    {kTransparencyService,
     {"GetCheckpoint", "GetInclusionProof", "AddCosignature", "GetConsistencyProof"}},
};

// The hub service named `service`, or nullptr.
inline const HubService* FindHubService(absl::string_view service) {
  for (const HubService& s : kHubServices) {
    if (service == s.service) return &s;
  }
  return nullptr;
}

// A grant's consumer that means every federation member.
inline constexpr char kEveryMember[] = "*";

}  // namespace ndxp::protocol

#endif  // NDXP_COMMON_PROTOCOL_HUB_SERVICES_H_
