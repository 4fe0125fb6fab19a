// Helpers over a peer's X.509 certificate and a failed handshake, for the
// transport's admission (the caller's identity), logs and counters.
//
// Example:
//   if (SSL_do_handshake(ssl) <= 0 && !WantsIo(ssl)) {
//     HandshakeFailureReason why = ClassifyHandshakeFailure(ssl);
//     stats.handshake_failures[Name(why)]++;
//     ...
//   }
//   absl::StatusOr<std::string> id = SpiffeIdOf(SSL_get0_peer_certificate(ssl));
//
// All functions are thread-safe; none takes ownership of its arguments.
#ifndef NDXP_GATEWAY_TRANSPORT_TLS_PEER_CERTIFICATE_H_
#define NDXP_GATEWAY_TRANSPORT_TLS_PEER_CERTIFICATE_H_

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ndxp::gateway::transport {

// The certificate's single spiffe:// URI SAN (the ndxp identity; the caller
// parses and checks it). UNAUTHENTICATED when `certificate` is null, has no
// spiffe:// URI SAN, more than one, or a malformed SAN extension.
absl::StatusOr<std::string> SpiffeIdOf(X509* certificate);

// The serial number in upper-case hex without leading zeros ("1A2B"), as
// `openssl x509 -serial` prints it; "" for a null certificate.
std::string SerialHex(X509* certificate);

// Why a peer was refused, for counters and logs.
enum class HandshakeFailureReason {
  kNoCertificate,  // the client sent no certificate
  kUnknownCa,      // the chain does not lead to the federation CA
  kExpired,        // the peer certificate has expired
  kRevoked,        // the peer certificate is on the CRL
  kCrlExpired,     // the CRL's next update has passed (fail closed)
  kOther,          // anything else (protocol, ALPN, not yet valid, no CRL...)
};

// "no_certificate", "unknown_ca", "expired", "revoked", "crl_expired", "other".
absl::string_view Name(HandshakeFailureReason reason);

// Maps SSL_get_verify_result()'s value (an X509_V_ERR_*). `had_certificate`
// tells a client that sent no certificate (verify_result stays X509_V_OK)
// from one that failed for another reason.
HandshakeFailureReason ClassifyVerifyResult(long verify_result, bool had_certificate);

// Classifies a handshake that failed on `ssl` (either side). Call it right
// after the failing SSL_do_handshake, before the thread's OpenSSL error queue
// is cleared: "the peer sent no certificate" is only recorded there, since
// OpenSSL keeps no peer certificate after a failed verification.
HandshakeFailureReason ClassifyHandshakeFailure(const SSL* ssl);

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_TLS_PEER_CERTIFICATE_H_
