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

// Ready when the hub accepts calls, its store takes writes (the last commit
// succeeded and, with SQLite, the file is writable) and every routed service
// has an endpoint of its connector (its endpoint or a replica) that was
// reachable at its last probe. `problems` names what is not.
struct Readiness {
  bool ready = true;
  std::vector<std::string> problems;
};
Readiness CheckReadiness(const AdminSources& sources);

// The calls the hub refused by reason ("permission_denied", ...), as the
// metrics and the dashboard label them.
std::vector<std::pair<std::string, uint64_t>> RefusalsByReason(const HubStats& stats);

}  // namespace ndxp::gateway::admin_http

#endif  // NDXP_GATEWAY_ADMIN_HTTP_METRICS_PAGE_H_
