// Admission of callers to a connector: only the peers whose verified client
// certificate carries a SPIFFE ID listed in the configuration's
// allowed_callers (normally just the hub) may call any method, health checks
// included. Others get PERMISSION_DENIED naming them; a peer without a SPIFFE
// identity gets UNAUTHENTICATED.
//
// The check runs as a grpc::AuthMetadataProcessor installed on the server
// credentials, so it covers every method of every registered service before
// any handler runs; it is non-blocking, so gRPC runs it inline on the
// transport thread without a thread hop.
#ifndef NDXP_CONNECTORS_RUNTIME_CALLER_AUTHORIZATION_H_
#define NDXP_CONNECTORS_RUNTIME_CALLER_AUTHORIZATION_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/security/auth_context.h>
#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ndxp/config/v1/connector.pb.h"

namespace ndxp::connectors {

// OK if the peer of `context` has a SPIFFE ID in `allowed_callers`;
// PERMISSION_DENIED "caller <id> is not allowed to call this connector";
// UNAUTHENTICATED when it has no (single) SPIFFE ID.
absl::Status AuthorizeCaller(const grpc::AuthContext& context,
                             const absl::flat_hash_set<std::string>& allowed_callers);

// The processor. Immutable after construction; thread-safe.
class AllowedCallersProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit AllowedCallersProcessor(const std::vector<std::string>& allowed_callers);

  // Inline: the check is a hash lookup and never blocks.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  const absl::flat_hash_set<std::string> allowed_callers_;
};

// Mutual-TLS server credentials from config.tls with an
// AllowedCallersProcessor for config.allowed_callers.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> AuthorizedServerCredentials(
    const ndxp::config::v1::ConnectorConfig& config);

}  // namespace ndxp::connectors

#endif  // NDXP_CONNECTORS_RUNTIME_CALLER_AUTHORIZATION_H_
