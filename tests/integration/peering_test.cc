// A province hub peering with the national hub (docs/design.md "Peer
// hubs"): a commune office of province H11, with a certificate of the
// province's own CA, calls the national residents registry through its
// province's hub; the national hub trusts only the national CA and sees the
// province hub's certificate, yet admits, counts and forwards the call as the
// commune's, from the assertion the province hub proved on their connection
// (MAC'd with its TLS exporter; the tests' own calls sign theirs). Every way
// to abuse the assertion header is refused, by the check that failed.
#include <openssl/pem.h>

#include <fstream>
#include <memory>
#include <string>

#include <grpcpp/create_channel.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/tls/credentials.h"
#include "gateway/config/hub_config.h"
#include "gateway/hub_server.h"
#include "gateway/peering/consumer_assertion.h"
#include "ndxp/bench/v1/echo.grpc.pb.h"
#include "ndxp/hub/v1/statistics.grpc.pb.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"
#include "tests/integration/recording_connector.h"
#include "tests/testing/test_pki.h"

namespace ndxp {
namespace {

using ::testing::HasSubstr;

constexpr char kResidents[] = "ndxp.residents.v1.ResidentRegistry";
constexpr char kGetCitizen[] = "/ndxp.residents.v1.ResidentRegistry/GetCitizen";
constexpr char kNationalHub[] = "spiffe://ndxp.gov.vn/agency/000.00.00.A01/hub";
constexpr char kProvinceHub[] = "spiffe://ndxp.gov.vn/agency/000.00.00.H11/lgsp";
constexpr char kCommune[] = "spiffe://ndxp.gov.vn/agency/000.01.05.H11/commune-office";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class PeeringTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    national_pki_ = new testing::TestPki();
    province_pki_ = new testing::TestPki();
  }
  static void TearDownTestSuite() {
    delete national_pki_;
    delete province_pki_;
  }

  void SetUp() override {
    // The national CA issues the hubs' certificates and the national
    // members'; the province's own CA issues its members' (the commune's).
    national_tls_ = national_pki_->Issue("national-hub", "000.00.00.A01", "hub", true);
    province_tls_ = national_pki_->Issue("province-hub", "000.00.00.H11", "lgsp", true);
    operator_tls_ = national_pki_->Issue("operator", "000.00.00.A01", "ops");
    tax_tls_ = national_pki_->Issue("tax", "000.00.00.G12", "tax-lookup");
    commune_tls_ = province_pki_->Issue("commune", "000.01.05.H11", "commune-office");
    stranger_tls_ = province_pki_->Issue("stranger", "000.01.06.H11", "other-commune");
    // The province hub trusts both CAs: its members' and the national one
    // (the national hub's certificate, and national members it may serve).
    bundle_ = absl::StrCat(dir_.path(), "/province-ca-bundle.pem");
    std::ofstream(bundle_) << ReadAll(province_pki_->ca_cert()) << ReadAll(national_pki_->ca_cert());
    province_tls_.set_ca_cert(bundle_);
    commune_tls_.set_ca_cert(national_pki_->ca_cert());  // the province hub's certificate
    stranger_tls_.set_ca_cert(national_pki_->ca_cert());
    connector_ = std::make_unique<testing::RecordingConnector>(
        national_pki_->Issue("residents", "000.00.00.H49", "residents", true));
    national_ = Start("national", NationalConfig(""));
    province_ = Start("province", ProvinceConfig(""));
  }

  std::string NationalConfig(const std::string& extra) {
    return absl::StrCat(R"(
      routes { service: "ndxp.residents.v1.ResidentRegistry" provider: "000.00.00.H49"
               endpoint: "127.0.0.1:)", connector_->port(), R"("
               personal_data_methods: "GetCitizen" }
      grants { consumer: "000.01.05.H11/commune-office" service: "ndxp.residents.v1.ResidentRegistry" }
      grants { consumer: "000.01.06.H11" service: "ndxp.residents.v1.ResidentRegistry" }
      grants { consumer: "000.00.00.G12" service: "ndxp.residents.v1.ResidentRegistry" }
      peers { spiffe_id: ")", kProvinceHub, R"(" may_assert: "*.*.*.H11" }
    )", extra);
  }

  std::string ProvinceConfig(const std::string& extra) {
    return absl::StrCat(R"(
      routes { service: "ndxp.residents.v1.ResidentRegistry" provider: "000.00.00.H49"
               endpoint: "127.0.0.1:)", national_->port(), R"(" peer_hub: ")", kNationalHub, R"("
               personal_data_methods: "GetCitizen" }
      grants { consumer: "000.01.05.H11/commune-office" service: "ndxp.residents.v1.ResidentRegistry" }
    )", extra);
  }

  std::unique_ptr<gateway::HubServer> Start(const std::string& name, const std::string& body) {
    absl::StatusOr<gateway::HubSettings> settings = Settings(name, body);
    EXPECT_TRUE(settings.ok()) << settings.status();
    auto hub = gateway::HubServer::Start(*std::move(settings));
    EXPECT_TRUE(hub.ok()) << hub.status();
    return *std::move(hub);
  }

  absl::StatusOr<gateway::HubSettings> Settings(const std::string& name, const std::string& body) {
    const config::v1::TlsFiles& tls = name == "national" ? national_tls_ : province_tls_;
    std::string path = absl::StrCat(dir_.path(), "/", name, ".textproto");
    std::ofstream(path) << absl::StrCat(R"(
      listen: "127.0.0.1:0"
      trust_domain: "ndxp.gov.vn"
      tls { ca_cert: ")", tls.ca_cert(), R"(" cert: ")", tls.cert(), R"(" key: ")", tls.key(),
                                        R"(" }
      descriptor_set: ")", NDXP_DESCRIPTOR_SET, R"("
      operators: "000.00.00.A01/ops"
      recording { database: ")", dir_.path(), "/", name, R"(.db" mode: DURABLE }
    )", body);
    return gateway::LoadHubConfig(path);
  }

  std::shared_ptr<grpc::Channel> ChannelTo(gateway::HubServer* hub,
                                           const config::v1::TlsFiles& tls) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", hub->port()),
                               *tls::MutualTlsChannelCredentials(tls));
  }

  // GetCitizen as `tls` through `hub`, with extra metadata.
  grpc::Status GetCitizen(gateway::HubServer* hub, const config::v1::TlsFiles& tls,
                          const std::vector<std::pair<std::string, std::string>>& metadata = {},
                          const std::string& purpose = "birth registration") {
    auto stub = residents::v1::ResidentRegistry::NewStub(ChannelTo(hub, tls));
    grpc::ClientContext context;
    context.AddMetadata("x-ndxp-purpose", purpose);
    for (const auto& [name, value] : metadata) context.AddMetadata(name, value);
    residents::v1::GetCitizenRequest request;
    request.set_personal_id("001085000123");
    residents::v1::GetCitizenResponse response;
    return stub->GetCitizen(&context, request, &response);
  }

  // Counts of the calls `hub` forwarded, by consumer (and the peer hub they
  // came through, after a "|", when `by_via`).
  std::map<std::string, int64_t> ForwardedByConsumer(gateway::HubServer* hub,
                                                     bool by_via = false) {
    auto stub = hub::v1::Statistics::NewStub(ChannelTo(hub, operator_tls_));
    hub::v1::CountRequest request;
    request.mutable_period()->set_kind(hub::v1::Period::CUMULATIVE);
    request.mutable_period()->mutable_anchor()->set_year(2999);
    request.mutable_period()->mutable_anchor()->set_month(12);
    request.mutable_period()->mutable_anchor()->set_day(31);
    request.add_group_by(hub::v1::CONSUMER);
    if (by_via) request.add_group_by(hub::v1::VIA);
    grpc::ClientContext context;
    hub::v1::CountResponse response;
    grpc::Status status = stub->Count(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::map<std::string, int64_t> counts;
    for (const auto& row : response.rows()) {
      counts[by_via ? absl::StrCat(row.key(0), "|", row.key(1)) : row.key(0)] += row.count();
    }
    return counts;
  }

  // An assertion as the province hub would sign it (with its key), for
  // calls made with the province hub's certificate straight to the national
  // hub.
  std::string SignAsProvince(const gateway::ConsumerAssertion& assertion,
                             const std::string& key_file = "") {
    FILE* file = std::fopen((key_file.empty() ? province_tls_.key() : key_file).c_str(), "r");
    EVP_PKEY* key = PEM_read_PrivateKey(file, nullptr, nullptr, nullptr);
    std::fclose(file);
    absl::StatusOr<std::string> value = gateway::SignAssertion(assertion, key);
    EVP_PKEY_free(key);
    EXPECT_TRUE(value.ok()) << value.status();
    return *value;
  }

  gateway::ConsumerAssertion Assertion(const std::string& request_id) {
    gateway::ConsumerAssertion a;
    a.set_consumer(kCommune);
    a.set_method(kGetCitizen);
    a.set_request_id(request_id);
    a.set_purpose("birth registration");
    const int64_t now = absl::ToUnixMillis(absl::Now());
    a.set_issued_at_ms(now);
    a.set_expires_at_ms(now + 10'000);
    a.set_nonce(absl::StrCat(request_id, std::string(16, '-')).substr(0, 16));
    return a;
  }

  // A call with the province hub's own certificate to the national hub,
  // bringing `assertion` for request id `request_id`.
  grpc::Status AssertedCall(const std::string& request_id, const std::string& assertion,
                            const config::v1::TlsFiles* tls = nullptr) {
    config::v1::TlsFiles as_province = province_tls_;
    as_province.set_ca_cert(national_pki_->ca_cert());
    return GetCitizen(national_.get(), tls != nullptr ? *tls : as_province,
                      {{"x-ndxp-request-id", request_id}, {"x-ndxp-assertion", assertion}});
  }

  static testing::TestPki* national_pki_;
  static testing::TestPki* province_pki_;
  testing::TempDir dir_;
  std::string bundle_;
  config::v1::TlsFiles national_tls_, province_tls_, operator_tls_, tax_tls_, commune_tls_,
      stranger_tls_;
  std::unique_ptr<testing::RecordingConnector> connector_;
  std::unique_ptr<gateway::HubServer> national_, province_;
};

testing::TestPki* PeeringTest::national_pki_ = nullptr;
testing::TestPki* PeeringTest::province_pki_ = nullptr;

TEST_F(PeeringTest, CommuneReachesTheNationalRegistryAsItself) {
  for (int i = 0; i < 5; ++i) {
    grpc::Status status = GetCitizen(province_.get(), commune_tls_);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  // The registry is told the commune called, by the national hub.
  testing::SeenCall seen = connector_->last_call();
  EXPECT_EQ(seen.consumer, kCommune);
  EXPECT_EQ(seen.purpose, "birth registration");
  EXPECT_EQ(seen.peer_spiffe_id, kNationalHub);
  // Both levels count the same five calls under the commune.
  EXPECT_EQ(ForwardedByConsumer(province_.get()),
            (std::map<std::string, int64_t>{{"000.01.05.H11/commune-office", 5}}));
  EXPECT_EQ(ForwardedByConsumer(national_.get()),
            (std::map<std::string, int64_t>{{"000.01.05.H11/commune-office", 5}}));
  // The national hub records the province hub they came through; the
  // province hub had them from its own member.
  EXPECT_EQ(ForwardedByConsumer(national_.get(), /*by_via=*/true),
            (std::map<std::string, int64_t>{
                {"000.01.05.H11/commune-office|000.00.00.H11/lgsp", 5}}));
  EXPECT_EQ(ForwardedByConsumer(province_.get(), /*by_via=*/true),
            (std::map<std::string, int64_t>{{"000.01.05.H11/commune-office|", 5}}));
}

TEST_F(PeeringTest, ProvinceGrantsComeFirst) {
  // Granted at the national hub, not at the province's: refused there, and
  // the call never reaches the national hub.
  grpc::Status status = GetCitizen(province_.get(), stranger_tls_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("000.01.06.H11/other-commune"));
  EXPECT_EQ(connector_->calls(), 0);
  EXPECT_TRUE(ForwardedByConsumer(national_.get()).empty());
}

TEST_F(PeeringTest, OrdinaryMemberSendingTheHeaderIsRefused) {
  grpc::Status status =
      GetCitizen(national_.get(), tax_tls_,
                 {{"x-ndxp-request-id", "r-member"},
                  {"x-ndxp-assertion", SignAsProvince(Assertion("r-member"))}});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("000.00.00.G12/tax-lookup is not a peer hub of this hub"));
  EXPECT_EQ(connector_->calls(), 0);
}

TEST_F(PeeringTest, EveryBrokenAssertionIsRefusedByTheCheckThatFailed) {
  // The sound one passes, once.
  const std::string sound = SignAsProvince(Assertion("r-sound"));
  grpc::Status status = AssertedCall("r-sound", sound);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(connector_->last_call().consumer, kCommune);

  struct Case {
    const char* what;
    grpc::StatusCode code;
    const char* message;
    std::string request_id;
    std::string value;
  };
  gateway::ConsumerAssertion expired = Assertion("r-expired");
  expired.set_issued_at_ms(expired.issued_at_ms() - 20'000);
  expired.set_expires_at_ms(expired.issued_at_ms() + 10'000);
  gateway::ConsumerAssertion other_method = Assertion("r-method");
  other_method.set_method("/ndxp.residents.v1.ResidentRegistry/VerifyCitizen");
  gateway::ConsumerAssertion outside = Assertion("r-outside");
  outside.set_consumer("spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup");
  gateway::ConsumerAssertion looped = Assertion("r-loop");
  looped.add_earlier_hubs(kNationalHub);
  looped.add_earlier_hubs("spiffe://ndxp.gov.vn/agency/000.00.00.H12/lgsp");
  std::string modified = SignAsProvince(Assertion("r-modified"));
  modified[modified.find('.') - 5] ^= 1;  // one base64 character of the payload
  const std::string foreign_key = national_tls_.key();  // signed, but not by this connection's key
  // MAC'd, but with a key that is not this connection's exporter's (a
  // gRPC client cannot reach its connection's exporter: the sound MAC'd
  // form is CommuneReachesTheNationalRegistryAsItself's, hub to hub).
  gateway::AssertionMacKey other_connection =
      gateway::AssertionMacKey::FromSecret("not this connection's exporter!!");

  const Case cases[] = {
      {"replayed", grpc::StatusCode::UNAUTHENTICATED, "replayed", "r-sound", sound},
      {"modified", grpc::StatusCode::UNAUTHENTICATED, "x-ndxp-assertion: ", "r-modified", modified},
      {"other key", grpc::StatusCode::UNAUTHENTICATED, "signature does not verify", "r-key",
       SignAsProvince(Assertion("r-key"), foreign_key)},
      {"MAC of another connection", grpc::StatusCode::UNAUTHENTICATED,
       "the MAC does not verify", "r-mac",
       *gateway::MacAssertion(Assertion("r-mac"), other_connection)},
      {"expired", grpc::StatusCode::UNAUTHENTICATED, "expired", "r-expired",
       SignAsProvince(expired)},
      {"other method", grpc::StatusCode::UNAUTHENTICATED,
       "asserted for /ndxp.residents.v1.ResidentRegistry/VerifyCitizen", "r-method",
       SignAsProvince(other_method)},
      {"other request id", grpc::StatusCode::UNAUTHENTICATED, "request id", "r-other",
       SignAsProvince(Assertion("r-first"))},
      {"outside scope", grpc::StatusCode::PERMISSION_DENIED, "outside the scope", "r-outside",
       SignAsProvince(outside)},
      {"hop limit", grpc::StatusCode::PERMISSION_DENIED, "at most 3", "r-loop",
       SignAsProvince(looped)},
      {"empty", grpc::StatusCode::UNAUTHENTICATED, "malformed", "r-empty", ""},
  };
  for (const Case& c : cases) {
    grpc::Status refused = AssertedCall(c.request_id, c.value);
    EXPECT_EQ(refused.error_code(), c.code) << c.what << ": " << refused.error_message();
    EXPECT_THAT(refused.error_message(), HasSubstr(c.message)) << c.what;
  }
  EXPECT_EQ(connector_->calls(), 1);  // only the sound one
}

TEST_F(PeeringTest, TwoAssertionsInOneCallAreRefused) {
  config::v1::TlsFiles as_province = province_tls_;
  as_province.set_ca_cert(national_pki_->ca_cert());
  grpc::Status status =
      GetCitizen(national_.get(), as_province,
                 {{"x-ndxp-request-id", "r-two"},
                  {"x-ndxp-assertion", SignAsProvince(Assertion("r-two"))},
                  {"x-ndxp-assertion", SignAsProvince(Assertion("r-two-b"))}});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("2 of them"));
  EXPECT_EQ(connector_->calls(), 0);
}

TEST_F(PeeringTest, LoopOfPeerRoutesIsCutAtTheHopLimit) {
  // The national hub routes echo to the province and the province back to
  // the national hub: commune -> province -> national -> province, which
  // must not send it on.
  const std::string echo_grant =
      R"(grants { consumer: "000.01.05.H11" service: "ndxp.bench.v1.Echo" })";
  ASSERT_TRUE(national_
                  ->Reload(*Settings("national",
                                     NationalConfig(absl::StrCat(
                                         R"(routes { service: "ndxp.bench.v1.Echo" provider: "000.00.00.H11" endpoint: "127.0.0.1:)",
                                         province_->port(), R"(" peer_hub: ")", kProvinceHub,
                                         R"(" })", echo_grant))))
                  .ok());
  ASSERT_TRUE(province_
                  ->Reload(*Settings("province",
                                     ProvinceConfig(absl::StrCat(
                                         R"(routes { service: "ndxp.bench.v1.Echo" provider: "000.00.00.H11" endpoint: "127.0.0.1:)",
                                         national_->port(), R"(" peer_hub: ")", kNationalHub,
                                         R"(" } peers { spiffe_id: ")", kNationalHub,
                                         R"(" may_assert: "*.*.*.H11" })", echo_grant))))
                  .ok());
  auto stub = bench::v1::Echo::NewStub(ChannelTo(province_.get(), commune_tls_));
  grpc::ClientContext context;
  bench::v1::EchoRequest request;
  bench::v1::EchoResponse response;
  grpc::Status status = stub->Echo(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("at most 3"));
}

}  // namespace
}  // namespace ndxp
