// Which connector serves a full gRPC method name, and what the hub must know
// about that method.
#ifndef NDXP_GATEWAY_ROUTING_ROUTE_TABLE_H_
#define NDXP_GATEWAY_ROUTING_ROUTE_TABLE_H_

#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/subjects/subject_extractor.h"
#include "ndxp/config/v1/hub.pb.h"

namespace ndxp::gateway {

// A routed service: the agency that owns it and where its connector (or the
// peer hub that reaches it) listens.
struct ServiceRoute {
  std::string service;   // "ndxp.residents.v1.ResidentRegistry"
  std::string provider;  // agency code of the data owner
  // The SPIFFE ID of the peer hub the endpoints belong to, "" when they
  // are the provider's connector.
  std::string peer_hub;
  // Where the connector answers: `endpoint`, then its replicas (host:port).
  std::vector<std::string> endpoints;
  // "provider@endpoint" ("peer_hub@endpoint") for each: the transport's key
  // of its connection.
  std::vector<std::string> upstream_keys;
  uint32_t channels;     // long-lived connections to spread calls over
  // The longest deadline of its calls, when the route allows more than the
  // hub's limit (zero: the hub's).
  absl::Duration max_deadline;
  size_t index;          // position in RouteTable::services()
};

// One method of a routed service.
struct MethodRoute {
  std::string full_method;  // "/ndxp.residents.v1.ResidentRegistry/GetCitizen"
  absl::string_view method;  // "GetCitizen", a view into full_method
  const ServiceRoute* service;
  bool personal_data;  // x-ndxp-purpose required
  bool unary;          // neither side streams: the proxy's fast path
  size_t index;        // dense id, for per-method tables elsewhere
  // The request's fields marked (ndxp.v1.data_subject): whom a call is
  // about. Null when it has none.
  std::unique_ptr<const subjects::SubjectExtractor> subjects;
};

// Immutable after Build; safe for concurrent lookups. Owns its routes.
class RouteTable {
 public:
  // Every method of every configured route. The config must have been
  // validated by LoadHubConfig (routes name services of `services`).
  static absl::StatusOr<std::unique_ptr<RouteTable>> Build(
      const ndxp::config::v1::HubConfig& config,
      const google::protobuf::DescriptorPool& services);

  // The route of "/package.Service/Method", or nullptr (UNIMPLEMENTED).
  const MethodRoute* Find(absl::string_view full_method) const {
    auto it = by_name_.find(full_method);
    return it == by_name_.end() ? nullptr : it->second;
  }

  const std::vector<std::unique_ptr<ServiceRoute>>& services() const { return services_; }
  const std::vector<std::unique_ptr<MethodRoute>>& methods() const { return methods_; }

 private:
  RouteTable() = default;

  std::vector<std::unique_ptr<ServiceRoute>> services_;
  std::vector<std::unique_ptr<MethodRoute>> methods_;
  absl::flat_hash_map<absl::string_view, const MethodRoute*> by_name_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_ROUTING_ROUTE_TABLE_H_
