// Enterprise codes (mã số doanh nghiệp, which is also the enterprise's tax
// code; Decree 01/2021/NĐ-CP, Circular 105/2020/TT-BTC):
//
//   PP SSSSSSS C          10 digits, an enterprise
//   PP SSSSSSS C-BBB      14 characters, one of its dependent units
//                         (branch, representative office)
//
//   PP       the 2-digit form of the registering province (the last two
//            digits of its 3-digit code in province.h: "01" Hà Nội,
//            "79" Hồ Chí Minh),
//   SSSSSSS  a 7-digit sequence, never 0000000,
//   C        a check digit: 10 - (Σ wᵢ·dᵢ mod 11) over the first nine digits
//            with weights 31, 29, 23, 19, 17, 13, 7, 5, 3. A prefix whose
//            weighted sum is divisible by 11 has no valid code (10 is not a
//            digit), so the registry never assigns that sequence.
//   BBB      the dependent unit's number, 001..999.
//
// Example: for "010023348" the weighted sum is 167, 167 mod 11 = 2, so the
// check digit is 8: "0100233488" is valid, "0100233480" is not, and
// "0100233488-001" is its first branch.
//
// Every error is INVALID_ARGUMENT with a message that starts with the name of
// the offending field and says why, as the personal ID checks do:
//   "enterprise_code: check digit is 0, expected 8"
//
// Example:
//   absl::StatusOr<EnterpriseCodeParts> parts =
//       ParseEnterpriseCode("0100233488-001");
//   parts->province->name;        // "Hà Nội"
//   parts->enterprise_code;       // "0100233488"
//   parts->is_dependent_unit();   // true
//
// All functions are pure and thread-safe.
#ifndef NDXP_COMMON_IDENTIFIERS_ENTERPRISE_CODE_H_
#define NDXP_COMMON_IDENTIFIERS_ENTERPRISE_CODE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/identifiers/province.h"

namespace ndxp::identifiers {

inline constexpr size_t kEnterpriseCodeLength = 10;
// "NNNNNNNNNN-NNN".
inline constexpr size_t kDependentUnitCodeLength = 14;
// Sequences are 1..9999999.
inline constexpr int kEnterpriseSequenceCount = 10000000;
// Dependent units are numbered 1..999.
inline constexpr int kMaxDependentUnitNumber = 999;

// What a well-formed enterprise or dependent-unit code says.
struct EnterpriseCodeParts {
  const Province* province = nullptr;  // static storage, never null once parsed
  int sequence = 0;                    // 1..9999999
  // The 10-digit code of the enterprise itself (the parent of a dependent
  // unit, the whole code otherwise).
  std::string enterprise_code;
  int dependent_unit = 0;  // 1..999 for a dependent unit, 0 for an enterprise

  bool is_dependent_unit() const { return dependent_unit != 0; }
};

// The check digit of a 9-digit prefix (digits only, not checked further), or
// -1 when the prefix has none (its weighted sum is divisible by 11).
int EnterpriseCheckDigit(absl::string_view nine_digits);

// Checks either form (10 digits, or 10 digits '-' 3 digits) — digits,
// province, non-zero sequence, check digit, non-zero unit number — and
// splits it. `field` names the field in errors.
absl::StatusOr<EnterpriseCodeParts> ParseEnterpriseCode(
    absl::string_view code, absl::string_view field = "enterprise_code");

// ParseEnterpriseCode, accepting only the 10-digit form of an enterprise.
absl::Status ValidateEnterpriseCode(absl::string_view code,
                                    absl::string_view field = "enterprise_code");

// The enterprise code for `sequence` (1..9999999) registered in the province
// with 3-digit code `province_code` ("001"). INVALID_ARGUMENT naming the
// argument ("province_code: ...", "sequence: ...") for a bad argument;
// NOT_FOUND when that prefix has no valid check digit (try the next sequence).
absl::StatusOr<std::string> MakeEnterpriseCode(absl::string_view province_code,
                                               int sequence);

// "<enterprise_code>-BBB" for dependent unit `unit` (1..999) of a valid
// 10-digit enterprise code. INVALID_ARGUMENT naming the argument otherwise.
absl::StatusOr<std::string> MakeDependentUnitCode(absl::string_view enterprise_code,
                                                  int unit);

}  // namespace ndxp::identifiers

#endif  // NDXP_COMMON_IDENTIFIERS_ENTERPRISE_CODE_H_
