// What the admin listener's pages read: the hub's counters, its TLS
// material, its recorder, the connector probe and the statistics engine.
// Every pointer is owned by the hub and outlives the admin listener; each
// source is thread-safe on its own.
#ifndef NDXP_GATEWAY_ADMIN_HTTP_ADMIN_SOURCES_H_
#define NDXP_GATEWAY_ADMIN_HTTP_ADMIN_SOURCES_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/identity/spiffe_id.h"
#include "gateway/admin_http/connector_probe.h"
#include "gateway/hub_context.h"
#include "gateway/metrics/call_metrics.h"
#include "gateway/metrics/prometheus_text.h"
#include "gateway/recording/recorder.h"
#include "gateway/statistics/agency_directory.h"
#include "gateway/statistics/statistics_engine.h"
#include "gateway/transport/tls/tls_reloader.h"

namespace ndxp::gateway::admin_http {

struct AdminSources {
  const HubStats* stats = nullptr;
  const metrics::CallMetrics* calls = nullptr;
  const transport::TlsReloader* tls = nullptr;
  const ConnectorProbe* connectors = nullptr;
  // nullptr when recording is off.
  const Recorder* recorder = nullptr;
  const statistics::StatisticsEngine* statistics = nullptr;
  // The SQLite file transactions go to ("" with PostgreSQL or recording off).
  std::string database;
  // The transaction store: "sqlite", "postgresql", or "" with recording off.
  std::string store;
  // Days of the statistics ("Asia/Ho_Chi_Minh" unless configured).
  absl::TimeZone time_zone;
  // Whether the hub still accepts calls (false once shutting down).
  std::function<bool()> serving;
  // Whether `caller` is one of the operators of the running configuration.
  std::function<bool(const ConsumerIdentity& caller)> is_operator;
  // The agencies' names of the running configuration (unset or null: none).
  std::function<std::shared_ptr<const statistics::AgencyDirectory>()> agencies;
  // The running configuration (routes, grants, the OpenAPI document), for
  // /catalogue and /openapi.json (unset or null: they answer 503).
  std::function<std::shared_ptr<const HubContext>()> context;
  std::string trust_domain;
  // Writes the witness's counters (unset: the hub witnesses no log).
  std::function<void(metrics::PrometheusText* page)> witness_metrics;
};

}  // namespace ndxp::gateway::admin_http

#endif  // NDXP_GATEWAY_ADMIN_HTTP_ADMIN_SOURCES_H_
