#include "gateway/policy/access_policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/protocol/hub_services.h"

namespace ndxp::gateway {

void AccessPolicy::Granted::Add(const std::string& consumer, absl::Duration deferral) {
  if (consumer == protocol::kEveryMember) {
    every_member = true;
  } else {
    consumers.insert(consumer);
  }
  if (deferral > absl::ZeroDuration()) {
    absl::Duration& longest = deferrals[consumer];
    longest = std::max(longest, deferral);
  }
}

absl::Duration AccessPolicy::Granted::NoticeDeferral(const ConsumerIdentity& consumer) const {
  absl::Duration longest = absl::ZeroDuration();
  if (deferrals.empty()) return longest;
  for (absl::string_view entry :
       {absl::string_view(protocol::kEveryMember), absl::string_view(consumer.agency),
        absl::string_view(consumer.agency_subsystem)}) {
    if (auto it = deferrals.find(entry); it != deferrals.end()) {
      longest = std::max(longest, it->second);
    }
  }
  return longest;
}

std::vector<std::string> AccessPolicy::GrantedTo(const MethodRoute& method) const {
  const Granted& granted = granted_[method.index];
  std::vector<std::string> consumers(granted.consumers.begin(), granted.consumers.end());
  std::sort(consumers.begin(), consumers.end());
  if (granted.every_member) consumers.insert(consumers.begin(), protocol::kEveryMember);
  return consumers;
}

absl::StatusOr<std::unique_ptr<AccessPolicy>> AccessPolicy::Build(
    const ndxp::config::v1::HubConfig& config, const RouteTable& routes) {
  std::unique_ptr<AccessPolicy> policy(new AccessPolicy());
  policy->granted_.resize(routes.methods().size());
  for (const auto& grant : config.grants()) {
    const absl::Duration deferral =
        absl::Seconds(grant.defer_subject_notice().seconds()) +
        absl::Nanoseconds(grant.defer_subject_notice().nanos());
    if (deferral < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "grant to ", grant.consumer(), " of ", grant.service(),
          ": defer_subject_notice is negative"));
    }
    if (const protocol::HubService* own = protocol::FindHubService(grant.service())) {
      if (deferral > absl::ZeroDuration()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "grant to ", grant.consumer(), " of ", grant.service(),
            ": defer_subject_notice applies to routed services, not the hub's own"));
      }
      for (const char* method : own->methods) {
        if (method == nullptr || (!grant.method().empty() && grant.method() != method)) continue;
        policy->hub_methods_[absl::StrCat("/", own->service, "/", method)].Add(
            grant.consumer(), absl::ZeroDuration());
      }
      continue;
    }
    bool matched = false;
    for (const auto& method : routes.methods()) {
      if (method->service->service != grant.service()) continue;
      if (!grant.method().empty() && method->method != grant.method()) continue;
      policy->granted_[method->index].Add(grant.consumer(), deferral);
      matched = true;
    }
    if (!matched) {
      return absl::InvalidArgumentError(absl::StrCat(
          "grant to ", grant.consumer(), " names no routed method: ", grant.service(),
          grant.method().empty() ? "" : "/", grant.method()));
    }
  }
  policy->operators_.insert(config.operators().begin(), config.operators().end());
  return policy;
}

}  // namespace ndxp::gateway
