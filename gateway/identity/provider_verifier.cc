#include "gateway/identity/provider_verifier.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/identity/consumer_identity.h"

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

bool ProviderIdentityVerifier::Verify(
    grpc::experimental::TlsCustomVerificationCheckRequest* request,
    std::function<void(grpc::Status)> /*callback*/, grpc::Status* sync_status) {
  std::vector<std::string> uri_names;
  for (const grpc::string_ref& uri : request->uri_names()) {
    uri_names.emplace_back(uri.data(), uri.size());
  }
  absl::Status checked = CheckProviderIdentity(uri_names, trust_domain_, provider_);
  *sync_status = checked.ok() ? grpc::Status::OK
                              : grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                             std::string(checked.message()));
  return true;  // answered synchronously
}

}  // namespace ndxp::gateway
