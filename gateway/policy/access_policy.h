// Who may call what: deny by default, grants per agency or agency/subsystem,
// per service or per method (X-Road's access-rights model).
#ifndef NDXP_GATEWAY_POLICY_ACCESS_POLICY_H_
#define NDXP_GATEWAY_POLICY_ACCESS_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/identity/spiffe_id.h"
#include "gateway/routing/route_table.h"
#include "ndxp/config/v1/hub.pb.h"

namespace ndxp::gateway {

// Grants compiled into one consumer set per routed method, so a decision is
// at most two hash lookups and no allocation. Immutable after Build; safe
// for concurrent use.
class AccessPolicy {
 public:
  static absl::StatusOr<std::unique_ptr<AccessPolicy>> Build(
      const ndxp::config::v1::HubConfig& config, const RouteTable& routes);

  // True if `consumer` (by agency or by agency/subsystem) was granted `method`.
  bool Allows(const ConsumerIdentity& consumer, const MethodRoute& method) const {
    const auto& granted = granted_[method.index];
    return granted.contains(consumer.agency) || granted.contains(consumer.agency_subsystem);
  }

  // True if `consumer` is one of the configured operators.
  bool IsOperator(const ConsumerIdentity& consumer) const {
    return operators_.contains(consumer.agency) ||
           operators_.contains(consumer.agency_subsystem);
  }

 private:
  AccessPolicy() = default;

  // Indexed by MethodRoute::index: "agency" and "agency/subsystem" entries.
  std::vector<absl::flat_hash_set<std::string>> granted_;
  absl::flat_hash_set<std::string> operators_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_POLICY_ACCESS_POLICY_H_
