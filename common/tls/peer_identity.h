// The SPIFFE ID a verified peer certificate carries, read from a call's
// gRPC auth context.
#ifndef NDXP_COMMON_TLS_PEER_IDENTITY_H_
#define NDXP_COMMON_TLS_PEER_IDENTITY_H_

#include <grpcpp/security/auth_context.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ndxp::tls {

// The peer certificate's single spiffe:// URI SAN. The view points into
// `context`, valid while it lives. UNAUTHENTICATED when the peer was not
// authenticated, has no spiffe URI SAN, or has more than one.
absl::StatusOr<absl::string_view> PeerSpiffeId(const grpc::AuthContext& context);

}  // namespace ndxp::tls

#endif  // NDXP_COMMON_TLS_PEER_IDENTITY_H_
