#include "gateway/routing/route_table.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "gateway/config/hub_config.h"

namespace ndxp::gateway {

absl::StatusOr<std::unique_ptr<RouteTable>> RouteTable::Build(
    const ndxp::config::v1::HubConfig& config,
    const google::protobuf::DescriptorPool& services) {
  std::unique_ptr<RouteTable> table(new RouteTable());
  for (const auto& route : config.routes()) {
    const google::protobuf::ServiceDescriptor* descriptor =
        services.FindServiceByName(route.service());
    if (descriptor == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("service ", route.service(), " has no descriptor"));
    }
    auto service = std::make_unique<ServiceRoute>();
    service->service = route.service();
    service->provider = route.provider();
    service->peer_hub = route.peer_hub();
    service->endpoints.push_back(route.endpoint());
    service->endpoints.insert(service->endpoints.end(), route.replicas().begin(),
                              route.replicas().end());
    for (const std::string& endpoint : service->endpoints) {
      // Routes to one peer hub share its connections, whatever the provider.
      service->upstream_keys.push_back(absl::StrCat(
          route.peer_hub().empty() ? route.provider() : route.peer_hub(), "@", endpoint));
    }
    service->channels = route.channels() == 0 ? kDefaultUpstreamChannels : route.channels();
    service->max_deadline = absl::Milliseconds(route.max_deadline_ms());
    service->index = table->services_.size();

    absl::flat_hash_set<std::string> personal(route.personal_data_methods().begin(),
                                              route.personal_data_methods().end());
    for (int i = 0; i < descriptor->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* m = descriptor->method(i);
      auto method = std::make_unique<MethodRoute>();
      method->full_method = absl::StrCat("/", route.service(), "/", m->name());
      method->method = absl::string_view(method->full_method)
                           .substr(method->full_method.size() - m->name().size());
      method->service = service.get();
      method->personal_data = personal.contains(m->name());
      method->unary = !m->client_streaming() && !m->server_streaming();
      method->index = table->methods_.size();
      subjects::SubjectExtractor subject_fields =
          subjects::SubjectExtractor::ForRequest(*m->input_type());
      if (subject_fields.incomplete()) {
        // A call could name a person the hub does not see: not served.
        return absl::InvalidArgumentError(absl::StrCat(
            method->full_method, ": its request marks (ndxp.v1.data_subject) fields deeper "
            "than the hub reads"));
      }
      if (!subject_fields.empty()) {
        method->subjects =
            std::make_unique<const subjects::SubjectExtractor>(std::move(subject_fields));
      }
      table->by_name_[method->full_method] = method.get();
      table->methods_.push_back(std::move(method));
    }
    table->services_.push_back(std::move(service));
  }
  return table;
}

}  // namespace ndxp::gateway
