// Base64url without padding (RFC 4648 §5, RFC 7515 §2): the alphabet of JWS
// and of the hub's peer assertions. Decoding is strict: absl's own decoder
// also takes padding and the standard alphabet's '+' and '/', which would
// give one token several spellings.
//
// Example:
//   std::string payload;
//   if (!DecodeBase64Url(part, &payload)) return Malformed("not base64url");
#ifndef NDXP_COMMON_PROTOCOL_BASE64URL_H_
#define NDXP_COMMON_PROTOCOL_BASE64URL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ndxp::protocol {

// Decodes `text` into `out`; false when it has a character outside
// [A-Za-z0-9_-] (padding included) or a length no encoding has.
bool DecodeBase64Url(absl::string_view text, std::string* out);

// `bytes` in base64url, without padding.
std::string EncodeBase64Url(absl::string_view bytes);

}  // namespace ndxp::protocol

#endif  // NDXP_COMMON_PROTOCOL_BASE64URL_H_
