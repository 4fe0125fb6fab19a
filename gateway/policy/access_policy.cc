#include "gateway/policy/access_policy.h"

#include "absl/strings/str_cat.h"

namespace ndxp::gateway {

absl::StatusOr<std::unique_ptr<AccessPolicy>> AccessPolicy::Build(
    const ndxp::config::v1::HubConfig& config, const RouteTable& routes) {
  std::unique_ptr<AccessPolicy> policy(new AccessPolicy());
  policy->granted_.resize(routes.methods().size());
  for (const auto& grant : config.grants()) {
    bool matched = false;
    for (const auto& method : routes.methods()) {
      if (method->service->service != grant.service()) continue;
      if (!grant.method().empty() && method->method != grant.method()) continue;
      policy->granted_[method->index].insert(grant.consumer());
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
