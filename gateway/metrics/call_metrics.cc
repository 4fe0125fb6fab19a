#include "gateway/metrics/call_metrics.h"

#include <algorithm>
#include <tuple>

namespace ndxp::gateway::metrics {

CallMetrics::CallMetrics(int threads) {
  for (int i = 0; i < std::max(threads, 1); ++i) shards_.push_back(std::make_unique<Shard>());
}

void CallMetrics::OnTransaction(int thread, const TransactionRecord& record,
                                std::optional<absl::Duration> connector_time) {
  Shard& shard = *shards_[static_cast<size_t>(thread) % shards_.size()];
  double total = static_cast<double>(record.latency_micros) / 1e6;
  absl::MutexLock lock(&shard.mu);
  TransactionKeyOf<absl::string_view> key{record.consumer, record.provider, record.service,
                                          record.method, record.status_code, record.door};
  auto counted = shard.transactions.find(key);
  if (counted == shard.transactions.end()) {
    counted = shard.transactions
                  .emplace(TransactionKey{record.consumer, record.provider, record.service,
                                          record.method, record.status_code, record.door},
                           0)
                  .first;
  }
  ++counted->second;
  auto method = shard.methods.find(
      MethodKeyOf<absl::string_view>{record.service, record.method, record.door});
  if (method == shard.methods.end()) {
    MethodStats stats;
    stats.service = record.service;
    stats.method = record.method;
    stats.door = record.door;
    method = shard.methods
                 .emplace(MethodKey{record.service, record.method, record.door}, std::move(stats))
                 .first;
  }
  MethodStats& stats = method->second;
  stats.total.Observe(total);
  if (connector_time.has_value()) {
    stats.hub_added.Observe(std::max(0.0, total - absl::ToDoubleSeconds(*connector_time)));
  }
  stats.request_bytes += static_cast<uint64_t>(record.request_bytes);
  stats.response_bytes += static_cast<uint64_t>(record.response_bytes);
}

absl::string_view CallMetrics::Name(HealthCheckResult result) {
  switch (result) {
    case HealthCheckResult::kServing:
      return "serving";
    case HealthCheckResult::kNotServing:
      return "not_serving";
    case HealthCheckResult::kNoAnswer:
      return "no_answer";
    case HealthCheckResult::kNoHealthService:
      return "no_health_service";
  }
  return "unknown";
}

void CallMetrics::OnUpstreamOpened(const std::string& provider, const std::string& endpoint) {
  absl::MutexLock lock(&upstreams_mu_);
  ++upstreams_[{provider, endpoint}].open;
}

void CallMetrics::OnUpstreamClosed(const std::string& provider, const std::string& endpoint) {
  absl::MutexLock lock(&upstreams_mu_);
  --upstreams_[{provider, endpoint}].open;
}

void CallMetrics::OnHealthCheck(const std::string& provider, const std::string& endpoint,
                                HealthCheckResult result) {
  absl::MutexLock lock(&upstreams_mu_);
  UpstreamCount& upstream = upstreams_[{provider, endpoint}];
  upstream.checked = true;
  upstream.serving =
      result == HealthCheckResult::kServing || result == HealthCheckResult::kNoHealthService;
  ++upstream.checks[static_cast<int>(result)];
}

CallMetrics::Snapshot CallMetrics::Read() const {
  absl::flat_hash_map<TransactionKey, uint64_t, KeyHash, KeyEq> transactions;
  absl::flat_hash_map<MethodKey, MethodStats, KeyHash, KeyEq> methods;
  for (const auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    for (const auto& [key, count] : shard->transactions) transactions[key] += count;
    for (const auto& [key, stats] : shard->methods) {
      auto [it, inserted] = methods.try_emplace(key, stats);
      if (inserted) continue;
      it->second.total.Merge(stats.total);
      it->second.hub_added.Merge(stats.hub_added);
      it->second.request_bytes += stats.request_bytes;
      it->second.response_bytes += stats.response_bytes;
    }
  }
  Snapshot snapshot;
  for (auto& [key, count] : transactions) {
    snapshot.transactions.push_back(
        {key.consumer, key.provider, key.service, key.method, key.status_code, key.door, count});
  }
  for (auto& [key, stats] : methods) snapshot.methods.push_back(std::move(stats));
  {
    absl::MutexLock lock(&upstreams_mu_);
    for (const auto& [key, upstream] : upstreams_) {
      snapshot.upstreams.push_back(upstream);
      snapshot.upstreams.back().provider = key.first;
      snapshot.upstreams.back().endpoint = key.second;
    }
  }
  // By the labels as /metrics shows them: a door by its name.
  auto labels = [](const TransactionCount& t) {
    return std::make_tuple(absl::string_view(t.consumer), absl::string_view(t.provider),
                           absl::string_view(t.service), absl::string_view(t.method),
                           t.status_code, DoorName(t.door));
  };
  std::sort(snapshot.transactions.begin(), snapshot.transactions.end(),
            [&](const auto& a, const auto& b) { return labels(a) < labels(b); });
  std::sort(snapshot.methods.begin(), snapshot.methods.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(absl::string_view(a.service), absl::string_view(a.method),
                           DoorName(a.door)) <
           std::make_tuple(absl::string_view(b.service), absl::string_view(b.method),
                           DoorName(b.door));
  });
  std::sort(snapshot.upstreams.begin(), snapshot.upstreams.end(), [](const auto& a, const auto& b) {
    return std::tie(a.provider, a.endpoint) < std::tie(b.provider, b.endpoint);
  });
  return snapshot;
}

}  // namespace ndxp::gateway::metrics
