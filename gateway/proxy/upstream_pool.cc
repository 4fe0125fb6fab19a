#include "gateway/proxy/upstream_pool.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

namespace ndxp::gateway {

UpstreamPool::UpstreamPool(const RouteTable& routes, const CredentialsFor& credentials_for,
                           uint32_t max_message_bytes) {
  stubs_.resize(routes.services().size());
  for (const auto& service : routes.services()) {
    const std::shared_ptr<grpc::ChannelCredentials> credentials = credentials_for(*service);
    for (uint32_t i = 0; i < service->channels; ++i) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("ndxp.upstream_channel", static_cast<int>(i));
      args.SetMaxReceiveMessageSize(static_cast<int>(max_message_bytes));
      args.SetMaxSendMessageSize(static_cast<int>(max_message_bytes));
      // A restarted connector is found again within a second, and a down one
      // fails calls fast (UNAVAILABLE) instead of holding them.
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
      args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
      args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
      std::shared_ptr<grpc::Channel> channel =
          grpc::CreateCustomChannel(service->endpoint, credentials, args);
      channel->GetState(/*try_to_connect=*/true);  // handshake before the first call
      stubs_[service->index].push_back(std::make_unique<grpc::GenericStub>(channel));
    }
  }
}

}  // namespace ndxp::gateway
