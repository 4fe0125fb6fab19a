#include "gateway/transport/tls/peer_certificate.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/match.h"

namespace ndxp::gateway::transport {
namespace {

struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

bool IsNoCertificateError(unsigned long error) {
  return error != 0 && ERR_GET_LIB(error) == ERR_LIB_SSL &&
         ERR_GET_REASON(error) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE;
}

}  // namespace

absl::StatusOr<std::string> SpiffeIdOf(X509* certificate) {
  if (certificate == nullptr) {
    return absl::UnauthenticatedError("no peer certificate");
  }
  int critical = 0;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, &critical, nullptr)));
  if (names == nullptr) {
    // -1: no SAN extension; -2: more than one (ambiguous, refuse); else unparsable.
    return absl::UnauthenticatedError(
        critical == -1   ? "peer certificate has no subjectAltName (no spiffe:// URI SAN identity)"
        : critical == -2 ? "peer certificate has more than one subjectAltName extension"
                         : "peer certificate has a malformed subjectAltName");
  }
  std::string found;
  int spiffe_uris = 0;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    absl::string_view value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                            static_cast<size_t>(ASN1_STRING_length(uri)));
    if (!absl::StartsWithIgnoreCase(value, "spiffe://")) continue;
    ++spiffe_uris;
    found = std::string(value);
  }
  if (spiffe_uris == 0) {
    return absl::UnauthenticatedError("peer certificate has no spiffe:// URI SAN identity");
  }
  if (spiffe_uris > 1) {
    return absl::UnauthenticatedError("peer certificate has more than one spiffe:// URI SAN");
  }
  if (absl::StrContains(found, absl::string_view("\0", 1))) {
    return absl::UnauthenticatedError("peer certificate's spiffe:// URI SAN contains a NUL byte");
  }
  return found;
}

std::string SerialHex(X509* certificate) {
  if (certificate == nullptr) return "";
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr);
  if (serial == nullptr) return "";
  char* hex = BN_bn2hex(serial);
  BN_free(serial);
  if (hex == nullptr) return "";
  std::string result(hex);
  OPENSSL_free(hex);
  return result;
}

absl::string_view Name(HandshakeFailureReason reason) {
  switch (reason) {
    case HandshakeFailureReason::kNoCertificate:
      return "no_certificate";
    case HandshakeFailureReason::kUnknownCa:
      return "unknown_ca";
    case HandshakeFailureReason::kExpired:
      return "expired";
    case HandshakeFailureReason::kRevoked:
      return "revoked";
    case HandshakeFailureReason::kCrlExpired:
      return "crl_expired";
    case HandshakeFailureReason::kOther:
      return "other";
  }
  return "other";
}

HandshakeFailureReason ClassifyVerifyResult(long verify_result, bool had_certificate) {
  switch (verify_result) {
    case X509_V_OK:
      return had_certificate ? HandshakeFailureReason::kOther
                             : HandshakeFailureReason::kNoCertificate;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:  // our CA's name, another key
      return HandshakeFailureReason::kUnknownCa;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return HandshakeFailureReason::kExpired;
    case X509_V_ERR_CERT_REVOKED:
      return HandshakeFailureReason::kRevoked;
    case X509_V_ERR_CRL_HAS_EXPIRED:
      return HandshakeFailureReason::kCrlExpired;
    default:
      return HandshakeFailureReason::kOther;
  }
}

HandshakeFailureReason ClassifyHandshakeFailure(const SSL* ssl) {
  long verify_result = SSL_get_verify_result(ssl);
  if (verify_result != X509_V_OK) return ClassifyVerifyResult(verify_result, true);
  bool no_certificate =
      IsNoCertificateError(ERR_peek_error()) || IsNoCertificateError(ERR_peek_last_error());
  return ClassifyVerifyResult(X509_V_OK, !no_certificate);
}

}  // namespace ndxp::gateway::transport
