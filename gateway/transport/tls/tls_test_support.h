// Test support: real TLS handshakes between two SSL objects in one thread,
// over an in-memory BIO pair (no sockets, no threads, no timing).
#ifndef NDXP_GATEWAY_TRANSPORT_TLS_TLS_TEST_SUPPORT_H_
#define NDXP_GATEWAY_TRANSPORT_TLS_TLS_TEST_SUPPORT_H_

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/tls/openssl_ptr.h"
#include "gateway/transport/tls/peer_certificate.h"
#include "ndxp/config/v1/common.pb.h"

namespace ndxp::gateway::transport::tls_testing {

using ::ndxp::SessionPtr;
using ::ndxp::SslCtxPtr;
using ::ndxp::X509Ptr;

struct HandshakeOutcome {
  bool server_ok = false;
  bool client_ok = false;
  // Meaningful when the side failed (ClassifyHandshakeFailure on its SSL).
  HandshakeFailureReason server_failure = HandshakeFailureReason::kOther;
  HandshakeFailureReason client_failure = HandshakeFailureReason::kOther;
  std::string server_alpn;     // the protocol the server selected
  std::string client_alpn;     // the protocol the client saw selected
  X509Ptr client_certificate;  // as the server saw it
  X509Ptr server_certificate;  // as the client saw it
  bool resumed = false;        // the client resumed `resume`
  int version = 0;             // the negotiated TLS version
  SessionPtr session;          // the client's session, for a resumption attempt
  bool ok() const { return server_ok && client_ok; }
};

// Runs a handshake between SSL_new(server) and SSL_new(client); with
// `resume`, the client offers that session. `connected`, if given, sees both
// ends of a successful handshake before they close.
HandshakeOutcome Handshake(SSL_CTX* server, SSL_CTX* client, SSL_SESSION* resume = nullptr,
                           const std::function<void(SSL* server, SSL* client)>& connected = {});

// An agency's client context made with plain OpenSSL calls (independent of
// the code under test): trusts files.ca_cert, presents files.cert/key unless
// `with_certificate` is false, offers `alpn` (wire format; "" offers none),
// speaks at most `max_version` (0: the highest).
SslCtxPtr AgencyClientContext(const ndxp::config::v1::TlsFiles& files, bool with_certificate = true,
                              const std::string& alpn = std::string("\x02h2", 3),
                              int max_version = 0);

// Reads a PEM certificate file (nullptr if it cannot).
X509Ptr ReadCertificate(const std::string& path);

// The certificate's not-after.
absl::Time NotAfter(X509* certificate);

// Replaces `path`'s contents in place (same inode, truncate and write).
void OverwriteFile(const std::string& path, const std::string& contents);
std::string ReadWholeFile(const std::string& path);

}  // namespace ndxp::gateway::transport::tls_testing

#endif  // NDXP_GATEWAY_TRANSPORT_TLS_TLS_TEST_SUPPORT_H_
