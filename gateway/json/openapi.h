// The API catalogue as an OpenAPI 3.1 document: every routed method's Connect
// endpoint and its google.api.http REST endpoints, with JSON Schemas of its
// messages by protobuf's JSON mapping, built from the routed services'
// descriptors (the pool the JSON door transcodes with) and what the route
// table knows (the provider agency, the methods that carry personal data).
//
// What the document says, for each routed service (a tag) and method:
// - the Connect endpoint, POST /<package>.<Service>/<Method>: request body
//   application/json (application/connect+json for a server stream), 200
//   with the response message, otherwise Connect's error object
//   ({code, message, details[{type, value}]}); client- and bidi-streaming
//   methods have no JSON endpoint and are left out;
// - a unary method's REST endpoints (its google.api.http rule and the rule's
//   additional_bindings): "{field}" segments as path parameters, the body
//   ("*" or a field), every other scalar field as a query parameter (by its
//   JSON name, dotted through nested messages);
// - x-ndxp-purpose, a required header, on methods that carry personal data;
//   x-ndxp-provider (the agency code) on every operation and tag;
// - schemas under components/schemas by full proto name, referenced by
//   $ref (recursive messages are fine): int64, uint64 and their fixed/sint
//   kinds as strings, enums by their value names, bytes as base64 strings,
//   maps as objects, repeated fields as arrays, a oneof's members described
//   as such, Timestamp as date-time, Duration and FieldMask as strings of
//   the formats google-duration and google-fieldmask, wrappers as their
//   scalar, Struct/Value/ListValue as any JSON object, value or array, Any
//   as an object with "@type".
//
// Deterministic: the same services give the same bytes (keys sorted, no
// time in it), so the document can be diffed and cached.
//
// Example:
//   std::vector<OpenApiService> services = {{pool.FindServiceByName(
//       "ndxp.residents.v1.ResidentRegistry"), "000.00.00.G04", "Population registry",
//       {"GetCitizen"}}};
//   OpenApiInfo info;
//   info.version = "0.1.0";
//   std::string document = BuildOpenApiDocument(services, info);
#ifndef NDXP_GATEWAY_JSON_OPENAPI_H_
#define NDXP_GATEWAY_JSON_OPENAPI_H_

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "absl/types/span.h"

namespace ndxp::gateway::json {

// One routed service as the catalogue shows it.
struct OpenApiService {
  const google::protobuf::ServiceDescriptor* descriptor = nullptr;
  std::string provider;       // agency code of the data owner
  std::string provider_name;  // its name, "" when the configuration has none
  // Methods (simple names, "GetCitizen") whose callers must declare
  // x-ndxp-purpose.
  std::vector<std::string> personal_data_methods;
};

struct OpenApiInfo {
  std::string title = "National data-exchange hub: routed services";
  std::string version;  // the document's (the hub's release)
};

// The document as JSON text (two-space indents, a final newline). Services
// are listed by name whatever their order in `services`.
// REQUIRES: every descriptor is non-null and outlives the call.
std::string BuildOpenApiDocument(absl::Span<const OpenApiService> services,
                                 const OpenApiInfo& info);

}  // namespace ndxp::gateway::json

#endif  // NDXP_GATEWAY_JSON_OPENAPI_H_
