#include "common/identifiers/civil_date.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ndxp::identifiers {

std::string CivilDate::ToString() const {
  return absl::StrFormat("%04d-%02d-%02d", year, month, day);
}

absl::Status ValidateCivilDate(const CivilDate& date, absl::string_view field) {
  if (date.IsValid()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", date.ToString(), " is not a valid calendar date"));
}

absl::string_view SexName(Sex sex) { return sex == Sex::kMale ? "male" : "female"; }

}  // namespace ndxp::identifiers
