// The hub as one object: the mTLS listener, the proxy, health and reflection,
// built from a validated configuration. main() and the tests both use it.
#ifndef NDXP_GATEWAY_HUB_SERVER_H_
#define NDXP_GATEWAY_HUB_SERVER_H_

#include <memory>

#include <grpcpp/server.h>

#include "absl/status/statusor.h"
#include "gateway/admin/local_services.h"
#include "gateway/config/hub_config.h"
#include "gateway/policy/access_policy.h"
#include "gateway/proxy/async_proxy.h"
#include "gateway/proxy/proxy_context.h"
#include "gateway/proxy/upstream_pool.h"
#include "gateway/routing/route_table.h"

namespace ndxp::gateway {

// Serving from Start() until Shutdown() (or destruction). Thread-safe.
class HubServer {
 public:
  // Builds and starts the server; an error if a certificate cannot be read
  // or the listen address cannot be bound.
  static absl::StatusOr<std::unique_ptr<HubServer>> Start(HubSettings settings);
  ~HubServer();

  int port() const { return port_; }
  const ProxyStats& stats() const { return stats_; }

  // Stops accepting calls and waits for calls in flight (up to `grace`).
  void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  void Wait() { server_->Wait(); }

 private:
  HubServer() = default;

  // Constant after Start.
  HubSettings settings_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<AccessPolicy> policy_;
  std::unique_ptr<UpstreamPool> upstreams_;
  ProxyStats stats_;
  ProxyContext proxy_context_;
  std::unique_ptr<AsyncProxy> proxy_;  // its queues outlive server_
  std::unique_ptr<LocalServices> local_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_HUB_SERVER_H_
