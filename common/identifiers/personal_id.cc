#include "common/identifiers/personal_id.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ndxp::identifiers {
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

// The century/sex digit for a birth year already known to be encodable.
int CenturySexDigit(int birth_year, Sex sex) {
  return (birth_year - kFirstEncodableBirthYear) / 100 * 2 + (sex == Sex::kFemale ? 1 : 0);
}

}  // namespace

absl::StatusOr<PersonalIdParts> ParsePersonalId(absl::string_view id,
                                                absl::string_view field) {
  if (id.empty()) return Invalid(field, "is required (12 digits)");
  if (id.size() != kPersonalIdLength) {
    return Invalid(field, absl::StrCat("must be exactly 12 digits, got ", id.size()));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (!IsDigit(id[i])) {
      // Only the offending character is echoed: the input is untrusted.
      return Invalid(field, absl::StrCat("must contain only digits, found '",
                                         absl::CHexEscape(id.substr(i, 1)),
                                         "' at position ", i + 1));
    }
  }
  PersonalIdParts parts;
  absl::string_view province_code = id.substr(0, 3);
  parts.province = FindProvince(province_code);
  if (parts.province == nullptr) {
    return Invalid(field, absl::StrCat("\"", id, "\" has unknown province code ",
                                       province_code));
  }
  int g = id[3] - '0';
  if (g > 5) {
    return Invalid(field, absl::StrCat("century/sex digit ", g, " is not 0-5"));
  }
  parts.century = kFirstEncodableBirthYear + g / 2 * 100;
  parts.sex = g % 2 == 0 ? Sex::kMale : Sex::kFemale;
  parts.two_digit_year = Digits(id.substr(4, 2));
  parts.serial = Digits(id.substr(6, 6));
  return parts;
}

absl::Status ValidatePersonalId(absl::string_view id, const CivilDate* date_of_birth,
                                const Sex* sex, absl::string_view field) {
  absl::StatusOr<PersonalIdParts> parts = ParsePersonalId(id, field);
  if (!parts.ok()) return parts.status();
  int g = id[3] - '0';
  if (date_of_birth != nullptr) {
    const std::string date = date_of_birth->ToString();
    if (!date_of_birth->IsValid()) {
      return Invalid(field, absl::StrCat("cannot be checked against date_of_birth ",
                                         date, ", which is not a valid calendar date"));
    }
    if (date_of_birth->year / 100 * 100 != parts->century) {
      return Invalid(field, absl::StrCat("century/sex digit ", g, " means born ",
                                         parts->century, "-", parts->century + 99,
                                         ", but date_of_birth is ", date));
    }
    if (date_of_birth->year % 100 != parts->two_digit_year) {
      return Invalid(field, absl::StrCat("birth year digits ", id.substr(4, 2),
                                         " disagree with date_of_birth ", date));
    }
  }
  if (sex != nullptr && *sex != parts->sex) {
    return Invalid(field, absl::StrCat("century/sex digit ", g, " means ",
                                       SexName(parts->sex), ", but sex is ",
                                       SexName(*sex)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> MakePersonalId(absl::string_view province_code,
                                           int birth_year, Sex sex, int serial) {
  if (FindProvince(province_code) == nullptr) {
    return Invalid("province_code",
                   absl::StrCat("unknown province code \"",
                                absl::CHexEscape(province_code), "\""));
  }
  if (birth_year < kFirstEncodableBirthYear || birth_year > kLastEncodableBirthYear) {
    return Invalid("birth_year",
                   absl::StrCat(birth_year, " is outside 1900-2199, the years a "
                                            "personal ID number can encode"));
  }
  if (serial < 0 || serial >= kPersonalIdSerialCount) {
    return Invalid("serial", absl::StrCat(serial, " is not in 0-999999"));
  }
  return absl::StrFormat("%s%d%02d%06d", province_code, CenturySexDigit(birth_year, sex),
                         birth_year % 100, serial);
}

}  // namespace ndxp::identifiers
