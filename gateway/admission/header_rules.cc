#include "gateway/admission/header_rules.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"

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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length;
    uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      length = 2, code = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3, code = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4, code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if ((length == 3 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) ||
        (length == 4 && (code < 0x10000 || code > 0x10ffff))) {
      return false;
    }
    i += length;
  }
  return true;
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

absl::StatusOr<std::string> DecodePurpose(absl::string_view wire_value) {
  std::string text;
  text.reserve(wire_value.size());
  for (size_t i = 0; i < wire_value.size(); ++i) {
    int high, low;
    if (wire_value[i] == '%' && i + 2 < wire_value.size() &&
        (high = HexValue(wire_value[i + 1])) >= 0 && (low = HexValue(wire_value[i + 2])) >= 0) {
      text.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      text.push_back(wire_value[i]);
    }
  }
  if (text.size() > kMaxPurposeBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "x-ndxp-purpose is ", text.size(), " bytes long; at most ", kMaxPurposeBytes,
        " are allowed"));
  }
  if (!IsValidUtf8(text)) {
    return absl::InvalidArgumentError(
        "x-ndxp-purpose is not percent-encoded UTF-8 text");
  }
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError("x-ndxp-purpose is blank: declare the purpose of the call");
  }
  return text;
}

std::string PercentEncode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (IsPrintableAscii(c) && c != '%') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", static_cast<unsigned char>(c));
    }
  }
  return out;
}

}  // namespace ndxp::gateway
