// The hub's decision about one call, taken on its request headers alone:
// who calls (the identity verified at the handshake), whether the headers
// obey the federation's rules, which route or hub-local method serves the
// method, whether the caller was granted it, whether a purpose was
// declared. Pure: no I/O, no clock, no randomness of its own; the transport
// calls it once per call and acts on the decision.
//
// Example:
//   AdmissionDecision decision = Admit(tables, {method, &identity, headers});
//   if (!decision.refusal.ok()) return RespondWith(decision.refusal,
//                                                  decision.request_id);
//   for (const auto& [name, value] : decision.upstream_headers) ...
#ifndef NDXP_GATEWAY_ADMISSION_ADMISSION_H_
#define NDXP_GATEWAY_ADMISSION_ADMISSION_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/identity/spiffe_id.h"
#include "gateway/call/call_head.h"
#include "gateway/call/call_kinds.h"
#include "gateway/local/local_services.h"
#include "gateway/policy/access_policy.h"
#include "gateway/routing/route_table.h"

namespace ndxp::gateway {

// What Admit reads of a call. Views; they must outlive the Admit call only.
struct CallView {
  absl::string_view method;  // ":path", "/package.Service/Method"
  // The connection's verified identity, or why it has none.
  const absl::StatusOr<ConsumerIdentity>* identity;
  // Every request header, pseudo-headers included or not.
  absl::Span<const RequestHeader> headers;
};

// The configuration Admit decides against (one reload's worth; not owned).
struct AdmissionTables {
  const RouteTable* routes;
  const AccessPolicy* policy;
  const LocalServices* local;  // the hub's own methods; may be nullptr
  // Makes a request id for a call that brings none (or an invalid one).
  std::string (*new_request_id)();
};


struct AdmissionDecision {
  // OK: forward to `route`, or answer with `local`. Otherwise the status to
  // answer with (its message names the caller, the method or the header).
  absl::Status status;
  Refusal refusal = Refusal::kNone;
  const MethodRoute* route = nullptr;
  const LocalMethod* local = nullptr;
  // Always set, refusals included: the caller's valid id or a new one. To
  // be echoed in the response headers.
  std::string request_id;
  // The caller's application metadata (pseudo-headers, transport headers,
  // grpc-* and any x-ndxp-* left out) followed by the headers the hub sets
  // from what it verified: x-ndxp-consumer, x-ndxp-request-id and, when
  // declared, x-ndxp-purpose (as it travelled: percent-encoded).
  std::vector<std::pair<std::string, std::string>> upstream_headers;
  // For the transaction record: "agency/subsystem" (empty when
  // unauthenticated) and the purpose decoded to UTF-8 text.
  std::string consumer;
  std::string purpose;
  // How long the call stays hidden from the person it is about (the grant's
  // defer_subject_notice; zero: not hidden).
  absl::Duration notice_deferral = absl::ZeroDuration();
};

// Identity, header rules, route, access rights and purpose, in that order.
AdmissionDecision Admit(const AdmissionTables& tables, const CallView& call);

// Headers a transport handles itself rather than forwarding as application
// metadata: HTTP/2 and gRPC transport headers (te, content-type, user-agent,
// host, grpc-*) and the JSON door's (connect-*, content-length, encodings).
bool IsTransportHeader(absl::string_view name);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_ADMISSION_ADMISSION_H_
