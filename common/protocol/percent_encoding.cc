#include "common/protocol/percent_encoding.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ndxp::protocol {
namespace {

bool IsPrintableAscii(char c) { return c >= 0x20 && c <= 0x7e; }

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

std::string PercentDecode(absl::string_view wire_value) {
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
  return text;
}

absl::StatusOr<std::string> DecodePurpose(absl::string_view wire_value) {
  std::string text = PercentDecode(wire_value);
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

}  // namespace ndxp::protocol
