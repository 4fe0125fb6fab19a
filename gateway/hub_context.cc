#include "gateway/hub_context.h"

#include "absl/container/flat_hash_map.h"
#include "gateway/admin/statistics_methods.h"

namespace ndxp::gateway {

void CountAdmission(const AdmissionDecision& decision, HubStats* stats) {
  std::atomic<uint64_t>* counter = &stats->forwarded;
  switch (decision.refusal) {
    case Refusal::kNone:
      if (decision.local != nullptr) return;
      break;
    case Refusal::kUnauthenticated: counter = &stats->unauthenticated; break;
    case Refusal::kBadHeader: counter = &stats->bad_header; break;
    case Refusal::kUnimplemented: counter = &stats->unimplemented; break;
    case Refusal::kPermissionDenied: counter = &stats->permission_denied; break;
    case Refusal::kBadPurpose: counter = &stats->missing_purpose; break;
    case Refusal::kQuota: counter = &stats->over_quota; break;
    case Refusal::kHeadersTooLarge: counter = &stats->headers_too_large; break;
  }
  counter->fetch_add(1, std::memory_order_relaxed);
}

TransactionRecord RefusedCallRecord(const HubContext& context, absl::string_view path,
                                    const absl::StatusOr<ConsumerIdentity>& identity,
                                    const absl::Status& status, std::string request_id,
                                    absl::Time started) {
  TransactionRecord record;
  record.time_micros = absl::ToUnixMicros(started);
  record.latency_micros = absl::ToInt64Microseconds(absl::Now() - started);
  record.request_id = std::move(request_id);
  record.status_code = static_cast<int>(status.code());
  if (identity.ok()) record.consumer = std::string(identity->agency_subsystem);
  if (const MethodRoute* route = context.routes->Find(path)) {
    record.provider = route->service->provider;
    record.service = route->service->service;
    record.method = std::string(route->method);
  } else if (context.local != nullptr && context.local->Find(path) != nullptr) {
    // "/package.Service/Method", checked by the lookup.
    const size_t slash = path.rfind('/');
    record.service = std::string(path.substr(1, slash - 1));
    record.method = std::string(path.substr(slash + 1));
  }
  absl::string_view reason = status.message();
  record.refusal = reason.empty() ? absl::StatusCodeToString(status.code())
                                  : std::string(reason.substr(0, kMaxRefusalBytes));
  return record;
}

uint32_t MaxMessageBytes(const ndxp::config::v1::HubConfig& config) {
  return config.limits().max_message_bytes() == 0 ? kDefaultMaxMessageBytes
                                                  : config.limits().max_message_bytes();
}

absl::StatusOr<std::shared_ptr<const HubContext>> BuildHubContext(HubSettings settings,
                                                                  const HubParts& parts) {
  auto context = std::make_shared<HubContext>();
  context->settings = std::move(settings);
  const auto& config = context->settings.config;

  absl::StatusOr<std::unique_ptr<RouteTable>> routes =
      RouteTable::Build(config, *context->settings.services);
  if (!routes.ok()) return routes.status();
  context->routes = *std::move(routes);
  absl::StatusOr<std::unique_ptr<AccessPolicy>> policy =
      AccessPolicy::Build(config, *context->routes);
  if (!policy.ok()) return policy.status();
  context->policy = *std::move(policy);
  context->quotas = QuotaTable::Build(config, *context->routes);
  absl::StatusOr<std::unique_ptr<PeerTable>> peers = PeerTable::Build(config);
  if (!peers.ok()) return peers.status();
  context->peers = *std::move(peers);

  std::vector<std::string> routed;
  for (const auto& service : context->routes->services()) routed.push_back(service->service);
  context->local =
      std::make_unique<LocalServices>(context->settings.services.get(), std::move(routed));
  // The operators' statistics, from the recording's store, and the
  // agencies' names.
  context->agencies = AgencyDirectoryOf(config);
  if (absl::Status s = AddStatisticsMethods(
          parts.recorder != nullptr ? &config.recording() : nullptr, context->agencies,
          context->local.get());
      !s.ok()) {
    return s;
  }
  if (config.limits().default_deadline_ms() != 0) {
    context->default_deadline = std::chrono::milliseconds(config.limits().default_deadline_ms());
  }
  if (config.limits().max_deadline_ms() != 0) {
    context->max_deadline = std::chrono::milliseconds(config.limits().max_deadline_ms());
  }
  context->stats = parts.stats;
  context->metrics = parts.metrics;
  context->recorder = parts.recorder;
  context->hold_until_recorded = parts.hold_until_recorded;
  context->worker = parts.worker;
  if (parts.replays == nullptr) context->own_replays = std::make_unique<ReplayGuard>();
  context->replays = parts.replays != nullptr ? parts.replays : context->own_replays.get();
  return std::shared_ptr<const HubContext>(std::move(context));
}

}  // namespace ndxp::gateway
