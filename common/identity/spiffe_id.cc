#include "common/identity/spiffe_id.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/identifiers/agency_code.h"

namespace ndxp {

bool IsValidSubsystemName(absl::string_view subsystem) {
  if (subsystem.empty() || subsystem.size() > 63) return false;
  for (size_t i = 0; i < subsystem.size(); ++i) {
    char c = subsystem[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

absl::StatusOr<ConsumerIdentity> ParseSpiffeId(absl::string_view spiffe_id,
                                               absl::string_view trust_domain) {
  constexpr absl::string_view kScheme = "spiffe://";
  absl::string_view rest = spiffe_id;
  if (!absl::ConsumePrefix(&rest, kScheme) || !absl::ConsumePrefix(&rest, trust_domain) ||
      !absl::ConsumePrefix(&rest, "/")) {
    return absl::UnauthenticatedError(absl::StrCat(
        "identity ", spiffe_id, " is not in trust domain ", trust_domain));
  }
  if (!absl::ConsumePrefix(&rest, "agency/")) {
    return absl::UnauthenticatedError(absl::StrCat(
        "identity ", spiffe_id, " is not of the form spiffe://", trust_domain,
        "/agency/<agency-code>/<subsystem>"));
  }
  ConsumerIdentity identity;
  identity.spiffe_id = spiffe_id;
  identity.agency_subsystem = rest;
  size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) {
    return absl::UnauthenticatedError(
        absl::StrCat("identity ", spiffe_id, " names no subsystem"));
  }
  identity.agency = rest.substr(0, slash);
  identity.subsystem = rest.substr(slash + 1);
  if (!identifiers::IsValidAgencyCode(identity.agency)) {
    return absl::UnauthenticatedError(absl::StrCat(
        "identity ", spiffe_id, " has a malformed agency code \"", identity.agency, "\""));
  }
  if (!IsValidSubsystemName(identity.subsystem)) {
    return absl::UnauthenticatedError(absl::StrCat(
        "identity ", spiffe_id, " has a malformed subsystem name \"",
        identity.subsystem, "\""));
  }
  return identity;
}

}  // namespace ndxp
