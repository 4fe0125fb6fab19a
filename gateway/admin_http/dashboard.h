// The dashboard at / on the admin listener: the hub at a glance for someone
// who does not know gRPC. Transactions per month, this half-year against the
// same half-year last year by provider agency, top consumers and services,
// error and refusal rates, connector health and certificate expiry, from the
// statistics engine (the recorded counters) and the live sources.
#ifndef NDXP_GATEWAY_ADMIN_HTTP_DASHBOARD_H_
#define NDXP_GATEWAY_ADMIN_HTTP_DASHBOARD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/admin_http/admin_sources.h"

namespace ndxp::gateway::admin_http {

// The page for the half-year containing `day` ("YYYY-MM-DD"; empty: today
// in the statistics' time zone). INVALID_ARGUMENT naming `day` if it is not
// a date.
absl::StatusOr<std::string> RenderDashboard(const AdminSources& sources, absl::string_view day,
                                            absl::Time now);

}  // namespace ndxp::gateway::admin_http

#endif  // NDXP_GATEWAY_ADMIN_HTTP_DASHBOARD_H_
