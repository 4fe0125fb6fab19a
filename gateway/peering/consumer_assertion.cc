#include "gateway/peering/consumer_assertion.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/protocol/base64url.h"
#include "common/protocol/percent_encoding.h"
#include "common/tls/signature.h"

namespace ndxp::gateway {
namespace {

absl::Status Refused(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat(kAssertionHeader, ": ", why));
}

}  // namespace

absl::StatusOr<std::string> SignAssertion(const ConsumerAssertion& assertion, evp_pkey_st* key) {
  std::string payload = assertion.SerializeAsString();
  absl::StatusOr<std::string> signature = SignBytes(key, payload);
  if (!signature.ok()) return signature.status();
  return absl::StrCat(protocol::EncodeBase64Url(payload), ".",
                      protocol::EncodeBase64Url(*signature));
}

absl::StatusOr<ConsumerAssertion> OpenAssertion(absl::string_view header_value,
                                                evp_pkey_st* signer_key, const CallToCheck& call) {
  if (header_value.size() > kMaxAssertionHeaderBytes) {
    return Refused(absl::StrCat("longer than ", kMaxAssertionHeaderBytes, " bytes"));
  }
  size_t dot = header_value.find('.');
  std::string payload, signature;
  if (dot == absl::string_view::npos ||
      !protocol::DecodeBase64Url(header_value.substr(0, dot), &payload) ||
      !protocol::DecodeBase64Url(header_value.substr(dot + 1), &signature)) {
    return Refused("malformed: not base64url(assertion).base64url(signature)");
  }
  // Nothing of the payload is read before the signature verifies.
  if (!VerifyBytes(signer_key, payload, signature)) {
    return Refused("the signature does not verify with the certificate the peer presented");
  }
  ConsumerAssertion assertion;
  if (!assertion.ParseFromString(payload)) return Refused("malformed: the payload does not parse");

  const absl::Time issued = absl::FromUnixMillis(assertion.issued_at_ms());
  const absl::Time expires = absl::FromUnixMillis(assertion.expires_at_ms());
  if (issued > call.now + kAssertionClockSkew) return Refused("issued in the future");
  if (expires < issued) return Refused("expires before it was issued");
  if (expires - issued > kMaxAssertionLifetime) {
    return Refused(absl::StrCat("valid for more than ",
                                absl::ToInt64Seconds(kMaxAssertionLifetime), " s"));
  }
  if (expires <= call.now) {
    return Refused(absl::StrCat("expired ", absl::FormatDuration(call.now - expires), " ago"));
  }
  if (assertion.nonce().size() != kAssertionNonceBytes) {
    return Refused(absl::StrCat("the nonce is not ", kAssertionNonceBytes, " bytes"));
  }
  if (assertion.method() != call.method) {
    return Refused(absl::StrCat("asserted for ", assertion.method(), ", not for ", call.method));
  }
  if (assertion.request_id().empty() || assertion.request_id() != call.request_id) {
    return Refused(absl::StrCat("asserted for request id \"", assertion.request_id(),
                                "\", the call carries \"", call.request_id, "\""));
  }
  bool same_purpose = call.purpose.empty() && assertion.purpose().empty();
  if (!call.purpose.empty()) {
    absl::StatusOr<std::string> purpose = protocol::DecodePurpose(call.purpose);
    same_purpose = purpose.ok() && *purpose == assertion.purpose();
  }
  if (!same_purpose) return Refused("asserted for another purpose than the call's x-ndxp-purpose");
  // The earlier hubs, the signer and this hub.
  if (assertion.earlier_hubs_size() + 2 > kMaxHubsOnPath) {
    return absl::PermissionDeniedError(absl::StrCat(
        kAssertionHeader, ": the call has passed ", assertion.earlier_hubs_size() + 1,
        " hubs already; at most ", kMaxHubsOnPath, " may carry one call (a loop of peer routes?)"));
  }
  return assertion;
}

}  // namespace ndxp::gateway
