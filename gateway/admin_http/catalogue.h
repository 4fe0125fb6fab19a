// The API catalogue at /catalogue on the admin listener: every routed
// service of the running configuration with its provider agency, and each
// method's kind, JSON endpoints, whether it carries personal data (callers
// must declare x-ndxp-purpose) and the members granted it. The machine-
// readable form is /openapi.json (gateway/json/openapi.h), linked from it.
#ifndef NDXP_GATEWAY_ADMIN_HTTP_CATALOGUE_H_
#define NDXP_GATEWAY_ADMIN_HTTP_CATALOGUE_H_

#include <string>

#include "gateway/hub_context.h"

namespace ndxp::gateway::admin_http {

// The page (HTML, no external asset); every name in it escaped. Services by
// name, methods in their .proto order.
std::string RenderCatalogue(const HubContext& context);

}  // namespace ndxp::gateway::admin_http

#endif  // NDXP_GATEWAY_ADMIN_HTTP_CATALOGUE_H_
