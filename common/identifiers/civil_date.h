// Calendar dates without a time zone (birth and death dates) and the sex
// recorded on a personal ID, as plain values the identifier checks share.
//
// Example:
//   CivilDate d{1990, 2, 29};
//   d.IsValid();                            // false: 1990 is not a leap year
//   ValidateCivilDate(d, "date_of_birth");  // "date_of_birth: 1990-02-29 is
//                                           //  not a valid calendar date"
#ifndef NDXP_COMMON_IDENTIFIERS_CIVIL_DATE_H_
#define NDXP_COMMON_IDENTIFIERS_CIVIL_DATE_H_

#include <string>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ndxp::identifiers {

// Proleptic Gregorian calendar.
constexpr bool IsLeapYear(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

// 28..31; 0 for a month outside 1..12.
constexpr int DaysInMonth(int year, int month) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// A date as written on a civil-status document. A plain value: it may hold an
// impossible date (it mirrors what arrived on the wire); ask IsValid().
struct CivilDate {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..DaysInMonth(year, month)

  // A real calendar day in years 1..9999 (leap years included).
  constexpr bool IsValid() const {
    return year >= 1 && year <= 9999 && day >= 1 && day <= DaysInMonth(year, month);
  }

  // "YYYY-MM-DD" (zero-padded; impossible dates are printed as they are).
  std::string ToString() const;

  friend constexpr bool operator==(const CivilDate& a, const CivilDate& b) {
    return a.year == b.year && a.month == b.month && a.day == b.day;
  }
  friend constexpr bool operator!=(const CivilDate& a, const CivilDate& b) {
    return !(a == b);
  }
  friend bool operator<(const CivilDate& a, const CivilDate& b) {
    return std::tie(a.year, a.month, a.day) < std::tie(b.year, b.month, b.day);
  }
};

// OK, or INVALID_ARGUMENT "<field>: 1990-02-29 is not a valid calendar date".
absl::Status ValidateCivilDate(const CivilDate& date, absl::string_view field);

// The sex as encoded by the parity of a personal ID's century/sex digit.
enum class Sex { kMale, kFemale };

// "male" / "female", for messages.
absl::string_view SexName(Sex sex);

}  // namespace ndxp::identifiers

#endif  // NDXP_COMMON_IDENTIFIERS_CIVIL_DATE_H_
