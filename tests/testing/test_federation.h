// A whole federation inside one test process: a real hub (mutual TLS, routes,
// grants) and real connectors built by their own factories over SQLite files
// in a temporary directory, each with its own agency certificate from a
// throw-away PKI, talking over loopback. Connectors that call other
// connectors reach them through this hub, as in production.
//
// Example:
//   TestFederation federation;
//   TestFederation::ConnectorOptions residents;
//   residents.name = "residents";
//   residents.agency = "000.00.00.G04";
//   residents.routes = {{"ndxp.residents.v1.ResidentRegistry", {"GetCitizen"}}};
//   residents.factory = &residents::CreateResidentsConnector;
//   ASSERT_TRUE(federation.StartConnector(residents).ok());
//   federation.Grant("000.00.00.G12", "ndxp.residents.v1.ResidentRegistry");
//   ASSERT_TRUE(federation.ApplyHubConfig().ok());
//   auto stub = ResidentRegistry::NewStub(federation.ChannelAs(federation.Client(
//       "demo", "000.00.00.G12", "tax-lookup")));
//
// Ports are all chosen by the kernel (port 0). Restarting a connector gives it
// a new port and reloads the hub, so no call races a reconnect back-off.
// Not thread-safe: drive it from the test's thread.
#ifndef NDXP_TESTS_TESTING_TEST_FEDERATION_H_
#define NDXP_TESTS_TESTING_TEST_FEDERATION_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/channel.h>

#include "absl/status/status.h"
#include "connectors/runtime/connector_main.h"
#include "connectors/runtime/connector_server.h"
#include "gateway/hub_server.h"
#include "ndxp/config/v1/connector.pb.h"
#include "ndxp/config/v1/hub.pb.h"
#include "tests/testing/test_pki.h"

namespace ndxp::testing {

inline constexpr char kHubAgency[] = "000.00.00.A01";

class TestFederation {
 public:
  struct Route {
    std::string service;                             // full service name
    std::vector<std::string> personal_data_methods;  // need x-ndxp-purpose
  };
  struct ConnectorOptions {
    std::string name;       // certificate name, database file "<name>.db"
    std::string agency;     // the owning agency's code
    std::string subsystem;  // of its SPIFFE ID; default: name
    std::vector<Route> routes;
    ndxp::connectors::ConnectorFactory factory;
    uint64_t seed = 42;  // synthetic data set
    uint32_t size = 2000;
  };

  // Creates the PKI and starts the hub with no routes (recording off).
  TestFederation();
  ~TestFederation();
  TestFederation(const TestFederation&) = delete;
  TestFederation& operator=(const TestFederation&) = delete;

  // Issues the connector's certificate (agency/subsystem, a server
  // certificate), builds it with its factory from a ConnectorConfig
  // (listen 127.0.0.1:0, the hub as only allowed caller, hub_endpoint set,
  // database in the federation's directory, the given synthetic seed and
  // size), starts it and adds its routes. Call ApplyHubConfig() after the
  // last one. The factory's error is returned as is.
  absl::Status StartConnector(const ConnectorOptions& options);
  // Shuts the connector down (its routes stay: calls get UNAVAILABLE).
  void StopConnector(const std::string& name);
  // Starts it again from the same configuration and database, on a new port,
  // and reloads the hub with it.
  absl::Status RestartConnector(const std::string& name);

  // Grants `consumer` (agency or agency/subsystem) a service or one method.
  void Grant(const std::string& consumer, const std::string& service,
             const std::string& method = "");
  // Writes the hub configuration (routes and grants so far) and reloads.
  absl::Status ApplyHubConfig();

  // A client identity (certificate issued on first use, then reused).
  ndxp::config::v1::TlsFiles Client(const std::string& name, const std::string& agency,
                                    const std::string& subsystem);
  // A channel to the hub presenting `tls`, with its own connection.
  std::shared_ptr<grpc::Channel> ChannelAs(const ndxp::config::v1::TlsFiles& tls) const;

  // The connector's configuration as its factory got it.
  const ndxp::config::v1::ConnectorConfig& ConnectorConfigOf(const std::string& name) const;
  TestPki& pki() { return *pki_; }
  const std::string& dir() const { return dir_->path(); }
  int hub_port() const { return hub_->port(); }
  std::string hub_spiffe_id() const;

 private:
  struct RunningConnector {
    ConnectorOptions options;
    ndxp::config::v1::ConnectorConfig config;
    std::unique_ptr<ndxp::connectors::ConnectorServices> services;
    std::unique_ptr<ndxp::connectors::ConnectorServer> server;  // null when stopped
  };
  absl::Status Launch(RunningConnector& connector);
  ndxp::config::v1::HubConfig HubConfigNow() const;

  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<TempDir> dir_;
  ndxp::config::v1::TlsFiles hub_tls_;
  std::unique_ptr<ndxp::gateway::HubServer> hub_;
  std::map<std::string, RunningConnector> connectors_;  // by name, in start order of names
  std::map<std::string, ndxp::config::v1::TlsFiles> clients_;
  std::vector<ndxp::config::v1::Grant> grants_;
};

}  // namespace ndxp::testing

#endif  // NDXP_TESTS_TESTING_TEST_FEDERATION_H_
