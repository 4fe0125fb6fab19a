// The federation's rules for request metadata (docs/design.md "Request
// metadata"): what a header name and value may contain and the request id's
// form (how a non-ASCII purpose travels is common/protocol/percent_encoding.h).
// Pure functions over bytes: nothing here allocates unless it returns a
// string, and nothing trusts its input, which comes straight from the network.
//
// Example:
//   if (absl::Status s = CheckHeader(name, value); !s.ok()) refuse(s);
#ifndef NDXP_GATEWAY_ADMISSION_HEADER_RULES_H_
#define NDXP_GATEWAY_ADMISSION_HEADER_RULES_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ndxp::gateway {

// The longest request id a caller may supply.
inline constexpr size_t kMaxRequestIdBytes = 128;

// OK when `name` is a lower-case header name gRPC accepts ([0-9a-z_.-]+, or a
// pseudo-header ":name" of the same letters) and `value` is printable ASCII
// (0x20-0x7E), or base64 when the name ends in "-bin". INVALID_ARGUMENT
// naming the header (its bytes escaped) and the offending byte otherwise.
absl::Status CheckHeader(absl::string_view name, absl::string_view value);

// True for [A-Za-z0-9._:-]{1,128}.
bool IsValidRequestId(absl::string_view request_id);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_ADMISSION_HEADER_RULES_H_
