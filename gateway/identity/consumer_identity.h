// Who is calling: the agency identity a verified client certificate carries.
#ifndef NDXP_GATEWAY_IDENTITY_CONSUMER_IDENTITY_H_
#define NDXP_GATEWAY_IDENTITY_CONSUMER_IDENTITY_H_

#include <grpcpp/security/auth_context.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ndxp::gateway {

// A consumer's identity, parsed from the SPIFFE ID
// `spiffe://<trust-domain>/agency/<agency-code>/<subsystem>`.
// All views point into the string the identity was parsed from (for a call:
// its auth context), so an identity costs no allocation on the hot path.
struct ConsumerIdentity {
  absl::string_view spiffe_id;         // the whole URI
  absl::string_view agency;            // "000.00.00.G12"
  absl::string_view subsystem;         // "tax-lookup"
  absl::string_view agency_subsystem;  // "000.00.00.G12/tax-lookup"
};

// Parses and validates a SPIFFE ID of `trust_domain`; UNAUTHENTICATED naming
// the reason (other trust domain, not an agency path, malformed agency code or
// subsystem).
absl::StatusOr<ConsumerIdentity> ParseSpiffeId(absl::string_view spiffe_id,
                                               absl::string_view trust_domain);

// The identity of a call's verified peer certificate; UNAUTHENTICATED if the
// certificate carries no valid identity of `trust_domain`.
absl::StatusOr<ConsumerIdentity> IdentityFromAuthContext(
    const grpc::AuthContext& context, absl::string_view trust_domain);

// True for "[a-z0-9][a-z0-9._-]{0,62}".
bool IsValidSubsystemName(absl::string_view subsystem);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_IDENTITY_CONSUMER_IDENTITY_H_
