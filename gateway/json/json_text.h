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

}  // namespace ndxp::gateway::json

#endif  // NDXP_GATEWAY_JSON_JSON_TEXT_H_
