// Long-lived, multiplexed connections from the hub to each connector.
#ifndef NDXP_GATEWAY_PROXY_UPSTREAM_POOL_H_
#define NDXP_GATEWAY_PROXY_UPSTREAM_POOL_H_

#include <functional>
#include <memory>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include "gateway/routing/route_table.h"

namespace ndxp::gateway {

// For each routed service, `channels` separate HTTP/2 connections to its
// connector (a distinct channel argument plus a local subchannel pool keeps
// them apart); calls are spread over them and multiplexed, never a connection
// per call. Immutable after construction; safe for concurrent use.
class UpstreamPool {
 public:
  // The credentials a service's connections use (the hub's certificate, and
  // the check that the connector is the route's provider).
  using CredentialsFor =
      std::function<std::shared_ptr<grpc::ChannelCredentials>(const ServiceRoute&)>;

  UpstreamPool(const RouteTable& routes, const CredentialsFor& credentials_for,
               uint32_t max_message_bytes);

  // A stub for one of the service's connections, chosen round-robin per thread.
  grpc::GenericStub& StubFor(const ServiceRoute& service) const {
    static thread_local uint32_t next = 0;
    const auto& stubs = stubs_[service.index];
    return *stubs[next++ % stubs.size()];
  }

 private:
  std::vector<std::vector<std::unique_ptr<grpc::GenericStub>>> stubs_;  // by service index
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_PROXY_UPSTREAM_POOL_H_
