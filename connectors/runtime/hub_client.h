// Connectors are consumers too: civil status registering a birth asks
// residents for a personal ID number through the hub (docs/design.md
// "connectors/"). This is the client side a connector uses for that: a
// channel to config.hub_endpoint presenting the connector's own agency
// certificate (the hub authorises it like any other member), and the request
// metadata every call through the hub should carry.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> hub, HubChannel(config));
//   auto residents = ResidentRegistry::NewStub(hub);
//   grpc::ClientContext context;
//   HubCallOptions options;
//   options.purpose = "birth registration";
//   options.request_id = registration_id;
//   PrepareHubCall(&context, options);
//   grpc::Status status = residents->IssuePersonalId(&context, request, &response);
//   NDXP_RETURN_IF_ERROR(FromGrpcStatus(status, "residents IssuePersonalId"));
#ifndef NDXP_CONNECTORS_RUNTIME_HUB_CLIENT_H_
#define NDXP_CONNECTORS_RUNTIME_HUB_CLIENT_H_

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ndxp/config/v1/connector.pb.h"

namespace ndxp::connectors {

// A channel to config.hub_endpoint with mutual TLS from config.tls (the
// connector's own certificate). Connects lazily: a hub that is down shows as
// UNAVAILABLE on the first call, not here. INVALID_ARGUMENT "hub_endpoint is
// required ..." when the configuration names no hub; the TLS files' errors
// otherwise.
absl::StatusOr<std::shared_ptr<grpc::Channel>> HubChannel(
    const ndxp::config::v1::ConnectorConfig& config);

struct HubCallOptions {
  // x-ndxp-purpose: the legal basis of this call (required by the hub for
  // personal-data methods).
  std::string purpose;
  // x-ndxp-request-id, so the hub's records tie this call to the request
  // that caused it; empty lets the hub generate one.
  std::string request_id;
  // The call's deadline, from now. A call through the hub never waits
  // without one.
  absl::Duration timeout = absl::Seconds(10);
};

// Sets the metadata and deadline of `options` on a fresh context.
void PrepareHubCall(grpc::ClientContext* context, const HubCallOptions& options);

}  // namespace ndxp::connectors

#endif  // NDXP_CONNECTORS_RUNTIME_HUB_CLIENT_H_
