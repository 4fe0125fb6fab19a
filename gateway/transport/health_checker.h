// Active health checks of connector endpoints (grpc.health.v1), on the
// transport's own loops: what passive checks cannot see, an endpoint that
// is reachable but says it does not serve (an operator draining it).
//
// Each transport thread checks its share of the routes' endpoints (of the
// distinct endpoints in the routes' order, every `threads`-th from its own
// index), each over a long-lived HTTP/2 connection of its own (TLS and the
// provider check as for calls): one grpc.health.v1.Health/Check for service
// "" (the connector as a whole) every health_checks.interval_ms, or every
// second at most while the endpoint does not serve. The verdict goes to an
// EndpointHealthBoard that every thread reads when it picks an endpoint for a
// call, and to the metrics (ndxp_upstream_serving).
//
// Example (TransportThread):
//   HealthChecker checker(this);
//   checker.SetRoutes(*context->routes);   // at start and after each reload
//   ...
//   checker.Stop();                        // draining
#ifndef NDXP_GATEWAY_TRANSPORT_HEALTH_CHECKER_H_
#define NDXP_GATEWAY_TRANSPORT_HEALTH_CHECKER_H_

#include <ev.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "gateway/metrics/call_metrics.h"
#include "gateway/routing/route_table.h"

namespace ndxp::gateway::transport {

class TransportThread;
class HealthCheckConnection;

// Where an endpoint stands with its active health checks.
enum class EndpointHealth : uint8_t {
  kUnchecked,   // no check has ended yet: calls go there (passive checks watch it)
  kServing,     // answered SERVING, or has no health service (gRFC A17)
  kNotServing,  // answered NOT_SERVING or an error: no calls, even when no other serves
  kNoAnswer,    // no connection or no answer in time: calls only when none serves
};

// Each endpoint's last verdict, shared by every transport thread: one thread
// writes an endpoint's, all read it without a lock. Thread-safe.
class EndpointHealthBoard {
 public:
  // The cell of the endpoint `key` (provider@endpoint, ServiceRoute's
  // upstream_keys), kUnchecked when first asked for; it lives as long as the
  // board.
  std::atomic<EndpointHealth>* Cell(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<std::atomic<EndpointHealth>>> cells_
      ABSL_GUARDED_BY(mu_);
};

// One transport thread's checks. Not thread-safe: on its thread only.
class HealthChecker {
 public:
  explicit HealthChecker(TransportThread* thread);
  ~HealthChecker();  // Stop()
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Checks this thread's share of the endpoints of `routes` from now on: the
  // new ones at once (their verdict starts kUnchecked), those no longer
  // there are forgotten, the others keep their schedule and verdict.
  void SetRoutes(const RouteTable& routes);
  // No more checks; the checks' connections are closed.
  void Stop();

 private:
  friend class HealthCheckConnection;
  using Result = metrics::CallMetrics::HealthCheckResult;
  // One endpoint this thread checks. Owned by targets_; its address is
  // stable (the timer and the connection point to it).
  struct Target {
    HealthChecker* checker = nullptr;
    std::string key, provider, address;
    std::string peer_hub;  // set when the endpoint is a peer hub's
    std::atomic<EndpointHealth>* health = nullptr;
    ev_timer timer;
    HealthCheckConnection* connection = nullptr;  // while open
  };

  static void OnTimer(struct ev_loop* loop, ev_timer* watcher, int events);
  void Check(Target& target);
  // The check of `target` ended with `result` (from its connection, or at
  // once when no connection could be made); schedules the next one.
  void Report(Target& target, Result result);
  void Forget(Target& target);
  double IntervalSeconds() const;
  double TimeoutSeconds() const;

  TransportThread* const thread_;
  absl::flat_hash_map<std::string, std::unique_ptr<Target>> targets_;  // by key
  bool stopped_ = false;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_HEALTH_CHECKER_H_
