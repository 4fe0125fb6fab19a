// What the transport reads on every call (one configuration's routes,
// grants and hub-local methods), and the counters it keeps.
#ifndef NDXP_GATEWAY_HUB_CONTEXT_H_
#define NDXP_GATEWAY_HUB_CONTEXT_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "absl/types/span.h"

#include "absl/status/statusor.h"
#include "gateway/admin/local_services.h"
#include "gateway/admission/admission.h"
#include "gateway/admin/worker.h"
#include "gateway/config/hub_config.h"
#include "gateway/metrics/call_metrics.h"
#include "gateway/metrics/connection_limits.h"
#include "gateway/peering/peers.h"
#include "gateway/policy/access_policy.h"
#include "gateway/policy/quotas.h"
#include "gateway/recording/recorder.h"
#include "gateway/recording/transaction_record.h"
#include "gateway/routing/route_table.h"
#include "gateway/statistics/agency_directory.h"

namespace ndxp::gateway {

// The hub's admission counters, in one place. Incremented with relaxed atomics.
struct HubStats {
  std::atomic<uint64_t> forwarded{0};          // calls handed to a connector
  std::atomic<uint64_t> unauthenticated{0};    // no valid identity
  std::atomic<uint64_t> unimplemented{0};      // unknown service or method
  std::atomic<uint64_t> permission_denied{0};  // not granted
  std::atomic<uint64_t> missing_purpose{0};    // no valid x-ndxp-purpose where one is due
  std::atomic<uint64_t> bad_header{0};         // a header broke the rules: refused
  std::atomic<uint64_t> over_quota{0};         // refused by a consumer's quota
  std::atomic<uint64_t> headers_too_large{0};  // request headers over 8 KiB: refused
  // Failed TLS handshakes by HandshakeFailureReason (no certificate, unknown
  // CA, expired, revoked, CRL expired, other).
  std::atomic<uint64_t> handshake_failures[6] = {};
  std::atomic<uint64_t> bad_identity{0};  // handshake passed, no valid SPIFFE identity
  // Bytes of connectors' answers the hub holds for callers that have not
  // read them yet (a gauge; each stream's share is bounded by its window).
  std::atomic<int64_t> held_response_bytes{0};
  // Limits a connection ran into, by ConnectionLimit (kConnectionLimits).
  std::atomic<uint64_t> connection_limits[kConnectionLimitCount] = {};
};

// Counts one admission decision in `stats` (hub-local calls are not
// forwarded: not counted).
void CountAdmission(const AdmissionDecision& decision, HubStats* stats);

struct HubContext;

// The audit record of a call refused after the handshake with `status`,
// from its method path as received (":path", empty when it had none): the
// consumer when the connection's identity is valid; provider, service and
// method when the path names a route (service and method when it names a
// hub-local method), else empty, so that paths a caller makes up never
// become counters; the refusal is the message answered (at most
// kMaxRefusalBytes).
inline constexpr size_t kMaxRefusalBytes = 512;
TransactionRecord RefusedCallRecord(const HubContext& context, absl::string_view path,
                                    const absl::StatusOr<ConsumerIdentity>& identity,
                                    const absl::Status& status, std::string request_id,
                                    absl::Time started);

// One configuration's worth of what calls read: built whole from a validated
// configuration, immutable, shared by every call that started under it, and
// replaced as a whole when the configuration is reloaded.
struct HubContext {
  HubSettings settings;  // owns the descriptors the tables below point into
  std::unique_ptr<RouteTable> routes;
  std::unique_ptr<AccessPolicy> policy;
  std::unique_ptr<QuotaTable> quotas;
  std::unique_ptr<PeerTable> peers;  // hubs that may assert their members' calls
  std::unique_ptr<LocalServices> local;  // health, reflection
  // The agencies' names (`agencies`), for ListAgencies and the dashboard.
  std::shared_ptr<const statistics::AgencyDirectory> agencies;
  // Applied upstream when the caller sets no deadline, so no call hangs.
  std::chrono::milliseconds default_deadline{kDefaultDeadlineMs};
  // The longest deadline a call gets (a route may allow more).
  std::chrono::milliseconds max_deadline{kDefaultMaxDeadlineMs};
  HubStats* stats = nullptr;  // the hub's, shared across reloads
  metrics::CallMetrics* metrics = nullptr;  // the hub's, shared across reloads
  // Where transactions go (nullptr: not recorded), and whether a response
  // waits until its record is committed. The hub's, shared across reloads.
  Recorder* recorder = nullptr;
  bool hold_until_recorded = false;
  Worker* worker = nullptr;  // runs blocking local methods; the hub's
  ReplayGuard* replays = nullptr;  // peer assertions seen; the hub's (or own_replays)
  std::unique_ptr<ReplayGuard> own_replays;  // when built without the hub's parts

  const std::string& trust_domain() const { return settings.config.trust_domain(); }
};

// The hub's long-lived parts every configuration shares (owned by the hub).
struct HubParts {
  HubStats* stats = nullptr;
  metrics::CallMetrics* metrics = nullptr;
  Recorder* recorder = nullptr;  // nullptr: recording off
  bool hold_until_recorded = false;
  Worker* worker = nullptr;
  ReplayGuard* replays = nullptr;
};

// Routes, grants, operators and the hub's own methods for `settings`.
absl::StatusOr<std::shared_ptr<const HubContext>> BuildHubContext(HubSettings settings,
                                                                  const HubParts& parts);

// The largest message either leg carries.
uint32_t MaxMessageBytes(const ndxp::config::v1::HubConfig& config);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_HUB_CONTEXT_H_
