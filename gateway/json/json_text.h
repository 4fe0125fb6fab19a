// The two text primitives the JSON door writes with: where UTF-8 breaks, and
// a string as a JSON string literal. Every JSON the door writes itself (Connect
// errors, end-of-stream messages) goes through AppendJsonString; nothing is
// concatenated unescaped.
#ifndef NDXP_GATEWAY_JSON_JSON_TEXT_H_
#define NDXP_GATEWAY_JSON_JSON_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace ndxp::gateway::json {

// The offset of the first byte that is not part of well-formed UTF-8 (RFC
// 3629: no overlongs, surrogates or code points past U+10FFFF), or npos when
// `text` is all UTF-8.
size_t FirstInvalidUtf8(absl::string_view text);

// Appends `text` to *out as a JSON string literal, quotes included: '"', '\'
// and control characters escaped (RFC 8259), and every byte that is not part
// of well-formed UTF-8 replaced by U+FFFD, so that *out stays valid JSON
// whatever `text` holds (a grpc-message is any bytes once percent-decoded).
void AppendJsonString(std::string* out, absl::string_view text);

// Whether a name the caller sent (an unknown JSON key or query parameter) may
// be quoted back in an error: it looks like a field name (ASCII letters,
// digits and '_', not starting with a digit, at most 64 bytes) and holds at
// most 4 digits, too few for any identifier of a person or an enterprise
// (12-digit personal IDs, 10-digit insurance and enterprise codes).
bool IsQuotableName(absl::string_view name);

}  // namespace ndxp::gateway::json

#endif  // NDXP_GATEWAY_JSON_JSON_TEXT_H_
