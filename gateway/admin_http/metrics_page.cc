#include "gateway/admin_http/metrics_page.h"

#include <unistd.h>

#include <cmath>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/metrics/prometheus_text.h"
#include "gateway/statistics/status_codes.h"
#include "gateway/transport/h1_codec.h"
#include "gateway/transport/tls/peer_certificate.h"

#ifndef NDXP_VERSION
#define NDXP_VERSION "unknown"
#endif

namespace ndxp::gateway::admin_http {
namespace {

using metrics::PrometheusText;

double Load(const std::atomic<uint64_t>& counter) {
  return static_cast<double>(counter.load(std::memory_order_relaxed));
}

// The labels of every per-method family.
metrics::Labels MethodLabels(const metrics::CallMetrics::MethodStats& m) {
  return {{"service", m.service}, {"method", m.method}, {"door", DoorName(m.door)}};
}

void CallFamilies(const metrics::CallMetrics::Snapshot& calls, PrometheusText* page) {
  page->Family("ndxp_transactions_total", "counter",
               "Calls the hub routed to a connector (transactions), by outcome and the door "
               "they came in by.");
  for (const auto& t : calls.transactions) {
    std::string status = statistics::StatusCodeName(t.status_code);
    page->Sample("ndxp_transactions_total",
                 {{"consumer", t.consumer}, {"provider", t.provider}, {"service", t.service},
                  {"method", t.method}, {"status", status}, {"door", DoorName(t.door)}},
                 static_cast<double>(t.count));
  }
  page->Family("ndxp_transaction_duration_seconds", "histogram",
               "Transactions' latency at the hub, from the request's arrival to its outcome, by "
               "method and door.");
  for (const auto& m : calls.methods) {
    page->HistogramSamples("ndxp_transaction_duration_seconds", MethodLabels(m), m.total);
  }
  page->Family("ndxp_hub_added_duration_seconds", "histogram",
               "What the hub added to the connector's time, for transactions a connector "
               "answered.");
  for (const auto& m : calls.methods) {
    page->HistogramSamples("ndxp_hub_added_duration_seconds", MethodLabels(m), m.hub_added);
  }
  page->Family("ndxp_request_payload_bytes_total", "counter",
               "Message payload bytes from callers to connectors.");
  for (const auto& m : calls.methods) {
    page->Sample("ndxp_request_payload_bytes_total", MethodLabels(m),
                 static_cast<double>(m.request_bytes));
  }
  page->Family("ndxp_response_payload_bytes_total", "counter",
               "Message payload bytes from connectors to callers.");
  for (const auto& m : calls.methods) {
    page->Sample("ndxp_response_payload_bytes_total", MethodLabels(m),
                 static_cast<double>(m.response_bytes));
  }
  page->Family("ndxp_upstream_connections", "gauge",
               "Open connections from the hub to each connector (one per transport thread).");
  for (const auto& u : calls.upstreams) {
    page->Sample("ndxp_upstream_connections", {{"provider", u.provider}, {"endpoint", u.endpoint}},
                 static_cast<double>(u.open));
  }
  page->Family("ndxp_upstream_serving", "gauge",
               "Whether the last active health check (grpc.health.v1) of each connector "
               "endpoint lets calls go to it: 1 after SERVING (or no health service), 0 after "
               "NOT_SERVING or no answer.");
  for (const auto& u : calls.upstreams) {
    if (!u.checked) continue;
    page->Sample("ndxp_upstream_serving", {{"provider", u.provider}, {"endpoint", u.endpoint}},
                 u.serving ? 1 : 0);
  }
  page->Family("ndxp_upstream_health_checks_total", "counter",
               "Active health checks of each connector endpoint, by result.");
  using Result = metrics::CallMetrics::HealthCheckResult;
  for (const auto& u : calls.upstreams) {
    if (!u.checked) continue;
    for (int r = 0; r < metrics::CallMetrics::kHealthCheckResults; ++r) {
      page->Sample("ndxp_upstream_health_checks_total",
                   {{"provider", u.provider}, {"endpoint", u.endpoint},
                    {"result", metrics::CallMetrics::Name(static_cast<Result>(r))}},
                   static_cast<double>(u.checks[r]));
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, uint64_t>> RefusalsByReason(const HubStats& stats) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const RefusalInfo& info : kRefusals) {
    if (info.kind == Refusal::kNone) continue;
    out.emplace_back(std::string(info.name),
                     stats.refusals[static_cast<size_t>(info.kind)].load(std::memory_order_relaxed));
  }
  return out;
}

std::string RenderMetrics(const AdminSources& sources, absl::Time now) {
  PrometheusText page;
  page.Family("ndxp_build_info", "gauge", "The hub's version (always 1).");
  page.Sample("ndxp_build_info", {{"version", NDXP_VERSION}}, 1);

  CallFamilies(sources.calls->Read(), &page);

  const HubStats& stats = *sources.stats;
  page.Family("ndxp_refusals_total", "counter",
              "Calls the hub answered itself without forwarding, by reason (its refusal kind).");
  for (const auto& [reason, count] : RefusalsByReason(stats)) {
    page.Sample("ndxp_refusals_total", {{"reason", reason}}, static_cast<double>(count));
  }
  page.Family("ndxp_tls_handshake_failures_total", "counter",
              "Callers' TLS connections refused, by reason (no_valid_identity: the handshake "
              "passed but the certificate names no valid SPIFFE identity).");
  for (size_t i = 0; i < std::size(stats.handshake_failures); ++i) {
    absl::string_view reason = transport::Name(static_cast<transport::HandshakeFailureReason>(i));
    page.Sample("ndxp_tls_handshake_failures_total", {{"reason", reason}},
                Load(stats.handshake_failures[i]));
  }
  page.Sample("ndxp_tls_handshake_failures_total", {{"reason", "no_valid_identity"}},
              Load(stats.bad_identity));
  page.Family("ndxp_health_probes_total", "counter",
              "grpc.health.v1.Health checks and watches the hub admitted, by who answered: hub "
              "(the hub itself, or a service it does not route), connector (a routed service's "
              "connector), unreachable (NOT_SERVING: the hub could not reach it). Probes are "
              "not transactions: no audit row, no counter of the growth figures.");
  for (size_t i = 0; i < kHealthProbeAnswers; ++i) {
    page.Sample("ndxp_health_probes_total", {{"answer", kHealthProbeAnswerNames[i]}},
                Load(stats.health_probes[i]));
  }
  page.Family("ndxp_connection_limits_total", "counter",
              "Times a connection ran into a limit of docs/design.md \"Connections\", by limit: "
              "read_budget (a connection's turn of its loop, callers' and connectors' alike, "
              "ended with bytes left: it waits for the next), or a limit that ends a caller's "
              "connection with GOAWAY ENHANCE_YOUR_CALM.");
  for (const ConnectionLimitInfo& limit : kConnectionLimits) {
    page.Sample("ndxp_connection_limits_total", {{"limit", limit.name}},
                Load(stats.connection_limits[Index(limit.limit)]));
  }

  page.Family("ndxp_http1_refusals_total", "counter",
              "HTTP/1.1 requests the hub refused before any door saw them, by reason "
              "(request smuggling, oversize or slow heads, oversize bodies, ...): answered "
              "400, 408, 413, 414, 417, 431 or 505 and the connection closed; incomplete: the "
              "caller ended its connection mid-request, nothing answered.");
  for (size_t i = 0; i <= static_cast<size_t>(transport::H1Refusal::kIncomplete); ++i) {
    page.Sample("ndxp_http1_refusals_total",
                {{"reason", std::string(transport::H1RefusalName(
                                static_cast<transport::H1Refusal>(i)))}},
                Load(stats.http1_refusals[i]));
  }

  transport::TlsReloader::SecondsUntilExpiry expiry = sources.tls->SecondsUntil(now);
  page.Family("ndxp_certificate_expiry_seconds", "gauge",
              "Seconds until the hub's certificate expires (negative once it has).");
  page.Sample("ndxp_certificate_expiry_seconds", {}, expiry.certificate);
  page.Family("ndxp_crl_expiry_seconds", "gauge",
              "Seconds until the earliest CRL's next update, past which every peer is refused "
              "(+Inf without a crl_dir).");
  page.Sample("ndxp_crl_expiry_seconds", {}, expiry.crl);

  page.Family("ndxp_held_response_bytes", "gauge",
              "Bytes of connectors' answers the hub holds for callers that have not read them "
              "yet (each call's share is bounded by its stream window).");
  page.Sample("ndxp_held_response_bytes", {},
              static_cast<double>(sources.stats->held_response_bytes.Sum()));

  page.Family("ndxp_connector_up", "gauge",
              "Whether the hub reached the connector at its last probe (TCP, TLS, identity).");
  for (const auto& c : sources.connectors->Results()) {
    page.Sample("ndxp_connector_up",
                {{"provider", c.target.provider}, {"endpoint", c.target.endpoint}},
                c.reachable ? 1 : 0);
  }

  if (sources.recorder != nullptr) {
    Recorder::Stats recorder = sources.recorder->stats();
    page.Family("ndxp_recorder_queue_depth", "gauge",
                "Records waiting for the recorder's next commit.");
    page.Sample("ndxp_recorder_queue_depth", {}, static_cast<double>(recorder.queued));
    page.Family("ndxp_recorder_batch_size", "histogram", "Records per group commit.");
    page.HistogramSamples("ndxp_recorder_batch_size", {}, recorder.batch_sizes);
    page.Family("ndxp_recorder_commit_duration_seconds", "histogram",
                "Time to commit one batch (fsync included in DURABLE mode).");
    page.HistogramSamples("ndxp_recorder_commit_duration_seconds", {}, recorder.commit_seconds);
    page.Family("ndxp_recorder_held_commits_total", "counter",
                "Commits the recorder held to gather more records: for durable calls on their "
                "way (at most 1 ms) or, for rows nobody waits for, until 5 ms after the last "
                "commit.");
    page.Sample("ndxp_recorder_held_commits_total", {},
                static_cast<double>(sources.recorder->holds()));
    page.Family("ndxp_recorder_records_total", "counter",
                "Records the recorder committed or failed to commit (transactions and refused "
                "calls on record).");
    page.Sample("ndxp_recorder_records_total", {{"outcome", "committed"}},
                static_cast<double>(sources.recorder->committed_records()));
    page.Sample("ndxp_recorder_records_total", {{"outcome", "failed"}},
                static_cast<double>(sources.recorder->failed_records()));
    page.Family("ndxp_recorder_refusals_total", "counter",
                "Refused calls not written as rows of their own: summarised (a repeat within "
                "a second, counted in its summary row's repeat) or dropped (past the queue's "
                "bound).");
    page.Sample("ndxp_recorder_refusals_total", {{"outcome", "summarised"}},
                static_cast<double>(sources.recorder->summarised_refusals()));
    page.Sample("ndxp_recorder_refusals_total", {{"outcome", "dropped"}},
                static_cast<double>(sources.recorder->dropped_refusals()));
    page.Family("ndxp_store_up", "gauge",
                "1 if the last commit to the transaction store succeeded, else 0 (an outage of "
                "a shared PostgreSQL shows here and on /connectors, not on /readyz).");
    page.Sample("ndxp_store_up", {{"store", sources.store}},
                sources.recorder->last_commit_ok() ? 1 : 0);
  }
  if (sources.witness_metrics) sources.witness_metrics(&page);
  return std::move(page).Take();
}

Readiness CheckReadiness(const AdminSources& sources, absl::Time now) {
  Readiness readiness;
  auto problem = [&](std::string text) {
    readiness.ready = false;
    readiness.problems.push_back(std::move(text));
  };
  if (!sources.serving()) problem("the hub is not accepting calls (shutting down)");
  if (sources.tls->SecondsUntil(now).certificate <= 0) {
    problem("the hub's TLS certificate has expired (tls.cert)");
  }
  if (sources.store == "sqlite") {
    if (sources.recorder != nullptr && !sources.recorder->last_commit_ok()) {
      problem(absl::StrCat("the last commit to ", sources.database, " failed"));
    }
    if (::access(sources.database.c_str(), W_OK) != 0) {
      problem(absl::StrCat("the transaction store ", sources.database, " is not writable"));
    }
  }
  return readiness;
}

std::string RenderConnectors(const AdminSources& sources, absl::Time now) {
  using google::protobuf::Struct;
  using google::protobuf::Value;
  auto text = [](absl::string_view s) {
    Value v;
    v.set_string_value(std::string(s));
    return v;
  };
  auto flag = [](bool b) {
    Value v;
    v.set_bool_value(b);
    return v;
  };
  Struct page;
  auto& fields = *page.mutable_fields();
  fields["ready"] = flag(CheckReadiness(sources, now).ready);

  Struct store;
  (*store.mutable_fields())["kind"] = text(sources.store.empty() ? "off" : sources.store);
  if (sources.recorder != nullptr) {
    (*store.mutable_fields())["last_commit_ok"] = flag(sources.recorder->last_commit_ok());
    Value failed;
    failed.set_number_value(static_cast<double>(sources.recorder->failed_records()));
    (*store.mutable_fields())["failed_records"] = failed;
  }
  *fields["store"].mutable_struct_value() = std::move(store);

  std::vector<ConnectorProbe::Result> results = sources.connectors->Results();
  auto& connectors = *fields["connectors"].mutable_list_value();
  for (const ConnectorProbe::Route& route : sources.connectors->Routes()) {
    Struct connector;
    auto& c = *connector.mutable_fields();
    c["service"] = text(route.service);
    c["provider"] = text(route.provider);
    if (!route.peer_hub.empty()) c["peer_hub"] = text(route.peer_hub);
    bool reachable = false;
    auto& endpoints = *c["endpoints"].mutable_list_value();
    for (const std::string& endpoint : route.endpoints) {
      for (const ConnectorProbe::Result& r : results) {
        if (r.target.provider != route.provider || r.target.endpoint != endpoint) continue;
        reachable |= r.reachable;
        Struct e;
        auto& f = *e.mutable_fields();
        f["endpoint"] = text(endpoint);
        f["probed"] = flag(r.probed);
        f["reachable"] = flag(r.reachable);
        if (r.probed && !r.reachable) f["error"] = text(r.error);
        if (r.probed) {
          f["checked"] = text(absl::FormatTime(absl::RFC3339_sec, r.checked, absl::UTCTimeZone()));
        }
        *endpoints.add_values()->mutable_struct_value() = std::move(e);
      }
    }
    c["reachable"] = flag(reachable);
    *connectors.add_values()->mutable_struct_value() = std::move(connector);
  }
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(page, &json, options).ok()) return "{}\n";
  return json;
}

}  // namespace ndxp::gateway::admin_http
