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
  }
  counter->fetch_add(1, std::memory_order_relaxed);
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

  std::vector<std::string> routed;
  for (const auto& service : context->routes->services()) routed.push_back(service->service);
  context->local =
      std::make_unique<LocalServices>(context->settings.services.get(), std::move(routed));
  // The operators' statistics, from the recording's store.
  if (absl::Status s = AddStatisticsMethods(
          parts.recorder != nullptr ? &config.recording() : nullptr, context->local.get());
      !s.ok()) {
    return s;
  }
  if (config.limits().default_deadline_ms() != 0) {
    context->default_deadline = std::chrono::milliseconds(config.limits().default_deadline_ms());
  }
  context->stats = parts.stats;
  context->recorder = parts.recorder;
  context->hold_until_recorded = parts.hold_until_recorded;
  context->worker = parts.worker;
  return std::shared_ptr<const HubContext>(std::move(context));
}

}  // namespace ndxp::gateway
