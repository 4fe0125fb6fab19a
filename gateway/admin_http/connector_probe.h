// Whether the hub can reach each connector it routes to, checked the way the
// transport connects: TCP, the TLS handshake with the hub's client
// certificate, and the connector's certificate naming the route's provider
// agency. For /connectors, the connector_up gauge and the dashboard.
//
// A background thread probes every connector every `interval` (each probe
// bounded by `timeout`), so a scrape never waits on the network and the
// transport's threads are never involved.
//
// Example:
//   ConnectorProbe probe(tls_reloader, trust_domain);
//   probe.SetRoutes({{"ndxp.residents.v1.ResidentRegistry", "000.00.00.H49",
//                     {"127.0.0.1:50051", "127.0.0.1:50052"}}});
//   ...
//   for (const auto& c : probe.Results()) if (!c.reachable) ...
//
// Thread-safe.
#ifndef NDXP_GATEWAY_ADMIN_HTTP_CONNECTOR_PROBE_H_
#define NDXP_GATEWAY_ADMIN_HTTP_CONNECTOR_PROBE_H_

#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gateway/transport/tls/tls_reloader.h"

namespace ndxp::gateway::admin_http {

class ConnectorProbe {
 public:
  struct Target {
    std::string provider;  // agency code the connector's certificate must name
    std::string endpoint;  // "host:port" or "unix:/path"
    std::string peer_hub;  // set instead when the endpoint is a peer hub's (its SPIFFE ID)
  };
  // A routed service and every endpoint its connector answers on (its
  // endpoint, then its replicas).
  struct Route {
    std::string service;
    std::string provider;
    std::vector<std::string> endpoints;
    std::string peer_hub;  // the endpoints are this peer hub's, not a connector's
  };
  struct Result {
    Target target;
    bool probed = false;     // false until the first probe finished
    bool reachable = false;
    std::string error;       // why not, when not
    absl::Time checked;
  };

  // `tls` must outlive the probe. Starts the probing thread.
  ConnectorProbe(const transport::TlsReloader* tls, std::string trust_domain,
                 absl::Duration interval = absl::Seconds(1),
                 absl::Duration timeout = absl::Seconds(2));
  ~ConnectorProbe();  // stops and joins the thread
  ConnectorProbe(const ConnectorProbe&) = delete;
  ConnectorProbe& operator=(const ConnectorProbe&) = delete;

  // The routes whose endpoints to probe from now on (each distinct provider
  // and endpoint once); probes them soon.
  void SetRoutes(std::vector<Route> routes) ABSL_LOCKS_EXCLUDED(mu_);
  // One per distinct endpoint, in the routes' order.
  std::vector<Result> Results() const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<Route> Routes() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop();
  absl::Status Probe(const Target& target) const;

  // Constant after construction.
  const transport::TlsReloader* const tls_;
  const std::string trust_domain_;
  const absl::Duration interval_;
  const absl::Duration timeout_;

  mutable absl::Mutex mu_;
  std::vector<Route> routes_ ABSL_GUARDED_BY(mu_);
  std::vector<Result> results_ ABSL_GUARDED_BY(mu_);
  bool targets_changed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ndxp::gateway::admin_http

#endif  // NDXP_GATEWAY_ADMIN_HTTP_CONNECTOR_PROBE_H_
