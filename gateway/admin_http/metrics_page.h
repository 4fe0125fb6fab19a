// The /metrics page (Prometheus text format 0.0.4) and the /readyz verdict,
// from the hub's live sources. docs/admin.md lists every metric.
#ifndef NDXP_GATEWAY_ADMIN_HTTP_METRICS_PAGE_H_
#define NDXP_GATEWAY_ADMIN_HTTP_METRICS_PAGE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gateway/admin_http/admin_sources.h"

namespace ndxp::gateway::admin_http {

// Every ndxp_* family, at `now` (for the seconds left on certificates).
std::string RenderMetrics(const AdminSources& sources, absl::Time now);

// Ready on the hub's own, local state only: it accepts calls (not draining),
// its TLS certificate is valid at `now`, and with SQLite its database file is
// writable and the last commit to it succeeded. Nothing every replica shares
// counts — no connector, not a shared PostgreSQL: with a headless Service
// every replica would turn unready at once and the exchange would stop for
// every agency (docs/admin.md). Those are on /connectors and /metrics.
// `problems` names what is not ready.
struct Readiness {
  bool ready = true;
  std::vector<std::string> problems;
};
Readiness CheckReadiness(const AdminSources& sources, absl::Time now);

// The /connectors page (JSON, docs/admin.md): every route's connector
// endpoints as last probed, and the transaction store's health.
std::string RenderConnectors(const AdminSources& sources, absl::Time now);

// The calls the hub refused by reason ("permission_denied", ...), as the
// metrics and the dashboard label them.
std::vector<std::pair<std::string, uint64_t>> RefusalsByReason(const HubStats& stats);

}  // namespace ndxp::gateway::admin_http

#endif  // NDXP_GATEWAY_ADMIN_HTTP_METRICS_PAGE_H_
