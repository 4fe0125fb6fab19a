#include "connectors/runtime/caller_authorization.h"

#include "absl/strings/str_cat.h"
#include "common/tls/credentials.h"
#include "common/tls/peer_identity.h"
#include "common/status/status_util.h"

namespace ndxp::connectors {

absl::Status AuthorizeCaller(const grpc::AuthContext& context,
                             const absl::flat_hash_set<std::string>& allowed_callers) {
  absl::StatusOr<absl::string_view> caller = ndxp::tls::PeerSpiffeId(context);
  if (!caller.ok()) return caller.status();
  if (!allowed_callers.contains(*caller)) {
    return absl::PermissionDeniedError(
        absl::StrCat("caller ", *caller, " is not allowed to call this connector"));
  }
  return absl::OkStatus();
}

AllowedCallersProcessor::AllowedCallersProcessor(
    const std::vector<std::string>& allowed_callers)
    : allowed_callers_(allowed_callers.begin(), allowed_callers.end()) {}

grpc::Status AllowedCallersProcessor::Process(const InputMetadata& /*auth_metadata*/,
                                              grpc::AuthContext* context,
                                              OutputMetadata* /*consumed_auth_metadata*/,
                                              OutputMetadata* /*response_metadata*/) {
  if (context == nullptr) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no authentication context");
  }
  return ToGrpcStatus(AuthorizeCaller(*context, allowed_callers_));
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> AuthorizedServerCredentials(
    const ndxp::config::v1::ConnectorConfig& config) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ndxp::tls::MutualTlsServerCredentials(config.tls());
  if (!credentials.ok()) return credentials.status();
  (*credentials)->SetAuthMetadataProcessor(std::make_shared<AllowedCallersProcessor>(
      std::vector<std::string>(config.allowed_callers().begin(),
                               config.allowed_callers().end())));
  return credentials;
}

}  // namespace ndxp::connectors
