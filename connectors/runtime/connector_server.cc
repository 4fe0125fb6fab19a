#include "connectors/runtime/connector_server.h"

#include <grpc/grpc.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/server_interceptor.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "connectors/runtime/connector_config.h"

namespace ndxp::connectors {
namespace {

// Lives exactly as long as its call: gRPC creates one per call (when the
// call is matched to a method) and destroys it when the call is done.
class CallTrackingInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit CallTrackingInterceptor(ConnectorServer::CallTracker* calls) : calls_(calls) {
    calls_->Begin();
  }
  ~CallTrackingInterceptor() override { calls_->End(); }
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  ConnectorServer::CallTracker* const calls_;
};

class CallTrackingInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallTrackingInterceptorFactory(ConnectorServer::CallTracker* calls)
      : calls_(calls) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* /*info*/) override {
    return new CallTrackingInterceptor(calls_);
  }

 private:
  ConnectorServer::CallTracker* const calls_;
};

// How often Shutdown retries closing idle connections while gRPC's own
// shutdown is still waiting for them.
constexpr absl::Duration kCloseRetry = absl::Milliseconds(20);

}  // namespace

bool ConnectorServer::CallTracker::AwaitIdle(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; };
  return mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

absl::StatusOr<std::unique_ptr<ConnectorServer>> ConnectorServer::Start(
    const ConnectorServerOptions& options) {
  std::string host;
  int requested_port = 0;
  if (absl::Status s = SplitHostPort(options.listen, &host, &requested_port); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("listen: ", s.message()));
  }
  if (options.credentials == nullptr) {
    return absl::InvalidArgumentError("server credentials are required");
  }
  if (options.services.empty()) {
    // gRPC's health service alone is callback-based and leaves a sync server
    // without a completion queue to poll: BuildAndStart would fail.
    return absl::InvalidArgumentError("a connector server needs at least one service");
  }
  // A process-wide switch read when a server is built: it must precede
  // BuildAndStart for the health service to be registered.
  grpc::EnableDefaultHealthCheckService(true);

  auto calls = std::make_unique<CallTracker>();
  grpc::ServerBuilder builder;
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<CallTrackingInterceptorFactory>(calls.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  // gRPC sets SO_REUSEPORT by default: a second connector started on the
  // same port would silently share the traffic instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int bound_port = 0;
  builder.AddListeningPort(options.listen, options.credentials, &bound_port);
  for (grpc::Service* service : options.services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    if (server != nullptr) server->Shutdown();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen,
                     " (address in use, or not an address of this host)"));
  }
  return std::unique_ptr<ConnectorServer>(
      new ConnectorServer(std::move(calls), std::move(server), std::move(host), bound_port));
}

ConnectorServer::~ConnectorServer() { Shutdown(absl::ZeroDuration()); }

std::string ConnectorServer::address() const { return absl::StrCat(host_, ":", port_); }

void ConnectorServer::SetServing(bool serving) {
  // Registered by Start (EnableDefaultHealthCheckService), never absent.
  server_->GetHealthCheckService()->SetServingStatus(serving);
}

void ConnectorServer::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  const absl::Time deadline = absl::Now() + grace;
  // grpc::Server::Shutdown(deadline) stops accepting calls, then waits until
  // calls in flight are done AND every client has closed its connection in
  // answer to the GOAWAY, cancelling all at the deadline. An idle client
  // (the hub, between calls) notices the GOAWAY only at its next poll,
  // seconds later, so the process would linger for the whole grace period.
  // Instead, once no call is in flight, close the connections ourselves.
  absl::Notification stopped;
  std::thread closer([this, deadline, &stopped] {
    for (;;) {
      calls_->AwaitIdle(deadline);
      // Give Shutdown a moment to begin (closing connections before it does
      // would only let clients reconnect) or to finish on its own.
      if (stopped.WaitForNotificationWithTimeout(kCloseRetry)) return;
      grpc_server_cancel_all_calls(server_->c_server());
    }
  });
  server_->Shutdown(absl::ToChronoTime(deadline));
  stopped.Notify();
  closer.join();
  server_->Wait();  // every handler has returned
}

}  // namespace ndxp::connectors
