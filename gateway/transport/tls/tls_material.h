// One immutable snapshot of the hub's TLS configuration: the federation CA,
// the hub's certificate and key, and the CRLs, built into the two OpenSSL
// contexts the transport handshakes with (server side for agencies calling
// the hub, client side for the hub calling connectors).
//
// Example:
//   absl::StatusOr<std::shared_ptr<const TlsMaterial>> material =
//       TlsMaterial::Load(config.tls());
//   if (!material.ok()) return material.status();
//   SSL* ssl = SSL_new((*material)->server_context());
//   connection.tls_material = *material;  // keep the snapshot it handshook with
//
// Usually obtained from TlsReloader::Current(), which swaps in a new snapshot
// when the files change; connections keep the one they started with.
#ifndef NDXP_GATEWAY_TRANSPORT_TLS_TLS_MATERIAL_H_
#define NDXP_GATEWAY_TRANSPORT_TLS_TLS_MATERIAL_H_

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ndxp/config/v1/common.pb.h"

namespace ndxp::gateway::transport {

// The bytes of every file a TlsFiles names, read at one moment, so that a
// snapshot and the fingerprint that decides whether to rebuild it come from
// the same contents. Not thread-safe (a value); the key bytes are wiped when
// it is destroyed.
struct TlsSources {
  struct File {
    std::string path;
    std::string contents;
  };

  // Reads ca_cert, cert, key and every regular file in crl_dir whose name
  // does not start with '.' (temporary files of an atomic rename, Kubernetes'
  // ..data links). Errors name the file or directory that cannot be read.
  static absl::StatusOr<TlsSources> Read(const ndxp::config::v1::TlsFiles& files);

  // SHA-256 (hex) over every file's path and contents: changes whenever any
  // byte does, whatever the files' timestamps say (a CRL is rewritten in place
  // under the same name, possibly within the same second).
  std::string Fingerprint() const;

  TlsSources() = default;
  TlsSources(TlsSources&&) = default;
  TlsSources& operator=(TlsSources&&) = default;
  ~TlsSources();

  File ca_cert;
  File cert;
  File key;
  std::string crl_dir;     // "" when no CRL directory is configured
  std::vector<File> crls;  // by file name
};

// Immutable after construction, so thread-safe; share it by std::shared_ptr.
// Owns both SSL_CTXs and frees them when the last reference goes (SSLs made
// from them hold their own reference to the SSL_CTX as well).
//
// Server context: TLS >= 1.2, ALPN "h2" or else "http/1.1" (a ClientHello
// offering neither is refused; one without ALPN is taken, and is HTTP/1.1),
// a client certificate required and verified against the CA, and
// with crl_dir every CRL in it checked for the leaf (an expired CRL fails
// closed). No session tickets or session cache, so that every handshake is
// verified against the CRLs of the snapshot it runs on.
// Client context: TLS >= 1.2, ALPN "h2", presents the hub's certificate and
// verifies the connector's chain against the same CA and CRLs; the caller
// checks the connector's SPIFFE ID (SpiffeIdOf) and the negotiated ALPN.
class TlsMaterial {
 public:
  struct Crl {
    std::string path;
    absl::Time next_update;  // absl::InfiniteFuture() when it has none
  };

  // Reads the files and builds the snapshot. Errors (INVALID_ARGUMENT, or
  // the errno's code when a file cannot be read) name the file and the reason.
  static absl::StatusOr<std::shared_ptr<const TlsMaterial>> Load(
      const ndxp::config::v1::TlsFiles& files);
  static absl::StatusOr<std::shared_ptr<const TlsMaterial>> FromSources(const TlsSources& sources);

  TlsMaterial(const TlsMaterial&) = delete;
  TlsMaterial& operator=(const TlsMaterial&) = delete;
  ~TlsMaterial();

  // Owned by this snapshot; pass to SSL_new(), do not free or modify.
  SSL_CTX* server_context() const { return server_context_; }
  SSL_CTX* client_context() const { return client_context_; }

  const std::string& certificate_path() const { return certificate_path_; }
  // The hub's certificate's serial, upper-case hex (as SerialHex()).
  const std::string& certificate_serial_hex() const { return certificate_serial_hex_; }
  absl::Time certificate_not_after() const { return certificate_not_after_; }
  // The earliest not-after of the CA certificates.
  absl::Time ca_not_after() const { return ca_not_after_; }
  // The earliest next-update of the CRLs; absl::InfiniteFuture() without any.
  absl::Time earliest_crl_next_update() const { return earliest_crl_next_update_; }
  const std::vector<Crl>& crls() const { return crls_; }
  // TlsSources::Fingerprint() of the files this snapshot was built from.
  const std::string& fingerprint() const { return fingerprint_; }

  // Whether `peer` (a certificate accepted earlier, possibly under another
  // snapshot) would still be accepted at `now` under this snapshot's CA and
  // CRLs. UNAUTHENTICATED naming why (revoked, expired, CRL expired, no longer
  // issued by the CA) otherwise, so the transport can GOAWAY the connection.
  absl::Status CheckStillValid(X509* peer, absl::Time now) const;

 private:
  TlsMaterial() = default;

  std::string ca_cert_path_;
  std::string crl_dir_;
  std::string certificate_path_;
  std::string certificate_serial_hex_;
  absl::Time certificate_not_after_;
  absl::Time ca_not_after_;
  absl::Time earliest_crl_next_update_ = absl::InfiniteFuture();
  std::vector<Crl> crls_;
  std::string fingerprint_;

  // Owned (one reference each); the store is shared by both contexts.
  X509_STORE* store_ = nullptr;
  SSL_CTX* server_context_ = nullptr;
  SSL_CTX* client_context_ = nullptr;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_TLS_TLS_MATERIAL_H_
