// The hub's check of the connector it is about to call: during the TLS
// handshake on the upstream leg, the connector's certificate must carry the
// SPIFFE ID of the agency the route names as provider. A certificate of any
// other member of the federation (valid for the CA, even with the right
// 127.0.0.1/localhost SAN) fails the handshake, so a mis-pointed route or a
// process squatting on a connector's port never receives citizens' data.
//
// Example:
//   auto verifier = grpc::experimental::ExternalCertificateVerifier::Create<
//       ProviderIdentityVerifier>("ndxp.gov.vn", "000.00.00.G04");
//   auto credentials = tls::MutualTlsChannelCredentials(config.tls(), verifier);
#ifndef NDXP_GATEWAY_IDENTITY_PROVIDER_VERIFIER_H_
#define NDXP_GATEWAY_IDENTITY_PROVIDER_VERIFIER_H_

#include <functional>
#include <string>
#include <vector>

#include <grpcpp/security/tls_certificate_verifier.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ndxp::gateway {

// OK when one of `uri_names` (the certificate's URI SANs) is a valid SPIFFE
// ID of `trust_domain` whose agency is `provider`; UNAUTHENTICATED naming what
// the certificate presented otherwise.
absl::Status CheckProviderIdentity(const std::vector<std::string>& uri_names,
                                   absl::string_view trust_domain, absl::string_view provider);

// Immutable; thread-safe. Runs synchronously inside the handshake (a parse
// and a comparison).
class ProviderIdentityVerifier final
    : public grpc::experimental::ExternalCertificateVerifier {
 public:
  ProviderIdentityVerifier(std::string trust_domain, std::string provider)
      : trust_domain_(std::move(trust_domain)), provider_(std::move(provider)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> callback, grpc::Status* sync_status) override;
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  const std::string trust_domain_;
  const std::string provider_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_IDENTITY_PROVIDER_VERIFIER_H_
