// An in-process ResidentRegistry connector for hub tests: it answers with
// fixed data and records what reached it (the caller the hub vouched for,
// purpose, request id, deadline), so tests can assert what the hub forwarded.
#ifndef NDXP_TESTS_INTEGRATION_RECORDING_CONNECTOR_H_
#define NDXP_TESTS_INTEGRATION_RECORDING_CONNECTOR_H_

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/server.h>

#include "absl/synchronization/mutex.h"
#include "ndxp/config/v1/common.pb.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"

namespace ndxp::testing {

// What the connector saw of the last call.
struct SeenCall {
  std::string consumer;    // x-ndxp-consumer values, joined by ","
  std::string purpose;
  std::string request_id;
  std::chrono::system_clock::time_point deadline;
  std::string peer_spiffe_id;  // who connected: must be the hub
};

// Thread-safe. Serves on 127.0.0.1, port 0, with mutual TLS; with
// `health_service`, gRPC's grpc.health.v1 too (SERVING until SetServing).
class RecordingConnector final : public ndxp::residents::v1::ResidentRegistry::Service {
 public:
  explicit RecordingConnector(const ndxp::config::v1::TlsFiles& tls, bool health_service = false);
  ~RecordingConnector() override;

  int port() const { return port_; }
  // What its health service answers from now on (with `health_service`).
  void SetServing(bool serving);
  SeenCall last_call() const;
  // How many calls reached it.
  int64_t calls() const;

  grpc::Status GetCitizen(grpc::ServerContext* context,
                          const ndxp::residents::v1::GetCitizenRequest* request,
                          ndxp::residents::v1::GetCitizenResponse* response) override;
  grpc::Status VerifyCitizen(grpc::ServerContext* context,
                             const ndxp::residents::v1::VerifyCitizenRequest* request,
                             ndxp::residents::v1::VerifyCitizenResponse* response) override;
  grpc::Status ListRelatives(
      grpc::ServerContext* context, const ndxp::residents::v1::ListRelativesRequest* request,
      grpc::ServerWriter<ndxp::residents::v1::Relative>* writer) override;
  grpc::Status BatchVerifyCitizens(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<ndxp::residents::v1::VerifyCitizenResponse,
                               ndxp::residents::v1::VerifyCitizenRequest>* stream) override;

 private:
  void Record(const grpc::ServerContext& context);

  mutable absl::Mutex mu_;
  SeenCall last_ ABSL_GUARDED_BY(mu_);
  int64_t calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// The first lines of a hub configuration for these tests: a free loopback
// port, trust domain ndxp.gov.vn, the TLS files `hub_tls`, the routed
// services' descriptors (NDXP_DESCRIPTOR_SET). Routes and the rest follow.
std::string HubConfigHead(const ndxp::config::v1::TlsFiles& hub_tls);

}  // namespace ndxp::testing

#endif  // NDXP_TESTS_INTEGRATION_RECORDING_CONNECTOR_H_
