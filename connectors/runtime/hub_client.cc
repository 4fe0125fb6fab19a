#include "connectors/runtime/hub_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/status/status.h"
#include "common/protocol/metadata.h"
#include "common/tls/credentials.h"

namespace ndxp::connectors {

absl::StatusOr<std::shared_ptr<grpc::Channel>> HubChannel(
    const ndxp::config::v1::ConnectorConfig& config) {
  if (config.hub_endpoint().empty()) {
    return absl::InvalidArgumentError(
        "hub_endpoint is required: this connector calls other agencies' services through the "
        "hub");
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      tls::MutualTlsChannelCredentials(config.tls());
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments args;
  // Reconnect quickly after a hub restart rather than backing off to minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  return grpc::CreateCustomChannel(config.hub_endpoint(), *credentials, args);
}

void PrepareHubCall(grpc::ClientContext* context, const HubCallOptions& options) {
  if (!options.purpose.empty()) context->AddMetadata(protocol::kPurposeHeader, options.purpose);
  if (!options.request_id.empty()) {
    context->AddMetadata(protocol::kRequestIdHeader, options.request_id);
  }
  context->set_deadline(absl::ToChronoTime(absl::Now() + options.timeout));
}

}  // namespace ndxp::connectors
