// Who a federation member is: the agency identity a SPIFFE ID names,
// `spiffe://<trust-domain>/agency/<agency-code>/<subsystem>`. The hub reads it
// from a verified certificate; a connector from the x-ndxp-consumer header the
// hub set.
#ifndef NDXP_COMMON_IDENTITY_SPIFFE_ID_H_
#define NDXP_COMMON_IDENTITY_SPIFFE_ID_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ndxp {

// A consumer's identity, parsed from its SPIFFE ID.
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

// True for "[a-z0-9][a-z0-9._-]{0,62}".
bool IsValidSubsystemName(absl::string_view subsystem);

}  // namespace ndxp

#endif  // NDXP_COMMON_IDENTITY_SPIFFE_ID_H_
