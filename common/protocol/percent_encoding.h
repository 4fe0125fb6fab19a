// How non-ASCII text travels in a header value (docs/design.md "Request
// metadata"): percent-encoded UTF-8, the encoding gRPC uses for grpc-message
// and the federation for x-ndxp-purpose. Pure functions over bytes, shared by
// admission, peering and the transport; nothing here trusts its input, which
// comes straight from the network.
//
// Example:
//   absl::StatusOr<std::string> purpose = DecodePurpose(value);
//   std::string grpc_message = PercentEncode(text);
#ifndef NDXP_COMMON_PROTOCOL_PERCENT_ENCODING_H_
#define NDXP_COMMON_PROTOCOL_PERCENT_ENCODING_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ndxp::protocol {

// The longest declared purpose, in bytes once percent-decoded.
inline constexpr size_t kMaxPurposeBytes = 512;

// The purpose as text: percent-decoded ("%C4%91" -> "đ", the encoding gRPC
// uses for grpc-message; a '%' not followed by two hex digits stays as it
// is). INVALID_ARGUMENT naming x-ndxp-purpose when the decoded text is not
// UTF-8, is blank, or is longer than kMaxPurposeBytes.
absl::StatusOr<std::string> DecodePurpose(absl::string_view wire_value);

// `wire_value` percent-decoded, whatever the bytes it yields (grpc-message,
// a URL's path segment): "%C4%91" -> "đ"; a '%' not followed by two hex
// digits stays as it is. Checks nothing else: a caller that wants text
// checks the result is UTF-8.
std::string PercentDecode(absl::string_view wire_value);

// `text` percent-encoded for a header value: printable ASCII except '%'
// stays, every other byte becomes %XX. The inverse of DecodePurpose.
std::string PercentEncode(absl::string_view text);

}  // namespace ndxp::protocol

#endif  // NDXP_COMMON_PROTOCOL_PERCENT_ENCODING_H_
