// The hub's live counters of forwarded calls, for /metrics and the
// dashboard: transactions by consumer, provider, service, method, status and
// door; per method and door the latency (total, and what the hub added to
// the connector's time) and the payload bytes each way; per connector endpoint the open
// connections and what its active health checks found.
//
// Counting is cheap on the hot path: each transport thread has its own shard
// with its own lock, taken by that thread once per call and by a reader
// (a scrape, a few times a minute) to copy it, so no lock is shared between
// transport threads. Read() merges the shards.
//
// Example:
//   CallMetrics metrics(/*threads=*/2);
//   metrics.OnTransaction(thread_index, record, /*connector_time=*/absl::Milliseconds(3));
//   CallMetrics::Snapshot now = metrics.Read();
//
// Thread-safe.
#ifndef NDXP_GATEWAY_METRICS_CALL_METRICS_H_
#define NDXP_GATEWAY_METRICS_CALL_METRICS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/call/transaction_record.h"
#include "gateway/metrics/histogram.h"

namespace ndxp::gateway::metrics {

class CallMetrics {
 public:
  struct TransactionCount {
    std::string consumer, provider, service, method;
    int status_code = 0;
    Door door = Door::kGrpc;
    uint64_t count = 0;
  };
  struct MethodStats {
    std::string service, method;
    Door door = Door::kGrpc;
    Histogram total{kLatencyBuckets};      // arrival to outcome
    Histogram hub_added{kLatencyBuckets};  // total minus the connector's time
    uint64_t request_bytes = 0;            // message payload, caller -> connector
    uint64_t response_bytes = 0;           // message payload, connector -> caller
  };
  // How an active health check of an endpoint (grpc.health.v1) ended.
  enum class HealthCheckResult {
    kServing,          // answered SERVING
    kNotServing,       // answered NOT_SERVING, another status or an error
    kNoAnswer,         // no connection, or no answer within the timeout
    kNoHealthService,  // UNIMPLEMENTED: taken as serving (gRFC A17)
  };
  static constexpr int kHealthCheckResults = 4;
  // "serving", "not_serving", "no_answer", "no_health_service".
  static absl::string_view Name(HealthCheckResult result);

  struct UpstreamCount {
    std::string provider, endpoint;
    int64_t open = 0;  // connections with a completed handshake
    bool checked = false;  // an active health check has ended
    bool serving = false;  // the last one lets calls go there
    uint64_t checks[kHealthCheckResults] = {};  // by HealthCheckResult
  };
  // Sorted by their labels.
  struct Snapshot {
    std::vector<TransactionCount> transactions;
    std::vector<MethodStats> methods;
    std::vector<UpstreamCount> upstreams;
  };

  // `threads`: the transport's loop threads (their indexes are shards).
  explicit CallMetrics(int threads);
  CallMetrics(const CallMetrics&) = delete;
  CallMetrics& operator=(const CallMetrics&) = delete;

  // A transaction's outcome is known (record filled in). On transport thread
  // `thread`. `connector_time`: from the request's submission to the
  // connector's final answer; nullopt when the hub made the outcome itself
  // (connector unreachable, deadline, a bad message), and then no hub-added
  // latency is observed.
  void OnTransaction(int thread, const TransactionRecord& record,
                     std::optional<absl::Duration> connector_time);

  // A connection to a connector completed its handshake / closed after it.
  void OnUpstreamOpened(const std::string& provider, const std::string& endpoint);
  void OnUpstreamClosed(const std::string& provider, const std::string& endpoint);
  // An active health check of the endpoint ended (a few per endpoint and
  // interval, not per call).
  void OnHealthCheck(const std::string& provider, const std::string& endpoint,
                     HealthCheckResult result);

  Snapshot Read() const;

 private:
  // (consumer, provider, service, method, status, door) and (service,
  // method, door), looked up by views so that counting a call allocates
  // nothing.
  template <typename String>
  struct TransactionKeyOf {
    String consumer, provider, service, method;
    int status_code;
    Door door;
  };
  template <typename String>
  struct MethodKeyOf {
    String service, method;
    Door door;
  };
  using TransactionKey = TransactionKeyOf<std::string>;
  using MethodKey = MethodKeyOf<std::string>;
  struct KeyHash {
    using is_transparent = void;
    template <typename String>
    size_t operator()(const TransactionKeyOf<String>& k) const {
      return absl::Hash<std::tuple<absl::string_view, absl::string_view, absl::string_view,
                                   absl::string_view, int, Door>>{}(
          {k.consumer, k.provider, k.service, k.method, k.status_code, k.door});
    }
    template <typename String>
    size_t operator()(const MethodKeyOf<String>& k) const {
      return absl::Hash<std::tuple<absl::string_view, absl::string_view, Door>>{}(
          {k.service, k.method, k.door});
    }
  };

  struct KeyEq {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const TransactionKeyOf<A>& a, const TransactionKeyOf<B>& b) const {
      return a.status_code == b.status_code && a.door == b.door &&
             absl::string_view(a.method) == b.method && absl::string_view(a.service) == b.service &&
             absl::string_view(a.consumer) == b.consumer &&
             absl::string_view(a.provider) == b.provider;
    }
    template <typename A, typename B>
    bool operator()(const MethodKeyOf<A>& a, const MethodKeyOf<B>& b) const {
      return a.door == b.door && absl::string_view(a.method) == b.method &&
             absl::string_view(a.service) == b.service;
    }
  };

  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<TransactionKey, uint64_t, KeyHash, KeyEq> transactions
        ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<MethodKey, MethodStats, KeyHash, KeyEq> methods ABSL_GUARDED_BY(mu);
  };

  std::vector<std::unique_ptr<Shard>> shards_;

  // Connections open and close, and health checks end, rarely (not per
  // call): one lock. By (provider, endpoint); the labels are the key's.
  mutable absl::Mutex upstreams_mu_;
  absl::flat_hash_map<std::pair<std::string, std::string>, UpstreamCount> upstreams_
      ABSL_GUARDED_BY(upstreams_mu_);
};

}  // namespace ndxp::gateway::metrics

#endif  // NDXP_GATEWAY_METRICS_CALL_METRICS_H_
