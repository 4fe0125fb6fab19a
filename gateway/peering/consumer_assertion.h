// The assertion a hub sends a peer hub with each call it forwards on behalf
// of one of its members (docs/design.md "Peer hubs"): who the original
// consumer is, for which call, until when, proven by the connection it
// travels on. Two forms:
//   MAC'd   "m1." base64url(assertion) "." base64url(HMAC-SHA256): keyed with
//           the connection's TLS 1.3 exporter (AssertionMacKey), which only
//           its two ends can derive; what a hub sends on TLS 1.3.
//   signed  base64url(assertion) "." base64url(signature): with the
//           forwarding hub's TLS key, checked with the certificate it
//           presented in the connection's handshake; what a hub sends on
//           TLS 1.2, and what hubs before the MAC'd form sent (still accepted).
// Either way no second PKI is needed and an assertion is worth nothing on any
// other connection.
//
// Pure functions over bytes from the network: nothing here reads the
// assertion before its MAC or signature has verified.
//
// Example (forwarding side, per upstream connection):
//   NDXP_ASSIGN_OR_RETURN(std::string value,
//                         ProveAssertion(assertion, connection_mac_key, own_key));
// (receiving side, the peer's connection):
//   absl::StatusOr<ConsumerAssertion> a =
//       OpenAssertion(value, {peer_certificate_key, &connection_mac_key}, call);
#ifndef NDXP_GATEWAY_PEERING_CONSUMER_ASSERTION_H_
#define NDXP_GATEWAY_PEERING_CONSUMER_ASSERTION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/protocol/metadata.h"
#include "ndxp/hub/v1/assertion.pb.h"

struct evp_mac_ctx_st;
struct evp_pkey_st;
struct ssl_st;

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

// What starts a MAC'd header value. base64url has no '.', so a signed value
// (one dot) starts so only if its payload were the one byte "m1" decodes to,
// which no assertion is (its consumer, method, request id and nonce are
// required). A marker outside the payload, not a field in it: the receiver
// knows which proof to check before it parses a byte of the assertion.
inline constexpr absl::string_view kMacAssertionPrefix = "m1.";
// The TLS exporter label (RFC 8446 section 7.5) of the MAC key.
inline constexpr absl::string_view kAssertionExporterLabel = "EXPORTER-ndxp-peer-assertion";
inline constexpr size_t kAssertionMacKeyBytes = 32;

// The MAC key of one TLS connection's assertions: HMAC-SHA256 keyed with
// kAssertionMacKeyBytes of the connection's exporter, which both of its ends
// derive alike and nobody else can. Derived when first asked for (most
// connections are members', which never carry an assertion), then kept as a
// keyed context that each MAC copies. Only on TLS 1.3, whose exporter is
// bound to the whole handshake (TLS 1.2's is safe only with the extended
// master secret). Not thread-safe: one connection's, used on its loop thread.
class AssertionMacKey {
 public:
  // The key of the connection `ssl` (its handshake done by the first use);
  // nullptr (a plain connection) has none.
  explicit AssertionMacKey(ssl_st* ssl) : ssl_(ssl) {}
  // A key from `secret` itself (tests).
  static AssertionMacKey FromSecret(absl::string_view secret);
  ~AssertionMacKey();
  AssertionMacKey(AssertionMacKey&& other) noexcept;
  AssertionMacKey& operator=(AssertionMacKey&&) = delete;
  AssertionMacKey(const AssertionMacKey&) = delete;
  AssertionMacKey& operator=(const AssertionMacKey&) = delete;

  // Whether the connection has a key (TLS 1.3, handshake done). Derives it
  // on the first call.
  bool available();
  // HMAC-SHA256 of `bytes`; FAILED_PRECONDITION without a key, INTERNAL if
  // OpenSSL fails.
  absl::StatusOr<std::string> Mac(absl::string_view bytes);

 private:
  AssertionMacKey() = default;
  void Derive();
  void Key(const unsigned char* secret, size_t size);

  ssl_st* ssl_ = nullptr;
  bool derived_ = false;
  evp_mac_ctx_st* keyed_ = nullptr;  // nullptr: no key
};

// The header value of `assertion` signed with `key` (the private key of the
// connection it will travel on). INTERNAL if signing fails.
absl::StatusOr<std::string> SignAssertion(const ConsumerAssertion& assertion, evp_pkey_st* key);

// The header value of `assertion` MAC'd with `key` (the connection's it will
// travel on). FAILED_PRECONDITION without a key, INTERNAL if OpenSSL fails.
absl::StatusOr<std::string> MacAssertion(const ConsumerAssertion& assertion,
                                         AssertionMacKey& key);

// The header value of `assertion` for the connection whose MAC key is
// `mac_key` and private key `signing_key`: MAC'd when the connection has a
// MAC key (TLS 1.3), else signed.
absl::StatusOr<std::string> ProveAssertion(const ConsumerAssertion& assertion,
                                           AssertionMacKey& mac_key, evp_pkey_st* signing_key);

// What the receiving hub checks an assertion's proof with: the connection it
// came on.
struct AssertionProofKeys {
  // The public key of the certificate the peer presented in the handshake:
  // for the signed form.
  evp_pkey_st* certificate_key = nullptr;
  // The connection's MAC key: for the MAC'd form (nullptr: none).
  AssertionMacKey* mac_key = nullptr;
};

// What the receiving hub knows of the call the header came with.
struct CallToCheck {
  absl::string_view method;      // ":path"
  absl::string_view request_id;  // x-ndxp-request-id as received, "" when none
  absl::string_view purpose;     // x-ndxp-purpose as received (percent-encoded), "" when none
  absl::Time now;
};

// The assertion `header_value` carries, once it is shown sound: well formed,
// proven by this connection (`keys`: MAC'd with its MAC key, or signed with
// the key of the certificate the peer presented), issued at most
// kAssertionClockSkew in the future, valid at most kMaxAssertionLifetime and
// not expired, for this call's method, request id and purpose, and with at
// most kMaxHubsOnPath hubs counting the sender and this one. UNAUTHENTICATED
// "x-ndxp-assertion: <the check that failed>" otherwise (PERMISSION_DENIED
// for the hop limit). Scope and replay are the peer table's (peers.h).
absl::StatusOr<ConsumerAssertion> OpenAssertion(absl::string_view header_value,
                                                const AssertionProofKeys& keys,
                                                const CallToCheck& call);

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_PEERING_CONSUMER_ASSERTION_H_
