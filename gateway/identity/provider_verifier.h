// The hub's check of the connector it is about to call: during the TLS
// handshake on the upstream leg, the connector's certificate must carry the
// SPIFFE ID of the agency the route names as provider. A certificate of any
// other member of the federation (valid for the CA, even with the right
// 127.0.0.1/localhost SAN) fails the handshake, so a mis-pointed route or a
// process squatting on a connector's port never receives citizens' data.
//
// Example (the transport, after the upstream handshake):
//   if (!CheckProviderIdentity({spiffe_id}, trust_domain, provider).ok()) Close();
#ifndef NDXP_GATEWAY_IDENTITY_PROVIDER_VERIFIER_H_
#define NDXP_GATEWAY_IDENTITY_PROVIDER_VERIFIER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ndxp::gateway {

// OK when one of `uri_names` (the certificate's URI SANs) is a valid SPIFFE
// ID of `trust_domain` whose agency is `provider`; UNAUTHENTICATED naming what
// the certificate presented otherwise.
absl::Status CheckProviderIdentity(const std::vector<std::string>& uri_names,
                                   absl::string_view trust_domain, absl::string_view provider);

// OK when one of `uri_names` is exactly `peer_hub` (a peer hub's SPIFFE
// ID); UNAUTHENTICATED naming what the certificate presented otherwise.
absl::Status CheckPeerHubIdentity(const std::vector<std::string>& uri_names,
                                  absl::string_view peer_hub);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_IDENTITY_PROVIDER_VERIFIER_H_
