#include "gateway/admission/header_rules.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"

namespace ndxp::gateway {
namespace {

bool IsNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

bool IsPrintableAscii(char c) { return c >= 0x20 && c <= 0x7e; }

// A header name as it may safely appear in a message: printable bytes as
// they are, others as \xNN, cut at 64 bytes.
std::string Printable(absl::string_view bytes) {
  constexpr size_t kShown = 64;
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < kShown; ++i) {
    char c = bytes[i];
    if (IsPrintableAscii(c) && c != '\\' && c != '"') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(c));
    }
  }
  if (bytes.size() > kShown) out += "...";
  return out;
}

}  // namespace

absl::Status CheckHeader(absl::string_view name, absl::string_view value) {
  absl::string_view letters = name;
  if (!letters.empty() && letters[0] == ':') letters.remove_prefix(1);
  if (letters.empty()) {
    return absl::InvalidArgumentError("request header with an empty name");
  }
  for (char c : letters) {
    if (!IsNameByte(c)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "request header \"%s\": names are lower-case letters, digits and \"-_.\" "
          "(found byte 0x%02x)",
          Printable(name), static_cast<unsigned char>(c)));
    }
  }
  if (absl::EndsWith(name, "-bin")) {
    // Binary values travel base64-encoded (padding optional, as gRPC sends
    // them); anything else breaks the connector's HTTP/2 parser and with it
    // every call sharing the hub's connection.
    size_t padding = 0;
    for (char c : value) {
      bool base64 = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
      if (c == '=' && padding < 2) {
        ++padding;
      } else if (!base64 || padding > 0) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "request header %s: a -bin value is base64 (found byte 0x%02x)", name,
            static_cast<unsigned char>(c)));
      }
    }
    return absl::OkStatus();
  }
  for (char c : value) {
    if (!IsPrintableAscii(c)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "request header %s: values are printable ASCII (0x20-0x7E) unless the name ends "
          "in -bin (found byte 0x%02x); send other text percent-encoded UTF-8",
          name, static_cast<unsigned char>(c)));
    }
  }
  return absl::OkStatus();
}

bool IsValidRequestId(absl::string_view request_id) {
  if (request_id.empty() || request_id.size() > kMaxRequestIdBytes) return false;
  for (char c : request_id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
        c != ':' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace ndxp::gateway
