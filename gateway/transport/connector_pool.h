// The connector pool of one transport thread: which endpoint of a route's
// service takes the next call, and over which connection. It keeps what the
// thread has seen of each endpoint (its connection, the failures in a row
// and how long it is left out for them) and reads what the active health
// checks found (EndpointHealthBoard), then chooses:
//   - round robin over the service's endpoints (`endpoint`, then replicas),
//     skipping those left out after failing, answering NOT_SERVING to their
//     health checks, or not answering them;
//   - when none is left in good standing, all of them again but those that
//     say NOT_SERVING (Envoy's "panic" routing): a connector that is back
//     answers the next call, not only the next background try;
//   - a connection with max_pending_per_connection calls open or waiting
//     takes no more.
// An endpoint that fails is left out first_leave_out_seconds, doubling with
// each failure in a row up to longest_leave_out_seconds; a connection that
// completes its handshake (Answered) brings it back at once.
//
// The models: Envoy's ConnectionPool (envoy/http/conn_pool.h: ready or
// failed because…) and nghttpx's ConnectBlocker (src/shrpx_connect_blocker.h:
// the backoff). Decisions take `now` as an argument (the loop's ev_now in
// the hub, a number in the tests): nothing here reads a clock.
//
// TransportThread is the one user (UpstreamFor, EndpointAnswered/Failed,
// CheckFailedEndpoints); connector_pool_test.cc has the examples, with a
// fake Connector and times given as numbers.
//
// Not thread-safe: one per transport thread, used on its loop only. The cost
// of a choice is one hash lookup per endpoint looked at and no allocation
// once each endpoint has been seen (it is on every call's path;
// PERF-NOTES.md; a test counts them).
#ifndef NDXP_GATEWAY_TRANSPORT_CONNECTOR_POOL_H_
#define NDXP_GATEWAY_TRANSPORT_CONNECTOR_POOL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "gateway/routing/route_table.h"

namespace ndxp::gateway::transport {

class EndpointHealthBoard;
enum class EndpointHealth : uint8_t;

// What the pool asks of a connection to an endpoint (Upstream is one).
class PooledConnection {
 public:
  // False once the connection failed, closed or was told GOAWAY.
  virtual bool accepts_streams() const = 0;
  // Calls open or waiting on this connection.
  virtual size_t pending() const = 0;

 protected:
  ~PooledConnection() = default;
};

// Where one endpoint is, as a Connector needs it to connect.
struct PoolEndpoint {
  std::string provider;
  std::string peer_hub;  // set when the endpoint is another hub's
  std::string address;   // host:port or unix:PATH
};

// Opens the pool's connections: the transport thread's makes Upstreams; a
// unit test's fakes them.
class Connector {
 public:
  virtual ~Connector() = default;
  // Starts a connection to `endpoint`, known as `key` (provider@endpoint).
  // Returns it while it may still take calls; nullptr when it failed at
  // once, and then the failure has been reported to the pool (Failed(key))
  // exactly once.
  virtual PooledConnection* Open(const std::string& key, const PoolEndpoint& endpoint) = 0;
};

class ConnectorPool {
 public:
  struct Options {
    // Calls open or waiting on one connection to an endpoint.
    size_t max_pending_per_connection = 5000;
    // How long an endpoint is left out after failing: the first, doubling
    // with each failure in a row up to the longest.
    double first_leave_out_seconds = 0.25;
    double longest_leave_out_seconds = 30.0;
  };

  // Why no connection was chosen.
  enum class NoConnection : uint8_t {
    kUnreachable,  // none answers (or connecting failed)
    kBusy,         // each has max_pending_per_connection calls
    kNotServing,   // every endpoint's health checks answer NOT_SERVING
  };

  // "Ready" (connection set) or "failed because" (why).
  struct Choice {
    PooledConnection* connection = nullptr;
    NoConnection why = NoConnection::kUnreachable;  // when connection is nullptr
    // The chosen endpoint's address (the service's endpoints[i]: it lives as
    // long as the route table), the upstream request's :authority.
    absl::string_view authority;
  };

  // REQUIRES: `connector` and `health` outlive the pool.
  ConnectorPool(Connector* connector, EndpointHealthBoard* health, Options options);
  ConnectorPool(const ConnectorPool&) = delete;
  ConnectorPool& operator=(const ConnectorPool&) = delete;

  // A connection to one of `service`'s endpoints for the next call (opened
  // through the connector on first use, or again after it closed), or why
  // there is none.
  Choice Choose(const ServiceRoute& service, double now);

  // A connection to `key` completed its handshake: the endpoint takes calls
  // again and its backoff starts over.
  void Answered(const std::string& key);
  // A connection to `key` failed (never established, or lost without
  // GOAWAY): the endpoint is left out until now + its backoff.
  void Failed(const std::string& key, double now);
  // `connection` to `key` takes no new calls (closed, or told GOAWAY): the
  // next call to that endpoint gets another connection.
  void Forget(const std::string& key, const PooledConnection* connection);
  // Connects again to each endpoint that failed, whose time is up and that
  // has no connection: before a call has to.
  void ReconnectDue(double now);

  // For tests: until when `key` was last left out (0: not since it last
  // answered, or never seen), and its failures in a row.
  double left_out_until(const std::string& key) const;
  int failures(const std::string& key) const;

 private:
  struct Endpoint {
    PoolEndpoint where;
    int failures = 0;  // in a row
    double left_out_until = 0;
    PooledConnection* connection = nullptr;  // while it takes calls
    const std::atomic<EndpointHealth>* health = nullptr;  // on the shared board
  };

  Connector* const connector_;
  EndpointHealthBoard* const health_;
  const Options options_;
  absl::flat_hash_map<std::string, Endpoint> endpoints_;  // by provider@endpoint
  std::vector<uint32_t> next_endpoint_;  // round robin, by ServiceRoute::index
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_CONNECTOR_POOL_H_
