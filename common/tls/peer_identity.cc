#include "common/tls/peer_identity.h"

#include <grpc/grpc_security_constants.h>

#include "absl/strings/match.h"

namespace ndxp::tls {

absl::StatusOr<absl::string_view> PeerSpiffeId(const grpc::AuthContext& context) {
  if (!context.IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("no verified client certificate");
  }
  // gRPC sets peer_spiffe_id only when the certificate has exactly one URI SAN
  // and it is a spiffe:// one; look at all URIs to say what is wrong otherwise.
  absl::string_view found;
  int spiffe_uris = 0;
  for (const grpc::string_ref& uri :
       context.FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
    absl::string_view value(uri.data(), uri.size());
    if (absl::StartsWithIgnoreCase(value, "spiffe://")) {
      found = value;
      ++spiffe_uris;
    }
  }
  if (spiffe_uris == 0) {
    return absl::UnauthenticatedError(
        "client certificate has no spiffe:// URI SAN identity");
  }
  if (spiffe_uris > 1) {
    return absl::UnauthenticatedError(
        "client certificate has more than one spiffe:// URI SAN");
  }
  return found;
}

}  // namespace ndxp::tls
