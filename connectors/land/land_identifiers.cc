#include "connectors/land/land_identifiers.h"

#include <functional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ndxp::land {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int Digits(absl::string_view s) {
  int value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return value;
}

absl::Status Invalid(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

// INVALID_ARGUMENT at the first character of `s` that is not a digit;
// `offset` is the position of s[0] in the whole value (for the message).
absl::Status CheckDigits(absl::string_view s, size_t offset, absl::string_view field) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsDigit(s[i])) {
      // Only the offending character is echoed: the input is untrusted.
      return Invalid(field, absl::StrCat("must be a digit at position ", offset + i + 1,
                                         ", found '", absl::CHexEscape(s.substr(i, 1)), "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ParcelNumberParts> ParseParcelId(absl::string_view id,
                                                absl::string_view field) {
  if (id.empty()) return Invalid(field, "is required (12 digits)");
  if (id.size() != kParcelIdLength) {
    return Invalid(field, absl::StrCat("must be exactly 12 digits, got ", id.size()));
  }
  if (absl::Status s = CheckDigits(id, 0, field); !s.ok()) return s;
  ParcelNumberParts parts{std::string(id.substr(0, 5)), Digits(id.substr(5, 3)),
                          Digits(id.substr(8, 4))};
  if (Digits(parts.commune_code) == 0) return Invalid(field, "commune code 00000 is not a commune");
  if (parts.map_sheet == 0) return Invalid(field, "map sheet 000 does not exist");
  if (parts.parcel_number == 0) return Invalid(field, "parcel number 0000 does not exist");
  return parts;
}

bool CheckParcelNumber(
    const ParcelNumberParts& parts, absl::string_view field_prefix,
    const std::function<void(absl::string_view, const absl::Status&)>& report) {
  bool ok = true;
  const std::string commune_field = absl::StrCat(field_prefix, ".commune_code");
  absl::Status commune;
  if (parts.commune_code.size() != kCommuneCodeLength) {
    commune = Invalid(commune_field, absl::StrCat("must be exactly 5 digits, got ",
                                                  parts.commune_code.size()));
  } else if (commune = CheckDigits(parts.commune_code, 0, commune_field); commune.ok() &&
             Digits(parts.commune_code) == 0) {
    commune = Invalid(commune_field, "00000 is not a commune");
  }
  if (!commune.ok()) {
    report(commune_field, commune);
    ok = false;
  }
  if (parts.map_sheet < 1 || parts.map_sheet > kMaxMapSheet) {
    const std::string f = absl::StrCat(field_prefix, ".map_sheet");
    report(f, Invalid(f, absl::StrCat("must be 1..999, got ", parts.map_sheet)));
    ok = false;
  }
  if (parts.parcel_number < 1 || parts.parcel_number > kMaxParcelNumber) {
    const std::string f = absl::StrCat(field_prefix, ".parcel_number");
    report(f, Invalid(f, absl::StrCat("must be 1..9999, got ", parts.parcel_number)));
    ok = false;
  }
  return ok;
}

std::string MakeParcelId(const ParcelNumberParts& parts) {
  return absl::StrFormat("%s%03d%04d", parts.commune_code, parts.map_sheet,
                         parts.parcel_number);
}

absl::Status ValidateCertificateSerial(absl::string_view serial, absl::string_view field) {
  if (serial.empty()) return Invalid(field, "is required (2 letters and 6 digits)");
  if (serial.size() != kCertificateSerialLength) {
    return Invalid(field, absl::StrCat("must be 2 letters and 6 digits (8 characters), got ",
                                       serial.size()));
  }
  for (size_t i = 0; i < 2; ++i) {
    if (serial[i] < 'A' || serial[i] > 'Z') {
      return Invalid(field, absl::StrCat("must be an upper-case letter A-Z at position ", i + 1,
                                         ", found '", absl::CHexEscape(serial.substr(i, 1)),
                                         "'"));
    }
  }
  if (absl::Status s = CheckDigits(serial.substr(2), 2, field); !s.ok()) return s;
  if (Digits(serial.substr(2)) == 0) return Invalid(field, "number 000000 is never issued");
  return absl::OkStatus();
}

}  // namespace ndxp::land
