#include "common/tls/credentials.h"

#include <fstream>
#include <sstream>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "absl/strings/str_cat.h"

namespace ndxp::tls {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

namespace {

struct PemFiles {
  std::string ca_cert;
  std::string cert;
  std::string key;
};

absl::StatusOr<PemFiles> ReadPemFiles(const ndxp::config::v1::TlsFiles& files) {
  PemFiles pem;
  for (auto [path, out] : {std::pair{&files.ca_cert(), &pem.ca_cert},
                           std::pair{&files.cert(), &pem.cert},
                           std::pair{&files.key(), &pem.key}}) {
    if (path->empty()) {
      return absl::InvalidArgumentError("tls: ca_cert, cert and key are all required");
    }
    absl::StatusOr<std::string> content = ReadFile(*path);
    if (!content.ok()) return content.status();
    *out = *std::move(content);
  }
  return pem;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsServerCredentials(
    const ndxp::config::v1::TlsFiles& files) {
  absl::StatusOr<PemFiles> pem = ReadPemFiles(files);
  if (!pem.ok()) return pem.status();
  if (!files.crl_dir().empty()) {
    // Only the TLS credentials API checks revocation; it is otherwise the
    // same handshake.
    auto provider = std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
        pem->ca_cert, std::vector<grpc::experimental::IdentityKeyCertPair>{
                          {pem->key, pem->cert}});
    grpc::experimental::TlsServerCredentialsOptions options(provider);
    options.watch_root_certs();
    options.watch_identity_key_cert_pairs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.set_crl_directory(files.crl_dir());
    return grpc::experimental::TlsServerCredentials(options);
  }
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = pem->ca_cert;
  options.pem_key_cert_pairs.push_back({pem->key, pem->cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MutualTlsChannelCredentials(
    const ndxp::config::v1::TlsFiles& files,
    std::shared_ptr<grpc::experimental::CertificateVerifier> verifier) {
  absl::StatusOr<PemFiles> pem = ReadPemFiles(files);
  if (!pem.ok()) return pem.status();
  if (verifier != nullptr) {
    // Only the TLS credentials API takes a custom verifier; the chain is
    // still verified against the CA before it runs.
    auto provider = std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
        pem->ca_cert, std::vector<grpc::experimental::IdentityKeyCertPair>{
                          {pem->key, pem->cert}});
    grpc::experimental::TlsChannelCredentialsOptions options;
    options.set_certificate_provider(provider);
    options.watch_root_certs();
    options.watch_identity_key_cert_pairs();
    options.set_verify_server_certs(true);
    options.set_certificate_verifier(std::move(verifier));
    return grpc::experimental::TlsCredentials(options);
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pem->ca_cert;
  options.pem_private_key = pem->key;
  options.pem_cert_chain = pem->cert;
  return grpc::SslCredentials(options);
}

}  // namespace ndxp::tls
