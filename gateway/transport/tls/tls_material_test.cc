#include "gateway/transport/tls/tls_material.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/time/civil_time.h"
#include "gateway/peering/consumer_assertion.h"
#include "gateway/transport/tls/peer_certificate.h"
#include "gateway/transport/tls/tls_test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway::transport {
namespace {

using ::ndxp::config::v1::TlsFiles;
using ::testing::HasSubstr;
using tls_testing::AgencyClientContext;
using tls_testing::Handshake;
using tls_testing::HandshakeOutcome;
using tls_testing::OverwriteFile;
using tls_testing::ReadCertificate;

constexpr char kAgencyId[] = "spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup";
constexpr char kConnectorId[] = "spiffe://ndxp.gov.vn/agency/000.00.18.H49/citizen-registry";

class TlsMaterialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = pki_.Issue("hub", "000.00.00.H49", "hub", /*server=*/true);
    agency_ = pki_.Issue("agency", "000.00.00.G12", "tax-lookup");
    pki_.Issue("retired", "000.00.00.G12", "retired");
    pki_.Revoke("retired");  // publishes a current CRL into crl_dir()
    hub_.set_crl_dir(pki_.crl_dir());
  }

  std::shared_ptr<const TlsMaterial> Load(const TlsFiles& files) {
    absl::StatusOr<std::shared_ptr<const TlsMaterial>> material = TlsMaterial::Load(files);
    EXPECT_TRUE(material.ok()) << material.status();
    return material.ok() ? *material : nullptr;
  }

  // An agency (plain OpenSSL client) handshaking with the hub's server side.
  HandshakeOutcome AgencyHandshake(const TlsFiles& agency) {
    std::shared_ptr<const TlsMaterial> hub = Load(hub_);
    tls_testing::SslCtxPtr client = AgencyClientContext(agency);
    EXPECT_NE(client, nullptr);
    if (hub == nullptr || client == nullptr) return HandshakeOutcome();
    return Handshake(hub->server_context(), client.get());
  }

  // Publishes a CRL of the other CA (pki_.IssueBad("other-ca") made it) to `out`.
  bool OtherCaCrl(const std::string& out) {
    std::string command = "cd " + pki_.dir() +
                          "/other-ca && NDXP_PKI_CA_DIR=$PWD openssl ca -config openssl.cnf "
                          "-gencrl -crldays 30 -out " +
                          out + " >/dev/null 2>&1";
    return std::system(command.c_str()) == 0;
  }

  // A moment while every test certificate and the fixture's CRL are valid,
  // taken from the material rather than the wall clock.
  absl::Time During(const TlsMaterial& material) {
    return material.earliest_crl_next_update() - absl::Hours(24);
  }

  ndxp::testing::TestPki pki_;
  TlsFiles hub_;
  TlsFiles agency_;
};

TEST_F(TlsMaterialTest, GoodClientHandshakesWithH2AndItsSpiffeId) {
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  HandshakeOutcome outcome = Handshake(hub->server_context(), AgencyClientContext(agency_).get());

  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.server_alpn, "h2");
  EXPECT_EQ(outcome.client_alpn, "h2");
  absl::StatusOr<std::string> id = SpiffeIdOf(outcome.client_certificate.get());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, kAgencyId);
  EXPECT_EQ(SerialHex(outcome.server_certificate.get()), hub->certificate_serial_hex());
}

TEST_F(TlsMaterialTest, ClientWithoutCertificateIsRefused) {
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  HandshakeOutcome outcome = Handshake(
      hub->server_context(), AgencyClientContext(agency_, /*with_certificate=*/false).get());

  EXPECT_FALSE(outcome.server_ok);
  EXPECT_EQ(outcome.server_failure, HandshakeFailureReason::kNoCertificate);
}

TEST_F(TlsMaterialTest, CertificateOfAnotherCaIsRefused) {
  HandshakeOutcome outcome = AgencyHandshake(pki_.IssueBad("other-ca"));
  EXPECT_FALSE(outcome.server_ok);
  EXPECT_EQ(outcome.server_failure, HandshakeFailureReason::kUnknownCa);
}

TEST_F(TlsMaterialTest, ExpiredCertificateIsRefused) {
  HandshakeOutcome outcome = AgencyHandshake(pki_.IssueBad("expired"));
  EXPECT_FALSE(outcome.server_ok);
  EXPECT_EQ(outcome.server_failure, HandshakeFailureReason::kExpired);
}

TEST_F(TlsMaterialTest, RevokedCertificateIsRefused) {
  pki_.Revoke("agency");
  HandshakeOutcome outcome = AgencyHandshake(agency_);
  EXPECT_FALSE(outcome.server_ok);
  EXPECT_EQ(outcome.server_failure, HandshakeFailureReason::kRevoked);
}

TEST_F(TlsMaterialTest, EveryCrlFileInTheDirectoryIsLoadedWhateverItsName) {
  // Two trusted CAs (a CA rotation), each CRL under a name OpenSSL's hash
  // lookup would never try: both must be read, or the other CA's clients
  // fail for want of a CRL and the revoked agency gets in.
  TlsFiles other_agency = pki_.IssueBad("other-ca");
  pki_.Revoke("agency");
  std::string crls = pki_.dir() + "/crls";
  std::filesystem::create_directory(crls);
  std::filesystem::copy_file(pki_.dir() + "/ca.crl", crls + "/federation.pem");
  ASSERT_TRUE(OtherCaCrl(crls + "/other-ca.pem"));
  std::string bundle = pki_.dir() + "/bundle.pem";
  OverwriteFile(bundle, tls_testing::ReadWholeFile(pki_.ca_cert()) +
                            tls_testing::ReadWholeFile(pki_.dir() + "/other-ca/ca.pem"));
  hub_.set_ca_cert(bundle);
  hub_.set_crl_dir(crls);
  other_agency.set_ca_cert(bundle);
  agency_.set_ca_cert(bundle);

  EXPECT_TRUE(AgencyHandshake(other_agency).ok());
  HandshakeOutcome revoked = AgencyHandshake(agency_);
  EXPECT_FALSE(revoked.server_ok);
  EXPECT_EQ(revoked.server_failure, HandshakeFailureReason::kRevoked);
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  EXPECT_EQ(hub->crls().size(), 2u);
}

// The callers' listener serves the JSON door over HTTP/1.1 as well (this
// replaced ClientOfferingOnlyHttp11IsRefused and ClientOfferingNoAlpnIsRefused).
TEST_F(TlsMaterialTest, ClientOfferingOnlyHttp11GetsHttp11) {
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  HandshakeOutcome outcome =
      Handshake(hub->server_context(),
                AgencyClientContext(agency_, /*with_certificate=*/true, "\x08http/1.1").get());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.server_alpn, "http/1.1");
  EXPECT_EQ(outcome.client_alpn, "http/1.1");
}

// Java 8 before 8u252 and .NET Framework send no ALPN: the handshake
// succeeds with none selected, which the connection takes for HTTP/1.1.
TEST_F(TlsMaterialTest, ClientOfferingNoAlpnHandshakesWithNone) {
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  HandshakeOutcome outcome = Handshake(
      hub->server_context(), AgencyClientContext(agency_, /*with_certificate=*/true, "").get());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.server_alpn, "");
}

TEST_F(TlsMaterialTest, ClientOfferingNeitherH2NorHttp11IsRefused) {
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  HandshakeOutcome outcome =
      Handshake(hub->server_context(),
                AgencyClientContext(agency_, /*with_certificate=*/true, "\x08spdy/3.1").get());
  EXPECT_FALSE(outcome.server_ok);
  EXPECT_FALSE(outcome.client_ok);
}

TEST_F(TlsMaterialTest, ClientWithoutCertificateOfferingHttp11IsRefused) {
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  HandshakeOutcome outcome =
      Handshake(hub->server_context(),
                AgencyClientContext(agency_, /*with_certificate=*/false, "\x08http/1.1").get());
  EXPECT_FALSE(outcome.server_ok);
}

TEST_F(TlsMaterialTest, H2IsSelectedAmongOtherOfferedProtocols) {
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  HandshakeOutcome outcome = Handshake(
      hub->server_context(),
      AgencyClientContext(agency_, /*with_certificate=*/true, std::string("\x08http/1.1\x02h2"))
          .get());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.server_alpn, "h2");
}

TEST_F(TlsMaterialTest, Tls12ClientHandshakesWithH2) {
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  HandshakeOutcome outcome =
      Handshake(hub->server_context(),
                AgencyClientContext(agency_, true, std::string("\x02h2"), TLS1_2_VERSION).get());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.version, TLS1_2_VERSION);
  EXPECT_EQ(outcome.server_alpn, "h2");
}

TEST_F(TlsMaterialTest, SessionsAreNeverResumed) {
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version);
    tls_testing::SslCtxPtr client =
        AgencyClientContext(agency_, true, std::string("\x02h2"), version);
    HandshakeOutcome first = Handshake(hub->server_context(), client.get());
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first.version, version);

    HandshakeOutcome second = Handshake(hub->server_context(), client.get(), first.session.get());
    ASSERT_TRUE(second.ok());      // offering a session is harmless...
    EXPECT_FALSE(second.resumed);  // ...and the client certificate is verified afresh
  }
}

// The MAC key of peer-hub assertions (consumer_assertion.h) comes from the
// TLS 1.3 exporter: both ends of one connection agree on it, another
// connection's differs, and TLS 1.2 gives none (the sender signs instead).
TEST_F(TlsMaterialTest, AssertionMacKeysAgreeWithinOneTls13ConnectionOnly) {
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  tls_testing::SslCtxPtr client = AgencyClientContext(agency_);
  std::string macs[2];
  for (std::string& mac : macs) {
    HandshakeOutcome outcome =
        Handshake(hub->server_context(), client.get(), nullptr, [&](SSL* server, SSL* caller) {
          gateway::AssertionMacKey server_key(server), caller_key(caller);
          absl::StatusOr<std::string> by_caller = caller_key.Mac("an assertion");
          absl::StatusOr<std::string> by_server = server_key.Mac("an assertion");
          ASSERT_TRUE(by_caller.ok()) << by_caller.status();
          ASSERT_TRUE(by_server.ok()) << by_server.status();
          EXPECT_EQ(*by_caller, *by_server);
          EXPECT_EQ(by_caller->size(), 32u);
          mac = *by_caller;
        });
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(outcome.version, TLS1_3_VERSION);
  }
  EXPECT_NE(macs[0], macs[1]);

  bool tls12_has_key = true;
  HandshakeOutcome tls12 = Handshake(
      hub->server_context(),
      AgencyClientContext(agency_, true, std::string("\x02h2"), TLS1_2_VERSION).get(), nullptr,
      [&](SSL* server, SSL*) { tls12_has_key = gateway::AssertionMacKey(server).available(); });
  ASSERT_TRUE(tls12.ok());
  EXPECT_FALSE(tls12_has_key);
}

TEST_F(TlsMaterialTest, ExpiredCrlRefusesEveryClient) {
  pki_.PublishExpiredCrl();
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);  // loads: failing closed is per handshake
  ASSERT_NE(hub, nullptr);
  EXPECT_EQ(hub->earliest_crl_next_update(),
            absl::FromCivil(absl::CivilDay(2020, 1, 2), absl::UTCTimeZone()));

  HandshakeOutcome outcome = Handshake(hub->server_context(), AgencyClientContext(agency_).get());
  EXPECT_FALSE(outcome.server_ok);
  EXPECT_EQ(outcome.server_failure, HandshakeFailureReason::kCrlExpired);
}

TEST_F(TlsMaterialTest, HubConnectsUpstreamToConnectorWithH2) {
  TlsFiles connector =
      pki_.Issue("connector", "000.00.18.H49", "citizen-registry", /*server=*/true);
  connector.set_crl_dir(pki_.crl_dir());
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  std::shared_ptr<const TlsMaterial> connector_side = Load(connector);
  ASSERT_NE(hub, nullptr);
  ASSERT_NE(connector_side, nullptr);

  HandshakeOutcome outcome = Handshake(connector_side->server_context(), hub->client_context());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.client_alpn, "h2");
  EXPECT_EQ(SpiffeIdOf(outcome.server_certificate.get()).value_or(""), kConnectorId);
  EXPECT_EQ(SerialHex(outcome.client_certificate.get()), hub->certificate_serial_hex());
}

TEST_F(TlsMaterialTest, UpstreamConnectorOfAnotherCaOrRevokedIsRefused) {
  TlsFiles connector =
      pki_.Issue("connector", "000.00.18.H49", "citizen-registry", /*server=*/true);
  pki_.Revoke("connector");
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  // Plain server contexts for the connector: only the hub's client side is tested.
  TlsFiles other_ca = pki_.IssueBad("other-ca");
  for (const auto& [files, expected] : {std::pair{connector, HandshakeFailureReason::kRevoked},
                                        std::pair{other_ca, HandshakeFailureReason::kUnknownCa}}) {
    SCOPED_TRACE(files.cert());
    tls_testing::SslCtxPtr server(SSL_CTX_new(TLS_server_method()));
    ASSERT_EQ(SSL_CTX_use_certificate_chain_file(server.get(), files.cert().c_str()), 1);
    ASSERT_EQ(SSL_CTX_use_PrivateKey_file(server.get(), files.key().c_str(), SSL_FILETYPE_PEM), 1);
    HandshakeOutcome outcome = Handshake(server.get(), hub->client_context());
    EXPECT_FALSE(outcome.client_ok);
    EXPECT_EQ(outcome.client_failure, expected);
  }
}

TEST_F(TlsMaterialTest, CheckStillValidNamesWhyAPeerIsNoLongerAccepted) {
  pki_.Revoke("agency");
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  TlsFiles good = pki_.Issue("good", "000.00.00.G12", "good");
  tls_testing::X509Ptr good_cert = ReadCertificate(good.cert());
  absl::Time during = During(*hub);

  EXPECT_TRUE(hub->CheckStillValid(good_cert.get(), during).ok());
  struct Case {
    std::string cert;
    absl::Time now;
    std::string why;
  } cases[] = {
      {agency_.cert(), during, "revoked"},
      {pki_.IssueBad("expired").cert(), during, "expired at 2020-01-02"},
      {pki_.IssueBad("other-ca").cert(), during, "not issued by a CA in " + pki_.ca_cert()},
      {good.cert(), hub->earliest_crl_next_update() + absl::Seconds(1), "CRL"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.cert);
    tls_testing::X509Ptr peer = ReadCertificate(c.cert);
    ASSERT_NE(peer, nullptr);
    absl::Status status = hub->CheckStillValid(peer.get(), c.now);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(status.message(), HasSubstr(c.why));
    EXPECT_THAT(status.message(), HasSubstr(SerialHex(peer.get())));
  }
  EXPECT_FALSE(hub->CheckStillValid(nullptr, during).ok());
}

TEST_F(TlsMaterialTest, AccessorsDescribeTheHubCertificateAndCrls) {
  std::shared_ptr<const TlsMaterial> hub = Load(hub_);
  ASSERT_NE(hub, nullptr);
  tls_testing::X509Ptr hub_cert = ReadCertificate(hub_.cert());
  EXPECT_EQ(hub->certificate_serial_hex(), SerialHex(hub_cert.get()));
  EXPECT_EQ(hub->certificate_not_after(), tls_testing::NotAfter(hub_cert.get()));
  ASSERT_EQ(hub->crls().size(), 1u);
  EXPECT_EQ(hub->crls()[0].next_update, hub->earliest_crl_next_update());
  // The CRL is valid 30 days from its publication; the hub certificate 825.
  EXPECT_LT(hub->earliest_crl_next_update(), hub->certificate_not_after());
  EXPECT_EQ(hub->fingerprint().size(), 64u);

  TlsFiles without_crls = hub_;
  without_crls.clear_crl_dir();
  std::shared_ptr<const TlsMaterial> plain = Load(without_crls);
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->earliest_crl_next_update(), absl::InfiniteFuture());
  EXPECT_TRUE(plain->crls().empty());
}

TEST_F(TlsMaterialTest, LoadErrorsNameTheFileAndTheReason) {
  std::string garbage = pki_.dir() + "/garbage.pem";
  OverwriteFile(garbage, "this is not PEM\n");
  std::string other_ca_crl_dir = pki_.dir() + "/other-crl";
  std::string empty_crl_dir = pki_.dir() + "/empty-crl";
  std::filesystem::create_directory(empty_crl_dir);
  pki_.IssueBad("other-ca");  // creates DIR/other-ca, a CA of its own
  std::filesystem::create_directory(other_ca_crl_dir);

  struct Case {
    std::string name;
    TlsFiles files;
    absl::StatusCode code;
    std::string file;
    std::string reason;
  };
  std::vector<Case> cases;
  auto with = [&](auto change) {
    TlsFiles files = hub_;
    change(files);
    return files;
  };
  cases.push_back({"missing CA", with([](TlsFiles& f) { f.set_ca_cert("/nonexistent/ca.pem"); }),
                   absl::StatusCode::kNotFound, "/nonexistent/ca.pem", "cannot read"});
  cases.push_back({"CA not PEM", with([&](TlsFiles& f) { f.set_ca_cert(garbage); }),
                   absl::StatusCode::kInvalidArgument, "CA certificate " + garbage,
                   "not a PEM certificate"});
  cases.push_back({"cert not PEM", with([&](TlsFiles& f) { f.set_cert(garbage); }),
                   absl::StatusCode::kInvalidArgument, "certificate " + garbage,
                   "not a PEM certificate"});
  cases.push_back({"key not PEM", with([&](TlsFiles& f) { f.set_key(garbage); }),
                   absl::StatusCode::kInvalidArgument, "private key " + garbage,
                   "not a PEM private key"});
  cases.push_back({"key of another certificate",
                   with([&](TlsFiles& f) { f.set_key(agency_.key()); }),
                   absl::StatusCode::kInvalidArgument, agency_.key(),
                   "key does not match the certificate " + hub_.cert()});
  cases.push_back({"missing CRL directory",
                   with([](TlsFiles& f) { f.set_crl_dir("/nonexistent/crl"); }),
                   absl::StatusCode::kNotFound, "/nonexistent/crl", "cannot read CRL directory"});
  cases.push_back({"empty CRL directory", with([&](TlsFiles& f) { f.set_crl_dir(empty_crl_dir); }),
                   absl::StatusCode::kInvalidArgument, empty_crl_dir, "holds no CRL"});
  std::string bad_crl = pki_.crl_dir() + "/junk.r1";
  cases.push_back({"bad CRL file", with([&](TlsFiles& f) { f.set_crl_dir(pki_.crl_dir()); }),
                   absl::StatusCode::kInvalidArgument, bad_crl, "bad CRL file"});

  OverwriteFile(bad_crl, "junk");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<std::shared_ptr<const TlsMaterial>> material = TlsMaterial::Load(c.files);
    ASSERT_FALSE(material.ok());
    EXPECT_EQ(material.status().code(), c.code) << material.status();
    EXPECT_THAT(material.status().message(), HasSubstr(c.file));
    EXPECT_THAT(material.status().message(), HasSubstr(c.reason));
  }
  std::filesystem::remove(bad_crl);

  // A CRL that the federation CA did not sign (the other CA's).
  ASSERT_TRUE(OtherCaCrl(other_ca_crl_dir + "/other.r0"));
  absl::StatusOr<std::shared_ptr<const TlsMaterial>> material =
      TlsMaterial::Load(with([&](TlsFiles& f) { f.set_crl_dir(other_ca_crl_dir); }));
  ASSERT_FALSE(material.ok());
  EXPECT_THAT(material.status().message(), HasSubstr(other_ca_crl_dir + "/other.r0"));
  EXPECT_THAT(material.status().message(), HasSubstr("not signed by a CA in " + pki_.ca_cert()));
}

TEST_F(TlsMaterialTest, HiddenFilesInTheCrlDirectoryAreIgnored) {
  // A publisher's temporary file (as ndxp-pki's .<hash>.r0.tmp) is not a CRL yet.
  OverwriteFile(pki_.crl_dir() + "/.partial.r0.tmp", "half a CRL");
  EXPECT_NE(Load(hub_), nullptr);
}

}  // namespace
}  // namespace ndxp::gateway::transport
