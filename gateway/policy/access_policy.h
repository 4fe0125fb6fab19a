// Who may call what: deny by default, grants per agency or agency/subsystem,
// per service or per method (X-Road's access-rights model).
#ifndef NDXP_GATEWAY_POLICY_ACCESS_POLICY_H_
#define NDXP_GATEWAY_POLICY_ACCESS_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
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

  // True if `consumer` (by agency or by agency/subsystem), or every member,
  // was granted `method`.
  bool Allows(const ConsumerIdentity& consumer, const MethodRoute& method) const {
    return granted_[method.index].Allows(consumer);
  }

  // How long a call of `consumer` to `method` stays hidden from the person
  // it is about: the longest defer_subject_notice of the grants letting
  // `consumer` call `method` (zero: none).
  absl::Duration NoticeDeferral(const ConsumerIdentity& consumer,
                                const MethodRoute& method) const {
    return granted_[method.index].NoticeDeferral(consumer);
  }

  // The same for a method the hub answers itself ("/grpc.health.v1.Health/Check";
  // common/protocol/hub_services.h). Operators-only methods are not granted:
  // the operators are their grant.
  bool AllowsHubMethod(const ConsumerIdentity& consumer, absl::string_view full_method) const {
    auto it = hub_methods_.find(full_method);
    return it != hub_methods_.end() && it->second.Allows(consumer);
  }

  // Who was granted `method`, for the catalogue: "*" (every member) first
  // when every member was, then agency codes and agency/subsystems, sorted.
  std::vector<std::string> GrantedTo(const MethodRoute& method) const;

  // True if `consumer` is one of the configured operators.
  bool IsOperator(const ConsumerIdentity& consumer) const {
    return operators_.contains(consumer.agency) ||
           operators_.contains(consumer.agency_subsystem);
  }

 private:
  AccessPolicy() = default;

  // Who was granted one method: "agency" and "agency/subsystem" entries, or
  // every member.
  struct Granted {
    absl::flat_hash_set<std::string> consumers;
    bool every_member = false;
    // Grant entries ("*", agency, agency/subsystem) with a deferred notice,
    // the longest per entry; empty for most methods (no lookup per call).
    absl::flat_hash_map<std::string, absl::Duration> deferrals;
    void Add(const std::string& consumer, absl::Duration deferral);
    bool Allows(const ConsumerIdentity& consumer) const {
      return every_member || consumers.contains(consumer.agency) ||
             consumers.contains(consumer.agency_subsystem);
    }
    absl::Duration NoticeDeferral(const ConsumerIdentity& consumer) const;
  };
  // Indexed by MethodRoute::index.
  std::vector<Granted> granted_;
  // By full method name, "/grpc.health.v1.Health/Check".
  absl::flat_hash_map<std::string, Granted> hub_methods_;
  absl::flat_hash_set<std::string> operators_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_POLICY_ACCESS_POLICY_H_
