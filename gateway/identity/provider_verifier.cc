#include "gateway/identity/provider_verifier.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/identity/spiffe_id.h"

namespace ndxp::gateway {

absl::Status CheckProviderIdentity(const std::vector<std::string>& uri_names,
                                   absl::string_view trust_domain, absl::string_view provider) {
  for (const std::string& uri : uri_names) {
    absl::StatusOr<ConsumerIdentity> identity = ParseSpiffeId(uri, trust_domain);
    if (identity.ok() && identity->agency == provider) return absl::OkStatus();
  }
  return absl::UnauthenticatedError(absl::StrCat(
      "the connector's certificate presents ",
      uri_names.empty() ? std::string("no URI SAN") : absl::StrJoin(uri_names, ", "),
      ", not an identity of provider ", provider, " in ", trust_domain));
}

}  // namespace ndxp::gateway
