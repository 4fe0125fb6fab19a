#include "common/protocol/base64url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"

namespace ndxp::protocol {

bool DecodeBase64Url(absl::string_view text, std::string* out) {
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return absl::WebSafeBase64Unescape(text, out);
}

std::string EncodeBase64Url(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

}  // namespace ndxp::protocol
