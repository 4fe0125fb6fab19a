// Personal ID numbers (số định danh cá nhân, Decree 137/2015, Circular
// 59/2021/TT-BCA): 12 digits "PPP G YY RRRRRR" —
//   PPP     the province where the birth was registered (see province.h),
//   G       century and sex: 0/1 born 1900-1999 male/female, 2/3 2000-2099,
//           4/5 2100-2199 (6-9 are reserved and invalid),
//   YY      the last two digits of the birth year,
//   RRRRRR  six digits that tell apart people sharing PPP G YY.
//
// Every error is INVALID_ARGUMENT with a message that starts with the name of
// the offending field and says why, so a service can return it as is:
//   "personal_id: must be exactly 12 digits, got 11"
//
// Example:
//   absl::StatusOr<PersonalIdParts> parts = ParsePersonalId("079090001234");
//   parts->province->name;  // "Hồ Chí Minh"
//   parts->birth_year();    // 1990
//   parts->sex;             // Sex::kMale
//
// All functions are pure and thread-safe.
#ifndef NDXP_COMMON_IDENTIFIERS_PERSONAL_ID_H_
#define NDXP_COMMON_IDENTIFIERS_PERSONAL_ID_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/identifiers/civil_date.h"
#include "common/identifiers/province.h"

namespace ndxp::identifiers {

inline constexpr size_t kPersonalIdLength = 12;
// Birth years a personal ID number can encode.
inline constexpr int kFirstEncodableBirthYear = 1900;
inline constexpr int kLastEncodableBirthYear = 2199;
// Serials are six digits.
inline constexpr int kPersonalIdSerialCount = 1000000;

// What a well-formed personal ID number says.
struct PersonalIdParts {
  const Province* province = nullptr;  // static storage, never null once parsed
  int century = 0;                     // 1900, 2000 or 2100
  Sex sex = Sex::kMale;
  int two_digit_year = 0;              // 0..99
  int serial = 0;                      // 0..999999

  int birth_year() const { return century + two_digit_year; }
};

// Checks the shape of `id` (12 ASCII digits, a province code from the table,
// a century/sex digit 0-5) and splits it. `field` names the field in errors.
absl::StatusOr<PersonalIdParts> ParsePersonalId(
    absl::string_view id, absl::string_view field = "personal_id");

// ParsePersonalId, and where given (non-null) that the number agrees with the
// holder's date of birth (century and last two digits of the year) and sex
// (parity of the century/sex digit). An invalid calendar date is an error.
absl::Status ValidatePersonalId(absl::string_view id,
                                const CivilDate* date_of_birth,
                                const Sex* sex,
                                absl::string_view field = "personal_id");

// The personal ID number for a birth registered in `province_code` in
// `birth_year` (1900-2199) with the given six-digit `serial` (0-999999).
// Errors name the argument: "province_code: ...", "birth_year: ...",
// "serial: ...".
absl::StatusOr<std::string> MakePersonalId(absl::string_view province_code,
                                           int birth_year, Sex sex, int serial);

}  // namespace ndxp::identifiers

#endif  // NDXP_COMMON_IDENTIFIERS_PERSONAL_ID_H_
