// The assertion a hub sends a peer hub with each call it forwards on behalf
// of one of its members (docs/design.md "Peer hubs"): who the original
// consumer is, for which call, until when, signed with the forwarding hub's
// TLS key. The receiving hub checks it with the certificate the forwarding
// hub presented in that very connection's handshake, so no second PKI is
// needed and an assertion is worth nothing on any other connection.
//
// Pure functions over bytes from the network: nothing here trusts the header
// before its signature has verified.
//
// Example (forwarding side, per upstream connection):
//   NDXP_ASSIGN_OR_RETURN(std::string value, SignAssertion(assertion, own_key));
// (receiving side, the peer's connection):
//   absl::StatusOr<ConsumerAssertion> a = OpenAssertion(value, peer_key, call);
#ifndef NDXP_GATEWAY_PEERING_CONSUMER_ASSERTION_H_
#define NDXP_GATEWAY_PEERING_CONSUMER_ASSERTION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/protocol/metadata.h"
#include "ndxp/hub/v1/assertion.pb.h"

struct evp_pkey_st;

namespace ndxp::gateway {

using ConsumerAssertion = ndxp::hub::v1::ConsumerAssertion;

// By its length: a constant expression under -fsanitize=undefined too,
// which the pointer-only constructor (a null check) is not.
inline constexpr absl::string_view kAssertionHeader(protocol::kAssertionHeader,
                                                    sizeof(protocol::kAssertionHeader) - 1);
// Hubs a call may pass through, the first (where the consumer connects) and
// the last (whose connector answers) included: a loop of routes between hubs
// is cut at the third.
inline constexpr int kMaxHubsOnPath = 3;
inline constexpr absl::Duration kMaxAssertionLifetime = absl::Seconds(60);
inline constexpr absl::Duration kDefaultAssertionLifetime = absl::Seconds(10);
// How far two hubs' clocks may disagree: an assertion issued up to this far
// in the receiver's future is accepted.
inline constexpr absl::Duration kAssertionClockSkew = absl::Seconds(5);
inline constexpr size_t kAssertionNonceBytes = 16;
// A header value longer than this is refused before any decoding.
inline constexpr size_t kMaxAssertionHeaderBytes = 4096;

// The header value of `assertion` signed with `key` (the private key of the
// connection it will travel on). INTERNAL if signing fails.
absl::StatusOr<std::string> SignAssertion(const ConsumerAssertion& assertion, evp_pkey_st* key);

// What the receiving hub knows of the call the header came with.
struct CallToCheck {
  absl::string_view method;      // ":path"
  absl::string_view request_id;  // x-ndxp-request-id as received, "" when none
  absl::string_view purpose;     // x-ndxp-purpose as received (percent-encoded), "" when none
  absl::Time now;
};

// The assertion `header_value` carries, once it is shown sound: well formed,
// signed by `signer_key` (the public key of the certificate the peer
// presented in this connection's handshake), issued at most
// kAssertionClockSkew in the future, valid at most kMaxAssertionLifetime and
// not expired, for this call's method, request id and purpose, and with at
// most kMaxHubsOnPath hubs counting the signer and this one. UNAUTHENTICATED
// "x-ndxp-assertion: <the check that failed>" otherwise (PERMISSION_DENIED
// for the hop limit). Scope and replay are the peer table's (peers.h).
absl::StatusOr<ConsumerAssertion> OpenAssertion(absl::string_view header_value,
                                                evp_pkey_st* signer_key, const CallToCheck& call);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_PEERING_CONSUMER_ASSERTION_H_
