#include "gateway/hub_server.h"

#include <algorithm>
#include <thread>

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "common/tls/credentials.h"

namespace ndxp::gateway {

absl::StatusOr<std::unique_ptr<HubServer>> HubServer::Start(HubSettings settings) {
  std::unique_ptr<HubServer> hub(new HubServer());
  hub->settings_ = std::move(settings);
  const auto& config = hub->settings_.config;

  absl::StatusOr<std::unique_ptr<RouteTable>> routes =
      RouteTable::Build(config, *hub->settings_.services);
  if (!routes.ok()) return routes.status();
  hub->routes_ = *std::move(routes);
  absl::StatusOr<std::unique_ptr<AccessPolicy>> policy =
      AccessPolicy::Build(config, *hub->routes_);
  if (!policy.ok()) return policy.status();
  hub->policy_ = *std::move(policy);

  auto server_credentials = tls::MutualTlsServerCredentials(config.tls());
  if (!server_credentials.ok()) return server_credentials.status();
  // The hub calls connectors with its own certificate.
  auto channel_credentials = tls::MutualTlsChannelCredentials(config.tls());
  if (!channel_credentials.ok()) return channel_credentials.status();

  uint32_t max_message_bytes = config.limits().max_message_bytes() == 0
                                   ? kDefaultMaxMessageBytes
                                   : config.limits().max_message_bytes();
  hub->upstreams_ = std::make_unique<UpstreamPool>(*hub->routes_, *channel_credentials,
                                                   max_message_bytes);

  ProxyContext& proxy = hub->proxy_context_;
  proxy.trust_domain = config.trust_domain();
  proxy.routes = hub->routes_.get();
  proxy.policy = hub->policy_.get();
  proxy.upstreams = hub->upstreams_.get();
  proxy.default_deadline = std::chrono::milliseconds(
      config.limits().default_deadline_ms() == 0 ? kDefaultDeadlineMs
                                                 : config.limits().default_deadline_ms());
  proxy.stats = &hub->stats_;
  // One proxy thread per core, at least two (PERF-NOTES.md).
  hub->proxy_ = std::make_unique<AsyncProxy>(
      &hub->proxy_context_, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));

  std::vector<std::string> routed;
  for (const auto& service : hub->routes_->services()) routed.push_back(service->service);
  hub->local_ = std::make_unique<LocalServices>(hub->settings_.services.get(), std::move(routed));
  proxy.local = hub->local_.get();

  // Health and reflection are answered by the proxy itself: no other service
  // (and so none of the callback API's threads) in this server.
  grpc::EnableDefaultHealthCheckService(false);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen(), *server_credentials, &hub->port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(max_message_bytes));
  hub->proxy_->AddTo(&builder);
  hub->server_ = builder.BuildAndStart();
  if (hub->server_ == nullptr || hub->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen()));
  }
  hub->proxy_->Start();
  return hub;
}

HubServer::~HubServer() { Shutdown(); }

void HubServer::Shutdown(std::chrono::milliseconds grace) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  proxy_->Shutdown();
}

}  // namespace ndxp::gateway
