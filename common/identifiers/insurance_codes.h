// Social insurance codes (mã số bảo hiểm xã hội) and health-insurance card
// codes (mã thẻ bảo hiểm y tế, Decision 1351/QĐ-BHXH of 2015):
//
//   social insurance code   PP NNNNNNNN           10 digits
//   health-insurance card   CC L PP SSSSSSSSSS    15 characters
//
//   PP          a 2-digit province code: the last two digits of one of the
//               63 three-digit codes of province.h ("01" Hà Nội, "79" Hồ Chí
//               Minh). In a social insurance code, where it was first issued;
//               in a card code, the issuing office's province.
//   NNNNNNNN    8 digits telling apart the people registered in a province.
//   CC          the participant category, two capital letters from
//               AllParticipantCategories() ("TE" child under six, "DN"
//               employee of an enterprise, "HT" pensioner, ...).
//   L           the benefit level, 1 (all costs covered) .. 5.
//   SSSSSSSSSS  the holder's social insurance code.
//
// Example: "TE1790123456789" is a child's card (level 1) issued in Hồ Chí
// Minh to the holder of social insurance code "0123456789" (Hà Nội).
//
// Every error is INVALID_ARGUMENT with a message that starts with the name of
// the offending field and says exactly what is wrong, as the personal ID
// checks do:
//   "social_insurance_code: must be exactly 10 digits, got 9"
//   "card_code: benefit level '7' (character 3) is not 1-5"
//
// All functions are pure and thread-safe.
#ifndef NDXP_COMMON_IDENTIFIERS_INSURANCE_CODES_H_
#define NDXP_COMMON_IDENTIFIERS_INSURANCE_CODES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/identifiers/province.h"

namespace ndxp::identifiers {

inline constexpr size_t kSocialInsuranceCodeLength = 10;
inline constexpr size_t kHealthInsuranceCardCodeLength = 15;
// The part of a social insurance code after the province: 8 digits.
inline constexpr int kSocialInsuranceSerialCount = 100000000;
inline constexpr int kMinBenefitLevel = 1;
inline constexpr int kMaxBenefitLevel = 5;

// One participant category of a health-insurance card. Views into static
// storage.
struct ParticipantCategory {
  absl::string_view code;         // two capital letters, "TE"
  absl::string_view description;  // English, for messages and documentation
};

// The known categories, in ascending code order. Static storage.
absl::Span<const ParticipantCategory> AllParticipantCategories();

// The category with this exact code, or nullptr.
const ParticipantCategory* FindParticipantCategory(absl::string_view code);

// The province whose 3-digit code ends in `two_digits` ("79" -> "079"), or
// nullptr (also for anything that is not exactly two digits).
const Province* FindProvinceByTwoDigitCode(absl::string_view two_digits);

// The 2-digit form of a 3-digit province code ("079" -> "79"); the argument
// is not checked beyond having three characters (empty result otherwise).
absl::string_view TwoDigitProvinceCode(absl::string_view three_digit_code);

// What a well-formed social insurance code says.
struct SocialInsuranceCodeParts {
  const Province* province = nullptr;  // static storage, never null once parsed
  int serial = 0;                      // 0..99999999
};

// Checks `code` (10 ASCII digits, the first two the 2-digit form of a
// province) and splits it. `field` names the field in errors.
absl::StatusOr<SocialInsuranceCodeParts> ParseSocialInsuranceCode(
    absl::string_view code, absl::string_view field = "social_insurance_code");

absl::Status ValidateSocialInsuranceCode(absl::string_view code,
                                         absl::string_view field = "social_insurance_code");

// The social insurance code for `serial` (0..99999999) in the province with
// 3-digit code `province_code` ("079" -> "79" + 8 digits). Errors name the
// argument: "province_code: ...", "serial: ...".
absl::StatusOr<std::string> MakeSocialInsuranceCode(absl::string_view province_code,
                                                    int serial);

// What a well-formed health-insurance card code says.
struct HealthInsuranceCardParts {
  const ParticipantCategory* category = nullptr;  // static storage
  int benefit_level = 0;                          // 1..5
  const Province* issuing_province = nullptr;     // static storage
  std::string social_insurance_code;              // the last 10 characters
};

// Checks `code` (15 characters: a known category, a level 1-5, a 2-digit
// province, a valid social insurance code) and splits it. `field` names the
// field in errors.
absl::StatusOr<HealthInsuranceCardParts> ParseHealthInsuranceCardCode(
    absl::string_view code, absl::string_view field = "card_code");

absl::Status ValidateHealthInsuranceCardCode(absl::string_view code,
                                             absl::string_view field = "card_code");

// The card code for a holder of `social_insurance_code` in `category` at
// `benefit_level`, issued by the office of the province with 3-digit code
// `issuing_province_code`. Errors name the argument: "category: ...",
// "benefit_level: ...", "issuing_province_code: ...",
// "social_insurance_code: ...".
absl::StatusOr<std::string> MakeHealthInsuranceCardCode(
    absl::string_view category, int benefit_level, absl::string_view issuing_province_code,
    absl::string_view social_insurance_code);

}  // namespace ndxp::identifiers

#endif  // NDXP_COMMON_IDENTIFIERS_INSURANCE_CODES_H_
