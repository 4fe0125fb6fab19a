#include "common/identifiers/enterprise_code.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ndxp::identifiers {
namespace {

constexpr int kCheckWeights[] = {31, 29, 23, 19, 17, 13, 7, 5, 3};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int Digits(absl::string_view s) {
  int value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return value;
}

absl::Status Invalid(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

// The province whose 3-digit code ends in `two_digits`. Codes run 001..096,
// so the last two digits name at most one province.
const Province* FindProvinceByTwoDigits(absl::string_view two_digits) {
  return FindProvince(absl::StrCat("0", two_digits));
}

// The first character of `s` that is not a digit, or npos.
size_t FirstNonDigit(absl::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return i;
  }
  return absl::string_view::npos;
}

}  // namespace

int EnterpriseCheckDigit(absl::string_view nine_digits) {
  int sum = 0;
  for (size_t i = 0; i < 9 && i < nine_digits.size(); ++i) {
    sum += kCheckWeights[i] * (nine_digits[i] - '0');
  }
  const int check = 10 - sum % 11;
  return check == 10 ? -1 : check;
}

absl::StatusOr<EnterpriseCodeParts> ParseEnterpriseCode(absl::string_view code,
                                                        absl::string_view field) {
  if (code.empty()) {
    return Invalid(field, "is required (10 digits, or 10 digits-3 digits for a "
                          "dependent unit)");
  }
  if (code.size() != kEnterpriseCodeLength && code.size() != kDependentUnitCodeLength) {
    return Invalid(field, absl::StrCat("must be 10 digits or 14 characters "
                                       "(NNNNNNNNNN-NNN), got ",
                                       code.size()));
  }
  const bool dependent = code.size() == kDependentUnitCodeLength;
  if (dependent && code[kEnterpriseCodeLength] != '-') {
    return Invalid(field, absl::StrCat("a dependent unit's code has '-' at position 11, "
                                       "found '",
                                       absl::CHexEscape(code.substr(10, 1)), "'"));
  }
  const absl::string_view enterprise = code.substr(0, kEnterpriseCodeLength);
  const absl::string_view unit = dependent ? code.substr(11) : absl::string_view();
  for (auto [part, offset] : {std::pair{enterprise, size_t{0}}, std::pair{unit, size_t{11}}}) {
    if (size_t bad = FirstNonDigit(part); bad != absl::string_view::npos) {
      // Only the offending character is echoed: the input is untrusted.
      return Invalid(field, absl::StrCat("must contain only digits, found '",
                                         absl::CHexEscape(part.substr(bad, 1)),
                                         "' at position ", offset + bad + 1));
    }
  }
  EnterpriseCodeParts parts;
  parts.province = FindProvinceByTwoDigits(enterprise.substr(0, 2));
  if (parts.province == nullptr) {
    return Invalid(field, absl::StrCat("unknown province code ", enterprise.substr(0, 2)));
  }
  parts.sequence = Digits(enterprise.substr(2, 7));
  if (parts.sequence == 0) return Invalid(field, "sequence 0000000 is never assigned");
  const int expected = EnterpriseCheckDigit(enterprise.substr(0, 9));
  if (expected < 0) {
    return Invalid(field, absl::StrCat("prefix ", enterprise.substr(0, 9),
                                       " has no valid check digit"));
  }
  const int check = enterprise[9] - '0';
  if (check != expected) {
    return Invalid(field, absl::StrCat("check digit is ", check, ", expected ", expected));
  }
  parts.enterprise_code = std::string(enterprise);
  if (dependent) {
    parts.dependent_unit = Digits(unit);
    if (parts.dependent_unit == 0) {
      return Invalid(field, "dependent unit number 000 is never assigned");
    }
  }
  return parts;
}

absl::Status ValidateEnterpriseCode(absl::string_view code, absl::string_view field) {
  absl::StatusOr<EnterpriseCodeParts> parts = ParseEnterpriseCode(code, field);
  if (!parts.ok()) return parts.status();
  if (parts->is_dependent_unit()) {
    return Invalid(field, "must be an enterprise's 10-digit code, not a dependent unit's");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> MakeEnterpriseCode(absl::string_view province_code,
                                               int sequence) {
  const Province* province = FindProvince(province_code);
  if (province == nullptr) {
    return Invalid("province_code", absl::StrCat("unknown province code \"",
                                                 absl::CHexEscape(province_code), "\""));
  }
  if (sequence < 1 || sequence >= kEnterpriseSequenceCount) {
    return Invalid("sequence", absl::StrCat(sequence, " is not in 1..9999999"));
  }
  const std::string prefix =
      absl::StrFormat("%s%07d", province->code.substr(1), sequence);
  const int check = EnterpriseCheckDigit(prefix);
  if (check < 0) {
    return absl::NotFoundError(
        absl::StrCat("sequence: prefix ", prefix, " has no valid check digit"));
  }
  return absl::StrCat(prefix, check);
}

absl::StatusOr<std::string> MakeDependentUnitCode(absl::string_view enterprise_code,
                                                  int unit) {
  if (absl::Status valid = ValidateEnterpriseCode(enterprise_code); !valid.ok()) {
    return valid;
  }
  if (unit < 1 || unit > kMaxDependentUnitNumber) {
    return Invalid("unit", absl::StrCat(unit, " is not in 1..999"));
  }
  return absl::StrFormat("%s-%03d", enterprise_code, unit);
}

}  // namespace ndxp::identifiers
