#include "tests/testing/test_federation.h"

#include <cstdlib>
#include <fstream>
#include <iostream>

#include <google/protobuf/text_format.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/str_cat.h"
#include "common/tls/credentials.h"
#include "connectors/runtime/caller_authorization.h"
#include "gateway/config/hub_config.h"

namespace ndxp::testing {
namespace {

// A broken federation makes every test of the suite meaningless: stop with
// the reason rather than fail each test obscurely.
template <typename T>
T OrDie(absl::StatusOr<T> value, const char* what) {
  if (!value.ok()) {
    std::cerr << "TestFederation: " << what << ": " << value.status() << "\n";
    std::abort();
  }
  return *std::move(value);
}

std::string SpiffeId(const std::string& agency, const std::string& subsystem) {
  return absl::StrCat("spiffe://", kTrustDomain, "/agency/", agency, "/", subsystem);
}

}  // namespace

TestFederation::TestFederation()
    : pki_(std::make_unique<TestPki>()), dir_(std::make_unique<TempDir>()) {
  hub_tls_ = pki_->Issue("hub", kHubAgency, "hub", /*server=*/true);
  const std::string path = dir_->path() + "/hub.textproto";
  std::string text;
  google::protobuf::TextFormat::PrintToString(HubConfigNow(), &text);
  std::ofstream(path) << text;
  hub_ = OrDie(gateway::HubServer::Start(OrDie(gateway::LoadHubConfig(path), "hub config")),
               "hub start");
}

TestFederation::~TestFederation() {
  hub_->Shutdown(std::chrono::milliseconds(0));
  for (auto& [name, connector] : connectors_) {
    if (connector.server != nullptr) connector.server->Shutdown(absl::ZeroDuration());
  }
}

std::string TestFederation::hub_spiffe_id() const { return SpiffeId(kHubAgency, "hub"); }

ndxp::config::v1::HubConfig TestFederation::HubConfigNow() const {
  ndxp::config::v1::HubConfig config;
  config.set_listen("127.0.0.1:0");  // unchanged on reload: the port stays bound
  config.set_trust_domain(kTrustDomain);
  *config.mutable_tls() = hub_tls_;
  config.set_descriptor_set(NDXP_DESCRIPTOR_SET);
  config.mutable_recording()->set_mode(ndxp::config::v1::Recording::OFF);
  for (const auto& [name, connector] : connectors_) {
    for (const Route& route : connector.options.routes) {
      ndxp::config::v1::Route* entry = config.add_routes();
      entry->set_service(route.service);
      entry->set_provider(connector.options.agency);
      entry->set_endpoint(connector.config.listen());
      for (const std::string& method : route.personal_data_methods) {
        entry->add_personal_data_methods(method);
      }
    }
  }
  for (const auto& grant : grants_) *config.add_grants() = grant;
  return config;
}

absl::Status TestFederation::Launch(RunningConnector& connector) {
  absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServices>> services =
      connector.options.factory(connector.config);
  if (!services.ok()) return services.status();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ndxp::connectors::AuthorizedServerCredentials(connector.config);
  if (!credentials.ok()) return credentials.status();
  absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServer>> server =
      ndxp::connectors::ConnectorServer::Start(
          {"127.0.0.1:0", *credentials, (*services)->Services()});
  if (!server.ok()) return server.status();
  connector.services = *std::move(services);
  connector.server = *std::move(server);
  connector.config.set_listen(connector.server->address());
  return absl::OkStatus();
}

absl::Status TestFederation::StartConnector(const ConnectorOptions& options) {
  if (connectors_.count(options.name) != 0) {
    return absl::AlreadyExistsError(absl::StrCat("connector ", options.name, " already started"));
  }
  RunningConnector& connector = connectors_[options.name];
  connector.options = options;
  if (connector.options.subsystem.empty()) connector.options.subsystem = options.name;
  ndxp::config::v1::ConnectorConfig& config = connector.config;
  config.set_listen("127.0.0.1:0");
  config.set_trust_domain(kTrustDomain);
  config.set_agency(options.agency);
  *config.mutable_tls() =
      pki_->Issue(options.name, options.agency, connector.options.subsystem, /*server=*/true);
  config.add_allowed_callers(hub_spiffe_id());
  config.set_database(absl::StrCat(dir_->path(), "/", options.name, ".db"));
  config.mutable_synthetic()->set_seed(options.seed);
  config.mutable_synthetic()->set_size(options.size);
  config.set_hub_endpoint(absl::StrCat("127.0.0.1:", hub_->port()));
  absl::Status launched = Launch(connector);
  if (!launched.ok()) connectors_.erase(options.name);
  return launched;
}

void TestFederation::StopConnector(const std::string& name) {
  RunningConnector& connector = connectors_.at(name);
  if (connector.server != nullptr) connector.server->Shutdown(absl::ZeroDuration());
  connector.server.reset();
  connector.services.reset();
}

absl::Status TestFederation::RestartConnector(const std::string& name) {
  StopConnector(name);
  absl::Status launched = Launch(connectors_.at(name));
  if (!launched.ok()) return launched;
  return ApplyHubConfig();
}

void TestFederation::Grant(const std::string& consumer, const std::string& service,
                           const std::string& method) {
  ndxp::config::v1::Grant& grant = grants_.emplace_back();
  grant.set_consumer(consumer);
  grant.set_service(service);
  grant.set_method(method);
}

absl::Status TestFederation::ApplyHubConfig() {
  const std::string path = dir_->path() + "/hub.textproto";
  std::string text;
  google::protobuf::TextFormat::PrintToString(HubConfigNow(), &text);
  std::ofstream(path, std::ios::trunc) << text;
  absl::StatusOr<gateway::HubSettings> settings = gateway::LoadHubConfig(path);
  if (!settings.ok()) return settings.status();
  return hub_->Reload(*std::move(settings));
}

ndxp::config::v1::TlsFiles TestFederation::Client(const std::string& name,
                                                  const std::string& agency,
                                                  const std::string& subsystem) {
  auto it = clients_.find(name);
  if (it == clients_.end()) it = clients_.emplace(name, pki_->Issue(name, agency, subsystem)).first;
  return it->second;
}

std::shared_ptr<grpc::Channel> TestFederation::ChannelAs(
    const ndxp::config::v1::TlsFiles& tls) const {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a handshake of its own per identity
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", hub_->port()),
                                   OrDie(tls::MutualTlsChannelCredentials(tls), "client TLS"),
                                   args);
}

const ndxp::config::v1::ConnectorConfig& TestFederation::ConnectorConfigOf(
    const std::string& name) const {
  return connectors_.at(name).config;
}

}  // namespace ndxp::testing
