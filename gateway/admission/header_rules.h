// The federation's rules for request metadata (docs/design.md "Request
// metadata"): what a header name and value may contain, the request id's
// form, and how a non-ASCII purpose travels. Pure functions over bytes:
// nothing here allocates unless it returns a string, and nothing trusts its
// input, which comes straight from the network.
//
// Example:
//   if (absl::Status s = CheckHeader(name, value); !s.ok()) refuse(s);
//   absl::StatusOr<std::string> purpose = DecodePurpose(value);
#ifndef NDXP_GATEWAY_ADMISSION_HEADER_RULES_H_
#define NDXP_GATEWAY_ADMISSION_HEADER_RULES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ndxp::gateway {

// The longest declared purpose, in bytes once percent-decoded.
inline constexpr size_t kMaxPurposeBytes = 512;
// The longest request id a caller may supply.
inline constexpr size_t kMaxRequestIdBytes = 128;

// OK when `name` is a lower-case header name gRPC accepts ([0-9a-z_.-]+, or a
// pseudo-header ":name" of the same letters) and `value` is printable ASCII
// (0x20-0x7E), or base64 when the name ends in "-bin". INVALID_ARGUMENT
// naming the header (its bytes escaped) and the offending byte otherwise.
absl::Status CheckHeader(absl::string_view name, absl::string_view value);

// True for [A-Za-z0-9._:-]{1,128}.
bool IsValidRequestId(absl::string_view request_id);

// The purpose as text: percent-decoded ("%C4%91" -> "đ", the encoding gRPC
// uses for grpc-message; a '%' not followed by two hex digits stays as it
// is). INVALID_ARGUMENT naming x-ndxp-purpose when the decoded text is not
// UTF-8, is blank, or is longer than kMaxPurposeBytes.
absl::StatusOr<std::string> DecodePurpose(absl::string_view wire_value);

// `text` percent-encoded for a header value: printable ASCII except '%'
// stays, every other byte becomes %XX. The inverse of DecodePurpose.
std::string PercentEncode(absl::string_view text);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_ADMISSION_HEADER_RULES_H_
