#include "gateway/transport/tls/peer_certificate.h"

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gateway/transport/tls/tls_test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway::transport {
namespace {

using ::testing::HasSubstr;
using tls_testing::X509Ptr;

// A self-signed certificate with the given serial and subjectAltName entries
// ("URI:...", "DNS:..."); only its contents matter here.
X509Ptr CertificateWith(long serial, const std::vector<std::string>& alt_names) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509Ptr certificate(X509_new());
  X509* x = certificate.get();
  X509_set_version(x, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
  X509_set_issuer_name(x, X509_get_subject_name(x));
  X509_set_pubkey(x, key);
  if (!alt_names.empty()) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name,
                                                    absl::StrJoin(alt_names, ",").c_str());
    X509_add_ext(x, extension, -1);
    X509_EXTENSION_free(extension);
  }
  X509_sign(x, key, EVP_sha256());
  EVP_PKEY_free(key);
  return certificate;
}

TEST(SpiffeIdOfTest, ReadsTheIssuedIdentity) {
  ndxp::testing::TestPki pki;
  X509Ptr certificate =
      tls_testing::ReadCertificate(pki.Issue("agency", "000.00.00.G12", "tax-lookup").cert());
  absl::StatusOr<std::string> id = SpiffeIdOf(certificate.get());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup");
}

TEST(SpiffeIdOfTest, IgnoresOtherAlternativeNames) {
  X509Ptr certificate = CertificateWith(
      1, {"DNS:localhost", "URI:https://example.org/", "URI:spiffe://ndxp.gov.vn/agency/A/b"});
  EXPECT_EQ(SpiffeIdOf(certificate.get()).value_or(""), "spiffe://ndxp.gov.vn/agency/A/b");
}

TEST(SpiffeIdOfTest, RefusesNoneOrMoreThanOne) {
  ndxp::testing::TestPki pki;
  X509Ptr no_uri = tls_testing::ReadCertificate(pki.IssueBad("no-uri-san").cert());
  struct Case {
    const char* name;
    X509Ptr certificate;
    const char* why;
  };
  Case cases[] = {
      {"no-uri-san from the PKI", std::move(no_uri), "no spiffe://"},
      {"no SAN at all", CertificateWith(1, {}), "no subjectAltName"},
      {"only other URIs", CertificateWith(1, {"URI:https://example.org/"}), "no spiffe://"},
      {"two spiffe URIs",
       CertificateWith(
           1, {"URI:spiffe://ndxp.gov.vn/agency/A/b", "URI:spiffe://ndxp.gov.vn/agency/A/c"}),
       "more than one"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_NE(c.certificate, nullptr);
    absl::StatusOr<std::string> id = SpiffeIdOf(c.certificate.get());
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(id.status().message(), HasSubstr(c.why));
  }
  EXPECT_EQ(SpiffeIdOf(nullptr).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(SerialHexTest, UpperCaseHexAsOpensslPrintsIt) {
  EXPECT_EQ(SerialHex(CertificateWith(0x0A1B2C, {}).get()), "0A1B2C");
  EXPECT_EQ(SerialHex(CertificateWith(0xFF, {}).get()), "FF");
  EXPECT_EQ(SerialHex(nullptr), "");
}

TEST(ClassifyVerifyResultTest, MapsVerifyErrors) {
  struct Case {
    long verify_result;
    bool had_certificate;
    HandshakeFailureReason expected;
    absl::string_view name;
  } cases[] = {
      {X509_V_OK, false, HandshakeFailureReason::kNoCertificate, "no_certificate"},
      {X509_V_OK, true, HandshakeFailureReason::kOther, "other"},
      {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, true, HandshakeFailureReason::kUnknownCa,
       "unknown_ca"},
      {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, true, HandshakeFailureReason::kUnknownCa,
       "unknown_ca"},
      {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, true, HandshakeFailureReason::kUnknownCa,
       "unknown_ca"},
      {X509_V_ERR_CERT_HAS_EXPIRED, true, HandshakeFailureReason::kExpired, "expired"},
      {X509_V_ERR_CERT_REVOKED, true, HandshakeFailureReason::kRevoked, "revoked"},
      {X509_V_ERR_CRL_HAS_EXPIRED, true, HandshakeFailureReason::kCrlExpired, "crl_expired"},
      {X509_V_ERR_UNABLE_TO_GET_CRL, true, HandshakeFailureReason::kOther, "other"},
      {X509_V_ERR_CERT_NOT_YET_VALID, true, HandshakeFailureReason::kOther, "other"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(X509_verify_cert_error_string(c.verify_result));
    HandshakeFailureReason reason = ClassifyVerifyResult(c.verify_result, c.had_certificate);
    EXPECT_EQ(reason, c.expected);
    EXPECT_EQ(Name(reason), c.name);
  }
}

}  // namespace
}  // namespace ndxp::gateway::transport
