#include "gateway/admin_http/catalogue.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/protocol/hub_services.h"
#include "common/text/markup.h"
#include "gateway/admin_http/page_style.h"
#include "gateway/json/rest_mapping.h"
#include "google/api/http.pb.h"

namespace ndxp::gateway::admin_http {
namespace {

using statistics::NameLanguage;

constexpr char kCatalogueStyle[] = R"(
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size:12px; }
ul.plain { list-style:none; margin:0; padding:0; }
ul.plain li { margin:1px 0; }
td { vertical-align:top; }
header a, footer a { color:inherit; }
)";

// "GET /v1/citizens/{personal_id}", or "" for a rule without a pattern.
std::string RestLine(const google::api::HttpRule& rule) {
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      return absl::StrCat("GET ", rule.get());
    case google::api::HttpRule::kPut:
      return absl::StrCat("PUT ", rule.put());
    case google::api::HttpRule::kPost:
      return absl::StrCat("POST ", rule.post());
    case google::api::HttpRule::kDelete:
      return absl::StrCat("DELETE ", rule.delete_());
    case google::api::HttpRule::kPatch:
      return absl::StrCat("PATCH ", rule.patch());
    case google::api::HttpRule::kCustom:
      return absl::StrCat(absl::AsciiStrToUpper(rule.custom().kind()), " ", rule.custom().path());
    default:
      return "";
  }
}

const char* KindOf(const google::protobuf::MethodDescriptor& method) {
  if (method.client_streaming() && method.server_streaming()) return "bidirectional stream";
  if (method.client_streaming()) return "client stream";
  if (method.server_streaming()) return "server stream";
  return "unary";
}

// The JSON endpoints of a method, as the OpenAPI document has them: Connect
// but for client streams, REST for unary methods.
std::string Endpoints(const MethodRoute& route, const google::protobuf::MethodDescriptor* method) {
  if (method == nullptr || method->client_streaming()) {
    return "<span class=\"muted\">gRPC only</span>";
  }
  std::string html = absl::StrCat("<ul class=\"plain\"><li><code>POST ",
                                  EscapeXml(route.full_method), "</code></li>");
  if (!method->server_streaming()) {
    if (std::unique_ptr<google::api::HttpRule> rule = json::HttpRuleOf(*method)) {
      std::vector<const google::api::HttpRule*> rules = {rule.get()};
      for (const auto& binding : rule->additional_bindings()) rules.push_back(&binding);
      for (const google::api::HttpRule* each : rules) {
        std::string line = RestLine(*each);
        if (!line.empty()) absl::StrAppend(&html, "<li><code>", EscapeXml(line), "</code></li>");
      }
    }
  }
  return html + "</ul>";
}

std::string Granted(const std::vector<std::string>& consumers,
                    const statistics::AgencyDirectory& agencies) {
  if (consumers.empty()) return "<span class=\"muted\">nobody</span>";
  std::string html = "<ul class=\"plain\">";
  for (const std::string& consumer : consumers) {
    if (consumer == protocol::kEveryMember) {
      absl::StrAppend(&html, "<li data-member=\"*\"><strong>every member</strong></li>");
      continue;
    }
    const std::string name = agencies.Name(consumer, NameLanguage::kEnglish);
    absl::StrAppend(&html, "<li data-member=\"", EscapeXml(consumer), "\">", EscapeXml(consumer),
                    name.empty() ? ""
                                 : absl::StrCat(" <span class=\"muted\">", EscapeXml(name),
                                                "</span>"),
                    "</li>");
  }
  return html + "</ul>";
}

// The first paragraph of a declaration's comment in its .proto.
template <typename DescriptorT>
std::string Summary(const DescriptorT& descriptor) {
  google::protobuf::SourceLocation location;
  if (!descriptor.GetSourceLocation(&location)) return "";
  std::string text = location.leading_comments;
  text = text.substr(0, text.find("\n\n"));
  absl::StripAsciiWhitespace(&text);
  return text;
}

}  // namespace

std::string RenderCatalogue(const HubContext& context) {
  const statistics::AgencyDirectory& agencies = *context.agencies;
  std::vector<const ServiceRoute*> services;
  for (const auto& service : context.routes->services()) services.push_back(service.get());
  std::sort(services.begin(), services.end(),
            [](const ServiceRoute* a, const ServiceRoute* b) { return a->service < b->service; });
  std::vector<std::vector<const MethodRoute*>> methods(context.routes->services().size());
  for (const auto& method : context.routes->methods()) {
    methods[method->service->index].push_back(method.get());
  }

  std::string body;
  size_t method_count = 0, personal_count = 0;
  for (const ServiceRoute* service : services) {
    const google::protobuf::ServiceDescriptor* descriptor =
        context.settings.services->FindServiceByName(service->service);
    const std::string provider_name = agencies.Name(service->provider, NameLanguage::kEnglish);
    std::string rows;
    for (const MethodRoute* route : methods[service->index]) {
      const google::protobuf::MethodDescriptor* method =
          descriptor != nullptr ? descriptor->FindMethodByName(std::string(route->method))
                                : nullptr;
      ++method_count;
      personal_count += route->personal_data ? 1 : 0;
      const std::string summary = method != nullptr ? Summary(*method) : "";
      absl::StrAppend(
          &rows, "<tr data-method=\"", EscapeXml(route->method), "\"><td><strong>",
          EscapeXml(route->method), "</strong>",
          summary.empty() ? ""
                          : absl::StrCat("<br><span class=\"muted\">", EscapeXml(summary),
                                         "</span>"),
          "</td><td>", method != nullptr ? KindOf(*method) : "", "</td><td>",
          Endpoints(*route, method), "</td><td data-personal=\"",
          route->personal_data ? "yes" : "no", "\">",
          route->personal_data ? "<span class=\"pill warn\">x-ndxp-purpose required</span>"
                               : "<span class=\"muted\">no</span>",
          "</td><td data-granted>", Granted(context.policy->GrantedTo(*route), agencies),
          "</td></tr>");
    }
    const std::string summary = descriptor != nullptr ? Summary(*descriptor) : "";
    absl::StrAppend(
        &body, "<section data-service=\"", EscapeXml(service->service), "\"><h2>",
        EscapeXml(service->service), "</h2><p class=\"explain\">Provided by <span "
        "data-provider=\"", EscapeXml(service->provider), "\">",
        provider_name.empty()
            ? EscapeXml(service->provider)
            : absl::StrCat(EscapeXml(provider_name), " (", EscapeXml(service->provider), ")"),
        "</span>",
        service->peer_hub.empty()
            ? ""
            : absl::StrCat(", reached through the peer hub ", EscapeXml(service->peer_hub)),
        ".", summary.empty() ? "" : absl::StrCat(" ", EscapeXml(summary)),
        "</p><table><tr><th>Method</th><th>Kind</th><th>JSON endpoints</th>"
        "<th>Personal data</th><th>Granted to</th></tr>",
        rows, "</table></section>");
  }
  if (services.empty()) {
    body = "<section><h2>No services</h2><p>This hub's configuration routes no service.</p>"
           "</section>";
  }
  return absl::StrCat(
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ndxp hub - API "
      "catalogue</title><style>",
      kPageStyle, kCatalogueStyle,
      "</style></head><body><header><h1>API catalogue</h1><span class=\"period\">",
      services.size(), services.size() == 1 ? " service, " : " services, ", method_count,
      method_count == 1 ? " method" : " methods", " (", personal_count,
      " with personal data) &middot; <a href=\"/openapi.json\">openapi.json</a> &middot; "
      "<a href=\"/\">dashboard</a></span></header><main>",
      body,
      "</main><footer>The services this hub routes, from its configuration and the services' "
      "descriptors. Members call them over gRPC, or in JSON with the Connect protocol and the "
      "REST paths listed; the OpenAPI 3.1 document describes both: <a href=\"/openapi.json\">"
      "/openapi.json</a>. A method with personal data needs the caller's x-ndxp-purpose "
      "header. \"Granted to\" lists the grants of the running configuration: agencies (any "
      "of their subsystems) and agency/subsystems.</footer></body></html>");
}

}  // namespace ndxp::gateway::admin_http
