// A throw-away federation PKI for tests, made by certs/ndxp-pki in a
// temporary directory (keys are never committed; they are made at test time).
#ifndef NDXP_TESTS_TESTING_TEST_PKI_H_
#define NDXP_TESTS_TESTING_TEST_PKI_H_

#include <cstdint>
#include <string>

#include "ndxp/config/v1/common.pb.h"

namespace ndxp::testing {

inline constexpr char kTrustDomain[] = "ndxp.gov.vn";

// The identities tests use. Not thread-safe; create once per test suite.
class TestPki {
 public:
  // Creates the CA in a new temporary directory; aborts the test binary
  // (with the script's output) if the script fails.
  TestPki();
  ~TestPki();

  // Issues "<name>.pem/.key" for spiffe://ndxp.gov.vn/agency/<agency>/<subsystem>
  // (server certificates also carry DNS:localhost and IP:127.0.0.1).
  ndxp::config::v1::TlsFiles Issue(const std::string& name, const std::string& agency,
                                   const std::string& subsystem, bool server = false);
  // A deliberately bad certificate: expired, other-ca, no-uri-san,
  // bad-agency-code, wrong-trust-domain.
  ndxp::config::v1::TlsFiles IssueBad(const std::string& kind);

  // Revokes the certificate issued as `name` and publishes the CRL into
  // crl_dir().
  void Revoke(const std::string& name);
  // Publishes (into crl_dir(), replacing the current CRL) a CRL whose next
  // update has passed (valid only 2020-01-01..2020-01-02), for fail-closed tests.
  void PublishExpiredCrl();
  std::string crl_dir() const { return dir_ + "/crl"; }

  const std::string& dir() const { return dir_; }
  std::string ca_cert() const { return dir_ + "/ca.pem"; }

 private:
  ndxp::config::v1::TlsFiles Files(const std::string& name) const;
  std::string dir_;
};

// A directory removed (recursively) at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A throw-away identity provider (ndxp-pki init-idp) and its subject tokens.
class TestIdentityProvider {
 public:
  TestIdentityProvider();  // aborts if the script fails
  // Its public key (PEM), as data_subjects.provider_public_key names it.
  std::string public_key() const { return dir_.path() + "/idp/idp.pem"; }
  // A token (ndxp-pki subject-token) for `sub`, issued at `now` (Unix
  // seconds) and valid `ttl_seconds`.
  std::string Token(const std::string& sub, const std::string& issuer,
                    const std::string& audience, int64_t now, int ttl_seconds = 600) const;

 private:
  TempDir dir_;
};

}  // namespace ndxp::testing

#endif  // NDXP_TESTS_TESTING_TEST_PKI_H_
