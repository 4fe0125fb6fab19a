#include "gateway/admission/admission.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/protocol/metadata.h"
#include "common/protocol/percent_encoding.h"
#include "gateway/admission/header_rules.h"
#include "gateway/call/call_head.h"

namespace ndxp::gateway {
namespace {

AdmissionDecision Refuse(AdmissionDecision decision, Refusal refusal, absl::Status status) {
  decision.refusal = refusal;
  decision.status = std::move(status);
  decision.upstream_headers.clear();
  return decision;
}

}  // namespace

bool IsTransportHeader(absl::string_view name) {
  // HTTP/1 connection headers have no meaning in HTTP/2 (RFC 9113 8.2.2):
  // never forwarded.
  // Nor are the JSON door's own (Connect's headers, the body's length and
  // encodings): the connector gets an ordinary gRPC call.
  return name.empty() || name[0] == ':' || absl::StartsWith(name, "grpc-") || name == "te" ||
         name == "content-type" || name == "user-agent" || name == "host" ||
         name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade" || absl::StartsWith(name, "connect-") ||
         name == "content-length" || name == "content-encoding" || name == "accept-encoding";
}

AdmissionDecision Admit(const AdmissionTables& tables, const CallView& call) {
  AdmissionDecision decision;

  // One pass over the headers: the rules, the federation's own headers, and
  // the application metadata to forward.
  absl::Status bad_header;
  absl::string_view request_id, purpose;
  bool has_request_id = false, has_purpose = false;
  for (const RequestHeader& header : call.headers) {
    if (absl::Status s = CheckHeader(header.name, header.value); !s.ok()) {
      if (bad_header.ok()) bad_header = std::move(s);
      continue;
    }
    if (header.name == protocol::kRequestIdHeader) {
      if (has_request_id && bad_header.ok()) {
        bad_header = absl::InvalidArgumentError("x-ndxp-request-id is given more than once");
      }
      has_request_id = true;
      request_id = header.value;
    } else if (header.name == protocol::kPurposeHeader) {
      if (has_purpose && bad_header.ok()) {
        bad_header = absl::InvalidArgumentError("x-ndxp-purpose is given more than once");
      }
      has_purpose = true;
      purpose = header.value;
    } else if (!IsTransportHeader(header.name) && !absl::StartsWith(header.name, "x-ndxp-")) {
      decision.upstream_headers.emplace_back(header.name, header.value);
    }
    // Any other x-ndxp-* header (x-ndxp-consumer above all) is the hub's to
    // set: dropped, never forwarded.
  }
  bool request_id_valid = has_request_id && IsValidRequestId(request_id);
  decision.request_id =
      request_id_valid ? std::string(request_id) : tables.new_request_id();
  if (has_request_id && !request_id_valid && bad_header.ok()) {
    bad_header = absl::InvalidArgumentError(absl::StrCat(
        "x-ndxp-request-id must match [A-Za-z0-9._:-]{1,", kMaxRequestIdBytes,
        "}; the hub answers with request id ", decision.request_id));
  }

  const absl::StatusOr<ConsumerIdentity>& identity = *call.identity;
  if (!identity.ok()) {
    return Refuse(std::move(decision), Refusal::kUnauthenticated,
                  absl::UnauthenticatedError(identity.status().message()));
  }
  decision.consumer = std::string(identity->agency_subsystem);
  if (!bad_header.ok()) {
    return Refuse(std::move(decision), Refusal::kBadHeader, std::move(bad_header));
  }
  if (has_purpose) {
    absl::StatusOr<std::string> text = protocol::DecodePurpose(purpose);
    if (!text.ok()) {
      return Refuse(std::move(decision), Refusal::kMissingPurpose, text.status());
    }
    decision.purpose = *std::move(text);
  }

  // The hub's own methods: granted like routed ones (health, reflection),
  // for the operators only (Statistics), or granted and open to operators
  // (DataSubjectAccess).
  if (tables.local != nullptr) {
    if (const LocalMethod* local = tables.local->Find(call.method)) {
      if (local->operators_only() && !tables.policy->IsOperator(*identity)) {
        return Refuse(std::move(decision), Refusal::kPermissionDenied,
                      absl::PermissionDeniedError(absl::StrCat(
                          identity->spiffe_id, " is not an operator: ", call.method,
                          " is for the hub's operators")));
      }
      const bool granted_as_operator =
          local->operators_need_no_grant() && tables.policy->IsOperator(*identity);
      if (!local->operators_only() && !granted_as_operator &&
          !tables.policy->AllowsHubMethod(*identity, call.method)) {
        return Refuse(std::move(decision), Refusal::kPermissionDenied,
                      absl::PermissionDeniedError(absl::StrCat(
                          identity->spiffe_id, " is not granted ", call.method)));
      }
      decision.local = local;
      return decision;
    }
  }
  const MethodRoute* route = tables.routes->Find(call.method);
  if (route == nullptr) {
    return Refuse(std::move(decision), Refusal::kUnimplemented,
                  absl::UnimplementedError(
                      IsMethodPath(call.method)
                          ? absl::StrCat("no route for method ", call.method)
                          : std::string("no route for this request path (a path that is not "
                                        "\"/package.Service/Method\" is not quoted: it may "
                                        "carry personal data)")));
  }
  if (!tables.policy->Allows(*identity, *route)) {
    return Refuse(std::move(decision), Refusal::kPermissionDenied,
                  absl::PermissionDeniedError(absl::StrCat(identity->spiffe_id,
                                                           " is not granted ",
                                                           route->full_method)));
  }
  if (route->personal_data && !has_purpose) {
    return Refuse(std::move(decision), Refusal::kMissingPurpose,
                  absl::InvalidArgumentError(absl::StrCat(
                      protocol::kPurposeHeader, " metadata is required: ", route->full_method,
                      " returns personal data")));
  }

  decision.route = route;
  decision.notice_deferral = tables.policy->NoticeDeferral(*identity, *route);
  decision.upstream_headers.emplace_back(protocol::kConsumerHeader, identity->spiffe_id);
  decision.upstream_headers.emplace_back(protocol::kRequestIdHeader, decision.request_id);
  if (has_purpose) decision.upstream_headers.emplace_back(protocol::kPurposeHeader, purpose);
  return decision;
}

}  // namespace ndxp::gateway
