#include "common/identifiers/agency_code.h"

#include "absl/strings/str_cat.h"

namespace ndxp::identifiers {
namespace {

bool IsCodeChar(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); }

// Empty when valid, else why not.
absl::string_view AgencyCodeProblem(absl::string_view code) {
  if (code.empty()) return "is empty";
  if (code.size() > kMaxAgencyCodeLength) return "is longer than 35 characters";
  bool group_empty = true;
  for (char c : code) {
    if (c == '.') {
      if (group_empty) return "has an empty group (leading, trailing or doubled '.')";
      group_empty = true;
    } else if (IsCodeChar(c)) {
      group_empty = false;
    } else {
      return "may contain only digits, upper-case letters and '.'";
    }
  }
  if (group_empty) return "has an empty group (leading, trailing or doubled '.')";
  return {};
}

}  // namespace

bool IsValidAgencyCode(absl::string_view code) { return AgencyCodeProblem(code).empty(); }

absl::Status ValidateAgencyCode(absl::string_view code, absl::string_view field) {
  absl::string_view problem = AgencyCodeProblem(code);
  if (problem.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": agency code \"", code, "\" ", problem));
}

}  // namespace ndxp::identifiers
