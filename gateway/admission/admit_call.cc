#include "gateway/admission/admit_call.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/protocol/grpc_timeout.h"
#include "common/protocol/metadata.h"
#include "gateway/admission/header_rules.h"

namespace ndxp::gateway {
namespace {

void Refuse(CallPlan& plan, Refusal kind, absl::Status status,
            absl::Duration retry_after = absl::ZeroDuration()) {
  plan.refusal = kind;
  plan.status = std::move(status);
  plan.retry_after = retry_after;
  plan.route = nullptr;
  plan.local = nullptr;
  plan.upstream_headers.clear();
  plan.assertion.reset();
}

// What makes a request gRPC over HTTP/2 (nghttp2's own HTTP checks are off
// on the callers' side: admission has checked names and values).
absl::Status CheckGrpcRequest(absl::string_view method, absl::string_view content_type) {
  if (method != "POST") {
    return absl::InvalidArgumentError(
        absl::StrCat("gRPC calls are HTTP/2 POST requests, not \"", method, "\""));
  }
  if (!IsGrpcContentType(content_type)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "content-type \"", content_type, "\" is not application/grpc"));
  }
  return absl::OkStatus();
}

// What makes a request a unary Connect call (the JSON door on HTTP/2):
// POST, one of its content types (its codec goes into the plan), valid
// Connect headers; the caller's timeout if it set one.
absl::StatusOr<json::connect::RequestOptions> CheckConnectRequest(const CallHead& head,
                                                                  CallPlan& plan) {
  if (head.http_method != "POST") {
    return absl::InvalidArgumentError(
        absl::StrCat("Connect calls are POST requests, not \"", head.http_method, "\""));
  }
  std::optional<json::connect::ContentType> type =
      json::connect::ParseContentType(head.content_type);
  if (!type.has_value()) {
    plan.http_status = 415;  // Unsupported Media Type, as Connect answers it
    return absl::InvalidArgumentError(
        "content-type is not one the JSON door reads (application/json, application/proto)");
  }
  plan.codec = type->codec;
  plan.server_stream = type->streaming;
  absl::InlinedVector<json::connect::Header, 16> headers;
  for (const RequestHeader& header : head.headers) headers.emplace_back(header.name, header.value);
  return json::connect::ParseRequestHeaders(headers, *type);
}

// A Connect call's content type against its method's shape: unary types for
// a unary method, streaming ones (application/connect+json, +proto) for a
// server-streaming one. Client and bidirectional streaming are for the gRPC
// door (HTTP/1.1 cannot carry them; on HTTP/2 not yet).
absl::Status CheckConnectShape(const AdmissionContext& context, const MethodRoute& route,
                               const CallPlan& plan) {
  const google::protobuf::MethodDescriptor* method =
      context.json != nullptr ? context.json->FindMethod(route.full_method) : nullptr;
  if (method == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat(route.full_method, " has no descriptor for the JSON door"));
  }
  if (method->client_streaming()) {
    return absl::UnimplementedError(
        absl::StrCat(route.full_method, " streams requests: the JSON door answers unary and "
                                        "server-streaming methods; this one is for the gRPC door"));
  }
  if (method->server_streaming() != plan.server_stream) {
    return absl::UnimplementedError(
        method->server_streaming()
            ? absl::StrCat(route.full_method, " streams its answers: call it with content-type "
                                              "application/connect+json (or +proto)")
            : absl::StrCat(route.full_method, " is unary: call it with content-type "
                                              "application/json (or application/proto)"));
  }
  return absl::OkStatus();
}

// What makes a request a REST call: a method and path one of the routed
// methods' google.api.http rules maps (into the plan), a JSON body if the
// rule takes one; Connect's timeout header if it is sent.
absl::StatusOr<json::connect::RequestOptions> CheckRestRequest(const CallHead& head,
                                                               CallPlan& plan) {
  static constexpr json::connect::ContentType kJson = {json::connect::Codec::kJson, false};
  const google::protobuf::MethodDescriptor& method = *plan.rest->method;
  if (method.server_streaming() || method.client_streaming()) {
    return absl::UnimplementedError(absl::StrCat(
        "/", method.service()->full_name(), "/", method.name(),
        " streams: its REST form is not served; call it through Connect "
        "(application/connect+json) or gRPC"));
  }
  if (plan.rest->takes_body && !head.content_type.empty()) {
    std::optional<json::connect::ContentType> type =
        json::connect::ParseContentType(head.content_type);
    if (!type.has_value() || type->codec != json::connect::Codec::kJson || type->streaming) {
      plan.http_status = 415;
      return absl::InvalidArgumentError("content-type is not application/json");
    }
  }
  plan.codec = json::connect::Codec::kJson;
  absl::InlinedVector<json::connect::Header, 16> headers;
  for (const RequestHeader& header : head.headers) {
    if (header.name != "content-type") headers.emplace_back(header.name, header.value);
  }
  return json::connect::ParseRequestHeaders(headers, kJson);
}

// The REST door: the method a request's method and path (its query aside)
// map to, by the routed methods' google.api.http rules. NOT_FOUND (404) when
// none does; the path is never quoted.
bool FindRestMethod(const AdmissionContext& context, const CallHead& head, CallPlan& plan) {
  const absl::string_view path = head.path.substr(0, head.path.find('?'));
  absl::StatusOr<json::RestMapping::Found> found =
      context.rest != nullptr ? context.rest->Find(head.http_method, path)
                              : absl::NotFoundError("no REST mapping matches this path");
  if (!found.ok()) {
    plan.request_id = IsValidRequestId(head.request_id) ? std::string(head.request_id)
                                                        : context.tables.new_request_id();
    Refuse(plan, Refusal::kUnimplemented, found.status());
    return false;
  }
  plan.rest = *std::move(found);
  plan.rest_method_path = absl::StrCat("/", plan.rest->method->service()->full_name(), "/",
                                       plan.rest->method->name());
  return true;
}

// A peer hub's call of one of its members: admitted as that member's own
// (grants, purpose, quotas, recording), or refused. The replay check waits
// for the end of AdmitCall.
bool AcceptPeerAssertion(const AdmissionContext& context, const CallHead& head,
                         const Caller& caller, absl::Time now, CallPlan& plan,
                         AssertedConsumer& asserted) {
  absl::StatusOr<AssertedConsumer> verified =
      head.assertions > 1
          ? absl::UnauthenticatedError(absl::StrCat(kAssertionHeader, ": ", head.assertions,
                                                    " of them; a call carries one"))
          : VerifyAssertion(*context.peers, *caller.identity,
                            {caller.public_key, caller.assertion_mac_key}, head.assertion,
                            {head.path, head.request_id, head.purpose, now});
  if (!verified.ok()) {
    plan.request_id = IsValidRequestId(head.request_id) ? std::string(head.request_id)
                                                        : context.tables.new_request_id();
    Refuse(plan,
           verified.status().code() == absl::StatusCode::kPermissionDenied
               ? Refusal::kPermissionDenied
               : Refusal::kUnauthenticated,
           verified.status());
    return false;
  }
  asserted = *std::move(verified);
  plan.asserted_spiffe_id = std::move(asserted.spiffe_id);
  plan.asserted_identity = ParseSpiffeId(plan.asserted_spiffe_id, asserted.trust_domain);
  plan.identity = &plan.asserted_identity;
  plan.via = asserted.peer->agency_subsystem;
  return true;
}

// What this call asserts to the peer hub `route` goes to (proven per
// connection by the transport: MAC'd or signed); PERMISSION_DENIED past the hop limit.
absl::Status PrepareAssertion(const AdmissionContext& context, const MethodRoute& route,
                              const std::vector<std::string>& hubs_before, absl::Time now,
                              CallPlan& plan) {
  // The hubs before this one, this one (the signer) and the peer.
  if (hubs_before.size() + 2 > static_cast<size_t>(kMaxHubsOnPath)) {
    return absl::PermissionDeniedError(absl::StrCat(
        route.full_method, " is routed to another peer hub, but the call has passed ",
        hubs_before.size() + 1, " hubs already; at most ", kMaxHubsOnPath,
        " may carry one call (a loop of peer routes?)"));
  }
  std::string nonce = context.new_nonce();
  if (nonce.empty()) {
    return absl::InternalError("cannot draw a nonce for the peer hub's assertion");
  }
  plan.assertion = std::make_unique<ConsumerAssertion>();
  ConsumerAssertion& a = *plan.assertion;
  a.set_consumer(std::string((*plan.identity)->spiffe_id));
  a.set_method(route.full_method);
  a.set_request_id(plan.request_id);
  a.set_purpose(plan.purpose);
  a.set_issued_at_ms(absl::ToUnixMillis(now));
  a.set_expires_at_ms(absl::ToUnixMillis(now + context.assertion_lifetime));
  a.set_nonce(std::move(nonce));
  for (const std::string& hub : hubs_before) a.add_earlier_hubs(hub);
  return absl::OkStatus();
}

// The decoded size of the header block the connector will receive, the
// assertion on a peer route included.
size_t UpstreamHeaderBytes(const CallPlan& plan) {
  size_t bytes = 0;
  for (const auto& [name, value] : plan.upstream_headers) bytes += name.size() + value.size() + 32;
  if (plan.assertion != nullptr) {
    // Proven at the connection: base64url(payload).base64url(a signature
    // of at most 512 bytes, RSA-4096's), longer than the MAC'd form's
    // "m1." and 32 bytes.
    const size_t signed_bytes = plan.assertion->ByteSizeLong() + 512;
    bytes += kAssertionHeader.size() + (signed_bytes * 4 + 2) / 3 + 1 + 32;
  }
  return bytes;
}

}  // namespace

const std::string& PlaceholderAuthority(const ServiceRoute& service) {
  const std::string* longest = &service.endpoints.front();
  for (const std::string& endpoint : service.endpoints) {
    if (endpoint.size() > longest->size()) longest = &endpoint;
  }
  return *longest;
}

void AdmitCall(const AdmissionContext& context, const CallHead& head, const Caller& caller,
               absl::Time now, CallPlan& plan) {
  plan.identity = caller.identity;
  if (head.header_bytes > context.max_request_header_bytes) {
    // Counted by the connection's FrameGuard too, as a header block decoded
    // for nothing (limits.wasted_header_frames). The caller's request id
    // when it came before the limit.
    plan.request_id = IsValidRequestId(head.request_id) ? std::string(head.request_id)
                                                        : context.tables.new_request_id();
    return Refuse(plan, Refusal::kHeadersTooLarge,
                  absl::ResourceExhaustedError(absl::StrCat(
                      "request headers of ", head.header_bytes,
                      " bytes and more are over the limit of ",
                      context.max_request_header_bytes)));
  }
  AssertedConsumer asserted;
  if (head.assertions > 0 && !AcceptPeerAssertion(context, head, caller, now, plan, asserted)) {
    return;
  }

  absl::string_view method_path = head.path;
  if (head.door == Door::kRest) {
    if (!FindRestMethod(context, head, plan)) return;
    method_path = plan.rest_method_path;
  }

  AdmissionDecision decision = Admit(context.tables, {method_path, plan.identity, head.headers});
  plan.request_id = std::move(decision.request_id);
  if (!decision.status.ok()) return Refuse(plan, decision.refusal, std::move(decision.status));
  std::optional<absl::Duration> caller_timeout;
  if (head.door == Door::kGrpc) {
    if (absl::Status s = CheckGrpcRequest(head.http_method, head.content_type); !s.ok()) {
      return Refuse(plan, Refusal::kBadRequest, std::move(s));
    }
    if (!head.timeout.empty()) {
      caller_timeout = protocol::ParseGrpcTimeout(head.timeout);
      if (!caller_timeout.has_value()) {
        return Refuse(plan, Refusal::kBadRequest,
                      absl::InvalidArgumentError(
                          absl::StrCat("grpc-timeout \"", head.timeout, "\" is malformed")));
      }
    }
  } else {
    absl::StatusOr<json::connect::RequestOptions> options =
        head.door == Door::kRest ? CheckRestRequest(head, plan) : CheckConnectRequest(head, plan);
    if (!options.ok()) return Refuse(plan, Refusal::kBadRequest, options.status());
    caller_timeout = options->timeout;
    if (head.door == Door::kConnect && decision.route != nullptr) {
      if (absl::Status s = CheckConnectShape(context, *decision.route, plan); !s.ok()) {
        return Refuse(plan, Refusal::kBadRequest, std::move(s));
      }
    }
  }
  // The call's deadline: the caller's, or the default, never past the cap
  // (the route's, else the hub's); the same goes upstream.
  absl::Duration cap = context.max_deadline;
  if (decision.route != nullptr && decision.route->service->max_deadline > absl::ZeroDuration()) {
    cap = decision.route->service->max_deadline;
  }
  plan.deadline = std::min(caller_timeout.value_or(context.default_deadline), cap);
  plan.consumer = std::move(decision.consumer);
  plan.purpose = std::move(decision.purpose);
  plan.notice_deferral = decision.notice_deferral;

  if (decision.local != nullptr) {
    if (head.door != Door::kGrpc && !decision.local->answers_json_door()) {
      return Refuse(plan, Refusal::kBadRequest,
                    absl::UnimplementedError("this method of the hub's answers on the gRPC door"));
    }
    if (!head.encoding.empty() && head.encoding != "identity") {
      return Refuse(plan, Refusal::kBadRequest,
                    absl::UnimplementedError(absl::StrCat(
                        "the hub's own methods take uncompressed messages, not ", head.encoding)));
    }
  } else {
    const MethodRoute& route = *decision.route;
    if (!route.service->peer_hub.empty()) {
      if (absl::Status s = PrepareAssertion(context, route, asserted.hubs_before, now, plan);
          !s.ok()) {
        return Refuse(plan, Refusal::kPermissionDenied, std::move(s));
      }
    }
    HeaderList& out = plan.upstream_headers;
    out.Add(":method", "POST");
    out.Add(":scheme", "https");
    out.Add(":path", route.full_method);
    out.Add(":authority", PlaceholderAuthority(*route.service));
    out.Add("te", "trailers");
    out.Add("grpc-timeout", protocol::FormatGrpcTimeout(plan.deadline));
    bool has_content_type = false;
    for (const RequestHeader& header : head.headers) {
      if (header.name == "user-agent") out.Add(header.name, header.value);
      if (head.door != Door::kGrpc) continue;  // the connector gets a plain gRPC call
      if (header.name == "content-type") has_content_type = true;
      if (header.name == "content-type" ||
          (absl::StartsWith(header.name, "grpc-") && header.name != "grpc-timeout")) {
        out.Add(header.name, header.value);
      }
    }
    if (!has_content_type) out.Add("content-type", "application/grpc");
    for (const auto& [name, value] : decision.upstream_headers) out.Add(name, value);
    if (size_t bytes = UpstreamHeaderBytes(plan); bytes > context.connector_max_header_bytes) {
      return Refuse(plan, Refusal::kHeadersTooLarge,
                    absl::ResourceExhaustedError(absl::StrCat(
                        "request headers too large: with the hub's own they come to ", bytes,
                        " bytes, over the connectors' limit of ",
                        context.connector_max_header_bytes,
                        " (RFC 9113 sizes: name, value and 32 per header)")));
    }
  }

  // Side effects last, once nothing else can refuse the call: a refused
  // call spends no nonce, open-call slot or quota.
  if (head.assertions > 0) {
    if (absl::Status s = context.replays->FirstUse(asserted.nonce, asserted.expires, now);
        !s.ok()) {
      return Refuse(plan, Refusal::kUnauthenticated, std::move(s));
    }
  }
  if (decision.route != nullptr) {
    const MethodRoute& route = *decision.route;
    absl::Duration retry_after = absl::ZeroDuration();
    if (absl::Status s =
            context.quotas->AcquireOpenCall(**plan.identity, route, &plan.quota, &retry_after);
        !s.ok()) {
      return Refuse(plan, Refusal::kOverConcurrency, std::move(s), retry_after);
    }
    if (!context.quotas->empty()) {
      if (absl::Status s =
              context.quotas->Acquire(**plan.identity, route, now, &plan.quota, &retry_after);
          !s.ok()) {
        plan.quota = QuotaTicket();  // gives back the open-call slot
        return Refuse(plan, Refusal::kOverQuota, std::move(s), retry_after);
      }
    }
  }
  plan.route = decision.route;
  plan.local = decision.local;
}

}  // namespace ndxp::gateway
