#include "gateway/identity/provider_verifier.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/identity/spiffe_id.h"

namespace ndxp::gateway {

namespace {

std::string Presented(const std::vector<std::string>& uri_names) {
  return uri_names.empty() ? std::string("no URI SAN") : absl::StrJoin(uri_names, ", ");
}

}  // namespace

absl::Status CheckProviderIdentity(const std::vector<std::string>& uri_names,
                                   absl::string_view trust_domain, absl::string_view provider) {
  for (const std::string& uri : uri_names) {
    absl::StatusOr<ConsumerIdentity> identity = ParseSpiffeId(uri, trust_domain);
    if (identity.ok() && identity->agency == provider) return absl::OkStatus();
  }
  return absl::UnauthenticatedError(absl::StrCat(
      "the connector's certificate presents ",
      Presented(uri_names),
      ", not an identity of provider ", provider, " in ", trust_domain));
}

absl::Status CheckPeerHubIdentity(const std::vector<std::string>& uri_names,
                                  absl::string_view peer_hub) {
  for (const std::string& uri : uri_names) {
    if (uri == peer_hub) return absl::OkStatus();
  }
  return absl::UnauthenticatedError(absl::StrCat("the peer hub's certificate presents ",
                                                 Presented(uri_names), ", not ", peer_hub));
}

}  // namespace ndxp::gateway
