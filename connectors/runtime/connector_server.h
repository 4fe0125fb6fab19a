// Starting and stopping a connector's gRPC server: listen address (port 0
// allowed, the bound port reported), credentials, gRPC's standard health
// service, and the connector's services.
//
// Example:
//   NDXP_ASSIGN_OR_RETURN(auto credentials, AuthorizedServerCredentials(config));
//   NDXP_ASSIGN_OR_RETURN(std::unique_ptr<ConnectorServer> server,
//                         ConnectorServer::Start({config.listen(), credentials,
//                                                 {&residents_service}}));
//   std::cout << "listening on " << server->address();
//   ...
//   server->Shutdown(absl::Seconds(5));
#ifndef NDXP_CONNECTORS_RUNTIME_CONNECTOR_SERVER_H_
#define NDXP_CONNECTORS_RUNTIME_CONNECTOR_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ndxp::connectors {

struct ConnectorServerOptions {
  // host:port; port 0 picks a free port.
  std::string listen;
  // AuthorizedServerCredentials in production; insecure ones in unit tests.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Not owned; each must outlive the server.
  std::vector<grpc::Service*> services;
};

// A running server. Thread-safe; Shutdown may be called from any thread,
// once or more.
class ConnectorServer {
 public:
  // Builds and starts the server with grpc.health.v1.Health answering
  // SERVING. UNAVAILABLE naming the address if it cannot listen there,
  // INVALID_ARGUMENT for a malformed address or no services.
  static absl::StatusOr<std::unique_ptr<ConnectorServer>> Start(
      const ConnectorServerOptions& options);

  ConnectorServer(const ConnectorServer&) = delete;
  ConnectorServer& operator=(const ConnectorServer&) = delete;
  // Shuts down immediately (cancelling calls in flight) if still running.
  ~ConnectorServer();

  // The host of `listen` as given ("0.0.0.0", "127.0.0.1", "[::]").
  const std::string& host() const { return host_; }
  // The port actually bound (never 0).
  int port() const { return port_; }
  // host:port with the bound port.
  std::string address() const;

  // Stops accepting calls, lets calls in flight finish for up to `grace`,
  // then cancels the rest, and closes every connection. Returns as soon as
  // no call is left: idle connections (the hub keeps one open) do not wait
  // for the grace period. Later calls return at once.
  void Shutdown(absl::Duration grace);

  grpc::Server* grpc_server() { return server_.get(); }

  // What grpc.health.v1.Health answers, for "" and every service: SERVING
  // from the start, NOT_SERVING while `serving` is false (an operator
  // draining the connector: the hub's health checks then send it no new
  // calls, calls in flight finish). Watchers are told at once.
  void SetServing(bool serving);

  // Counts the calls in flight (an interceptor sees each start and end).
  // Thread-safe.
  class CallTracker {
   public:
    void Begin() {
      absl::MutexLock lock(&mu_);
      ++in_flight_;
    }
    void End() {
      absl::MutexLock lock(&mu_);
      --in_flight_;
    }
    // True when no call is in flight, waiting for that until `deadline`.
    bool AwaitIdle(absl::Time deadline);

   private:
    absl::Mutex mu_;
    int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  };

 private:
  ConnectorServer(std::unique_ptr<CallTracker> calls, std::unique_ptr<grpc::Server> server,
                  std::string host, int port)
      : calls_(std::move(calls)),
        server_(std::move(server)),
        host_(std::move(host)),
        port_(port) {}

  // Constant after construction. calls_ outlives server_ (declared first):
  // the interceptors of the server's last calls report to it.
  const std::unique_ptr<CallTracker> calls_;
  const std::unique_ptr<grpc::Server> server_;
  const std::string host_;
  const int port_;

  absl::Mutex shutdown_mu_;  // serialises Shutdown
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace ndxp::connectors

#endif  // NDXP_CONNECTORS_RUNTIME_CONNECTOR_SERVER_H_
