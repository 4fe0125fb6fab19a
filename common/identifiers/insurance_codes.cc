#include "common/identifiers/insurance_codes.h"

#include <algorithm>
#include <array>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ndxp::identifiers {
namespace {

// The categories of Decision 1351/QĐ-BHXH this federation recognises, sorted
// by code so FindParticipantCategory can binary-search.
constexpr std::array<ParticipantCategory, 31> kCategories = {{
    {"BT", "social protection allowance recipient"},
    {"CA", "people's police officer"},
    {"CB", "veteran"},
    {"CC", "person with meritorious services to the revolution"},
    {"CH", "employee of a state agency or public service unit"},
    {"CN", "member of a near-poor household"},
    {"CT", "survivor's allowance recipient aged 80 or more"},
    {"CY", "cipher officer"},
    {"DN", "employee of an enterprise"},
    {"DT", "ethnic minority living in a disadvantaged area"},
    {"GB", "member of a farming, forestry or fishing household of average income"},
    {"GD", "member of a household (voluntary household participation)"},
    {"HC", "civil servant or public employee"},
    {"HN", "member of a poor household"},
    {"HS", "pupil"},
    {"HT", "pensioner"},
    {"HX", "employee of a cooperative"},
    {"KC", "resistance war participant"},
    {"NN", "employee of a foreign or international organisation"},
    {"NO", "employee on long-term sickness allowance"},
    {"QN", "military officer or soldier"},
    {"SV", "university or college student"},
    {"TB", "work-injury or occupational-disease allowance recipient"},
    {"TC", "relative of a person with meritorious services"},
    {"TE", "child under six"},
    {"TK", "employee of another organisation"},
    {"TN", "unemployment benefit recipient"},
    {"TS", "relative of a martyr"},
    {"XB", "former commune official on a monthly allowance"},
    {"XK", "commune-level official"},
    {"XV", "volunteer (voluntary participation)"},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int Digits(absl::string_view s) {
  int value = 0;
  for (char c : s) value = value * 10 + (c - '0');
  return value;
}

absl::Status Invalid(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

// The first non-digit of `s`, as "found 'x' at position N" (1-based, offset
// by `first_position - 1`), or empty when all are digits. Only the offending
// character is echoed: the input is untrusted.
std::string FirstNonDigit(absl::string_view s, size_t first_position = 1) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsDigit(s[i])) {
      return absl::StrCat("found '", absl::CHexEscape(s.substr(i, 1)), "' at position ",
                          i + first_position);
    }
  }
  return "";
}

}  // namespace

absl::Span<const ParticipantCategory> AllParticipantCategories() { return kCategories; }

const ParticipantCategory* FindParticipantCategory(absl::string_view code) {
  auto it = std::lower_bound(
      kCategories.begin(), kCategories.end(), code,
      [](const ParticipantCategory& c, absl::string_view key) { return c.code < key; });
  if (it == kCategories.end() || it->code != code) return nullptr;
  return &*it;
}

const Province* FindProvinceByTwoDigitCode(absl::string_view two_digits) {
  if (two_digits.size() != 2 || !IsDigit(two_digits[0]) || !IsDigit(two_digits[1])) {
    return nullptr;
  }
  // Every 3-digit code is "0NN" (001..096), so the 2-digit form is unique.
  const std::string three_digits = absl::StrCat("0", two_digits);
  return FindProvince(three_digits);
}

absl::string_view TwoDigitProvinceCode(absl::string_view three_digit_code) {
  if (three_digit_code.size() != 3) return "";
  return three_digit_code.substr(1);
}

absl::StatusOr<SocialInsuranceCodeParts> ParseSocialInsuranceCode(absl::string_view code,
                                                                  absl::string_view field) {
  if (code.empty()) return Invalid(field, "is required (10 digits)");
  if (code.size() != kSocialInsuranceCodeLength) {
    return Invalid(field, absl::StrCat("must be exactly 10 digits, got ", code.size()));
  }
  if (std::string bad = FirstNonDigit(code); !bad.empty()) {
    return Invalid(field, absl::StrCat("must contain only digits, ", bad));
  }
  SocialInsuranceCodeParts parts;
  parts.province = FindProvinceByTwoDigitCode(code.substr(0, 2));
  if (parts.province == nullptr) {
    return Invalid(field, absl::StrCat("\"", code, "\" starts with ", code.substr(0, 2),
                                       ", which is not the 2-digit code of a province"));
  }
  parts.serial = Digits(code.substr(2));
  return parts;
}

absl::Status ValidateSocialInsuranceCode(absl::string_view code, absl::string_view field) {
  return ParseSocialInsuranceCode(code, field).status();
}

absl::StatusOr<std::string> MakeSocialInsuranceCode(absl::string_view province_code,
                                                    int serial) {
  if (FindProvince(province_code) == nullptr) {
    return Invalid("province_code", absl::StrCat("unknown province code \"",
                                                 absl::CHexEscape(province_code), "\""));
  }
  if (serial < 0 || serial >= kSocialInsuranceSerialCount) {
    return Invalid("serial", absl::StrCat(serial, " is not in 0-99999999"));
  }
  std::string digits = absl::StrCat(serial);
  return absl::StrCat(TwoDigitProvinceCode(province_code),
                      std::string(8 - digits.size(), '0'), digits);
}

absl::StatusOr<HealthInsuranceCardParts> ParseHealthInsuranceCardCode(
    absl::string_view code, absl::string_view field) {
  if (code.empty()) return Invalid(field, "is required (15 characters)");
  if (code.size() != kHealthInsuranceCardCodeLength) {
    return Invalid(field, absl::StrCat("must be exactly 15 characters, got ", code.size()));
  }
  HealthInsuranceCardParts parts;
  const absl::string_view category = code.substr(0, 2);
  parts.category = FindParticipantCategory(category);
  if (parts.category == nullptr) {
    return Invalid(field, absl::StrCat("participant category \"", absl::CHexEscape(category),
                                       "\" (characters 1-2) is not a known category"));
  }
  if (code[2] < '0' + kMinBenefitLevel || code[2] > '0' + kMaxBenefitLevel) {
    return Invalid(field, absl::StrCat("benefit level '", absl::CHexEscape(code.substr(2, 1)),
                                       "' (character 3) is not 1-5"));
  }
  parts.benefit_level = code[2] - '0';
  const absl::string_view province = code.substr(3, 2);
  parts.issuing_province = FindProvinceByTwoDigitCode(province);
  if (parts.issuing_province == nullptr) {
    return Invalid(field, absl::StrCat("issuing province \"", absl::CHexEscape(province),
                                       "\" (characters 4-5) is not the 2-digit code of a "
                                       "province"));
  }
  const absl::string_view social = code.substr(5);
  if (std::string bad = FirstNonDigit(social, 6); !bad.empty()) {
    return Invalid(field, absl::StrCat("social insurance code (characters 6-15) must be "
                                       "digits, ", bad));
  }
  if (FindProvinceByTwoDigitCode(social.substr(0, 2)) == nullptr) {
    return Invalid(field, absl::StrCat("social insurance code ", social,
                                       " (characters 6-15) starts with ", social.substr(0, 2),
                                       ", which is not the 2-digit code of a province"));
  }
  parts.social_insurance_code = std::string(social);
  return parts;
}

absl::Status ValidateHealthInsuranceCardCode(absl::string_view code,
                                             absl::string_view field) {
  return ParseHealthInsuranceCardCode(code, field).status();
}

absl::StatusOr<std::string> MakeHealthInsuranceCardCode(
    absl::string_view category, int benefit_level, absl::string_view issuing_province_code,
    absl::string_view social_insurance_code) {
  if (FindParticipantCategory(category) == nullptr) {
    return Invalid("category", absl::StrCat("\"", absl::CHexEscape(category),
                                            "\" is not a known participant category"));
  }
  if (benefit_level < kMinBenefitLevel || benefit_level > kMaxBenefitLevel) {
    return Invalid("benefit_level", absl::StrCat(benefit_level, " is not 1-5"));
  }
  if (FindProvince(issuing_province_code) == nullptr) {
    return Invalid("issuing_province_code",
                   absl::StrCat("unknown province code \"",
                                absl::CHexEscape(issuing_province_code), "\""));
  }
  if (absl::Status s = ValidateSocialInsuranceCode(social_insurance_code); !s.ok()) return s;
  return absl::StrCat(category, benefit_level, TwoDigitProvinceCode(issuing_province_code),
                      social_insurance_code);
}

}  // namespace ndxp::identifiers
