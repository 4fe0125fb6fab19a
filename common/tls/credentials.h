// Mutual-TLS credentials for every leg of the federation, built from the PEM
// files named in a node's configuration.
#ifndef NDXP_COMMON_TLS_CREDENTIALS_H_
#define NDXP_COMMON_TLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_verifier.h>

#include "absl/status/statusor.h"
#include "ndxp/config/v1/common.pb.h"

namespace ndxp::tls {

// The whole content of `path`; NOT_FOUND naming the file if it cannot be read.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Server credentials that require a client certificate chaining to the
// federation CA (the handshake fails otherwise: no certificate, another CA,
// an expired certificate, and with files.crl_dir a revoked one).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsServerCredentials(
    const ndxp::config::v1::TlsFiles& files);

// Channel credentials that present this node's certificate and verify the
// server against the federation CA. With `verifier`, the server's
// certificate must also satisfy it (the hub checks that a connector is the
// route's provider): it replaces the host name check.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MutualTlsChannelCredentials(
    const ndxp::config::v1::TlsFiles& files,
    std::shared_ptr<grpc::experimental::CertificateVerifier> verifier = nullptr);

}  // namespace ndxp::tls

#endif  // NDXP_COMMON_TLS_CREDENTIALS_H_
