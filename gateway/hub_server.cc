#include "gateway/hub_server.h"

#include <algorithm>
#include <thread>

#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "common/tls/credentials.h"

namespace ndxp::gateway {

absl::StatusOr<std::unique_ptr<HubServer>> HubServer::Start(HubSettings settings) {
  std::unique_ptr<HubServer> hub(new HubServer());
  hub->started_with_ = settings.config;
  const auto& config = hub->started_with_;

  auto server_credentials = tls::MutualTlsServerCredentials(config.tls());
  if (!server_credentials.ok()) return server_credentials.status();
  absl::StatusOr<std::shared_ptr<const ProxyContext>> context =
      BuildProxyContext(std::move(settings), &hub->stats_);
  if (!context.ok()) return context.status();

  // One proxy thread per core, at least two (PERF-NOTES.md).
  hub->proxy_ = std::make_unique<AsyncProxy>(
      *std::move(context), static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));

  // Health and reflection are answered by the proxy itself: no other service
  // (and so none of the callback API's threads) in this server.
  grpc::EnableDefaultHealthCheckService(false);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen(), *server_credentials, &hub->port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(MaxMessageBytes(config)));
  builder.SetMaxSendMessageSize(static_cast<int>(MaxMessageBytes(config)));
  hub->proxy_->AddTo(&builder);
  hub->server_ = builder.BuildAndStart();
  if (hub->server_ == nullptr || hub->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen()));
  }
  hub->proxy_->Start();
  return hub;
}

absl::Status HubServer::Reload(HubSettings settings) {
  absl::MutexLock lock(&reload_mu_);
  const auto& next = settings.config;
  using google::protobuf::util::MessageDifferencer;
  if (next.listen() != started_with_.listen() ||
      !MessageDifferencer::Equals(next.tls(), started_with_.tls()) ||
      MaxMessageBytes(next) != MaxMessageBytes(started_with_)) {
    return absl::FailedPreconditionError(
        "listen, tls and limits.max_message_bytes take effect only on a restart; "
        "the running configuration stays");
  }
  absl::StatusOr<std::shared_ptr<const ProxyContext>> context =
      BuildProxyContext(std::move(settings), &stats_);
  if (!context.ok()) return context.status();
  proxy_->SetContext(*context);
  return absl::OkStatus();
}

HubServer::~HubServer() { Shutdown(); }

void HubServer::Shutdown(std::chrono::milliseconds grace) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  proxy_->Shutdown();
}

}  // namespace ndxp::gateway
