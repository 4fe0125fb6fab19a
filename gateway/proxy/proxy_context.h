// What the proxy reads on every call, and the counters it keeps.
#ifndef NDXP_GATEWAY_PROXY_PROXY_CONTEXT_H_
#define NDXP_GATEWAY_PROXY_PROXY_CONTEXT_H_

#include <atomic>
#include <chrono>
#include <string>

#include "gateway/admin/local_services.h"
#include "gateway/policy/access_policy.h"
#include "gateway/proxy/upstream_pool.h"
#include "gateway/routing/route_table.h"

namespace ndxp::gateway {

// The proxy's counters, in one place. Incremented with relaxed atomics.
struct ProxyStats {
  std::atomic<uint64_t> forwarded{0};          // calls handed to a connector
  std::atomic<uint64_t> unauthenticated{0};    // no valid identity
  std::atomic<uint64_t> unimplemented{0};      // unknown service or method
  std::atomic<uint64_t> permission_denied{0};  // not granted
  std::atomic<uint64_t> missing_purpose{0};    // personal data without x-ndxp-purpose
};

// Owned by the server and immutable while it serves.
struct ProxyContext {
  std::string trust_domain;
  const RouteTable* routes = nullptr;
  const AccessPolicy* policy = nullptr;
  const UpstreamPool* upstreams = nullptr;
  const LocalServices* local = nullptr;  // health, reflection
  // Applied upstream when the caller sets no deadline, so no call hangs.
  std::chrono::milliseconds default_deadline{30000};
  ProxyStats* stats = nullptr;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_PROXY_PROXY_CONTEXT_H_
