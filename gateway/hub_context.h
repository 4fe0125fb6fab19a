// What the transport reads on every call (one configuration's routes,
// grants and hub-local methods), and the counters it keeps.
#ifndef NDXP_GATEWAY_HUB_CONTEXT_H_
#define NDXP_GATEWAY_HUB_CONTEXT_H_

#include <atomic>
#include <chrono>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gateway/admin/worker.h"
#include "gateway/admission/admission.h"
#include "gateway/admission/admit_call.h"
#include "gateway/call/call_kinds.h"
#include "gateway/call/transaction_record.h"
#include "gateway/config/hub_config.h"
#include "gateway/json/rest_mapping.h"
#include "gateway/json/transcoder.h"
#include "gateway/local/local_services.h"
#include "gateway/metrics/call_metrics.h"
#include "gateway/metrics/connection_limits.h"
#include "gateway/peering/peers.h"
#include "gateway/policy/access_policy.h"
#include "gateway/policy/quotas.h"
#include "gateway/recording/recorder.h"
#include "gateway/routing/route_table.h"
#include "gateway/statistics/agency_directory.h"
#include "gateway/subjects/subject_keys.h"

namespace ndxp::gateway {

// Bytes of connectors' answers the hub holds for callers that have not read
// them yet. Counted per transport thread (a shard written by its own thread
// only: a relaxed load and store, no read-modify-write shared by threads),
// summed when /metrics is read; and a coarse total, which a thread brings up
// to date only when its own count has moved by kStep since it last did, for
// the global bound (limits.max_held_bytes): within threads x kStep of the sum.
//
// Thread-safety: Add(shard, ...) on the thread that owns `shard` only
// (threads past kShards share one atomic); Sum() and Coarse() anywhere.
class HeldResponseBytes {
 public:
  static constexpr int kShards = 64;
  static constexpr int64_t kStep = 64 * 1024;

  void Add(int shard, int64_t delta) {
    if (shard < 0 || shard >= kShards) {
      overflow_.fetch_add(delta, std::memory_order_relaxed);
      coarse_.fetch_add(delta, std::memory_order_relaxed);
      return;
    }
    Shard& s = shards_[shard];
    const int64_t bytes = s.bytes.load(std::memory_order_relaxed) + delta;
    s.bytes.store(bytes, std::memory_order_relaxed);
    const int64_t moved = bytes - s.published;
    if (moved >= kStep || moved <= -kStep || (bytes == 0 && moved != 0)) {
      coarse_.fetch_add(moved, std::memory_order_relaxed);
      s.published = bytes;
    }
  }
  int64_t Sum() const {
    int64_t sum = overflow_.load(std::memory_order_relaxed);
    for (const Shard& s : shards_) sum += s.bytes.load(std::memory_order_relaxed);
    return sum;
  }
  int64_t Coarse() const { return coarse_.load(std::memory_order_relaxed); }

 private:
  struct alignas(64) Shard {
    std::atomic<int64_t> bytes{0};
    int64_t published = 0;  // what of `bytes` coarse_ has
  };
  Shard shards_[kShards];
  std::atomic<int64_t> overflow_{0};
  std::atomic<int64_t> coarse_{0};
};

// Who answered a grpc.health.v1.Health call (Check or Watch). Health probes
// are counted apart, never as transactions: the growth figures count routed
// calls only, and a load balancer probing every second is no data sharing.
enum class HealthProbeAnswer {
  kHub,          // the hub itself, or a service it does not route: SERVING
  kConnector,    // a routed service's connector answered the check
  kUnreachable,  // the hub could not reach that connector: NOT_SERVING
};
inline constexpr absl::string_view kHealthProbeAnswerNames[] = {"hub", "connector",
                                                                "unreachable"};
inline constexpr size_t kHealthProbeAnswers = std::size(kHealthProbeAnswerNames);

// The hub's admission counters, in one place. Incremented with relaxed atomics.
// Slots for ndxp_http1_refusals_total: one per H1Refusal (checked where
// they are counted, gateway/transport/h1_downstream.cc).
inline constexpr size_t kHttp1RefusalSlots = 24;

struct HubStats {
  std::atomic<uint64_t> forwarded{0};  // calls handed to a connector
  // Calls the hub answered itself, by kind (index: Refusal; kNone unused).
  std::atomic<uint64_t> refusals[kRefusalKinds] = {};
  // Failed TLS handshakes by HandshakeFailureReason (no certificate, unknown
  // CA, expired, revoked, CRL expired, other).
  std::atomic<uint64_t> handshake_failures[6] = {};
  std::atomic<uint64_t> bad_identity{0};  // handshake passed, no valid SPIFFE identity
  // Bytes of connectors' answers the hub holds for callers that have not
  // read them yet (a gauge; bounded per stream by its window, per caller
  // connection and in all by limits).
  HeldResponseBytes held_response_bytes;
  // Limits a connection ran into, by ConnectionLimit (kConnectionLimits).
  std::atomic<uint64_t> connection_limits[kConnectionLimitCount] = {};
  // Health checks and watches admitted, by HealthProbeAnswer.
  std::atomic<uint64_t> health_probes[kHealthProbeAnswers] = {};
  // HTTP/1.1 requests the hub refused, by H1Refusal (gateway/transport/h1_codec.h).
  std::atomic<uint64_t> http1_refusals[kHttp1RefusalSlots] = {};
};

inline void CountHealthProbe(HealthProbeAnswer answer, HubStats* stats) {
  stats->health_probes[static_cast<size_t>(answer)].fetch_add(1, std::memory_order_relaxed);
}

// Counts one refusal, as answered, in `stats`.
inline void CountRefusal(Refusal kind, HubStats* stats) {
  if (kind != Refusal::kNone) {
    stats->refusals[static_cast<size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
  }
}

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
  // The JSON door's conversions over the routed services' descriptors.
  std::unique_ptr<json::JsonTranscoder> json;
  // The REST door's google.api.http rules of the routed methods.
  std::unique_ptr<json::RestMapping> rest;
  // The agencies' names (`agencies`), for ListAgencies and the dashboard.
  std::shared_ptr<const statistics::AgencyDirectory> agencies;
  // The routed services' OpenAPI 3.1 document (gateway/json/openapi.h),
  // built once with the configuration: the admin listener's /openapi.json,
  // and what the JSON door serves to members.
  std::string openapi;
  // The keys calls' data subjects are kept under (data_subjects
  // .subject_keys; null without data_subjects: no subject is recorded).
  std::unique_ptr<const subjects::SubjectKeys> subject_keys;
  HubStats* stats = nullptr;  // the hub's, shared across reloads
  metrics::CallMetrics* metrics = nullptr;  // the hub's, shared across reloads
  // Where transactions go (nullptr: not recorded), and whether a response
  // waits until its record is committed. The hub's, shared across reloads.
  Recorder* recorder = nullptr;
  bool hold_until_recorded = false;
  Worker* worker = nullptr;  // runs blocking local methods; the hub's
  ReplayGuard* replays = nullptr;  // peer assertions seen; the hub's (or own_replays)
  std::unique_ptr<ReplayGuard> own_replays;  // when built without the hub's parts
  // What every call's admission decides against: the tables above, the
  // replay guard, the deadlines (limits.default_deadline_ms, applied when a
  // caller sets none, so no call hangs; limits.max_deadline_ms, unless a
  // route allows more).
  AdmissionContext admission;

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
