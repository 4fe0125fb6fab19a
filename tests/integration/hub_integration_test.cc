// The hub end to end in one process: real mutual TLS with certificates from
// certs/ndxp-pki, the hub on port 0, a recording connector behind it, and
// clients generated from the protos.
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/protocol/metadata.h"
#include "common/tls/credentials.h"
#include "gateway/config/hub_config.h"
#include "gateway/hub_server.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"
#include "ndxp/v1/options.pb.h"
#include "tests/integration/recording_connector.h"
#include "tests/testing/test_pki.h"

namespace ndxp {
namespace {

using ::testing::HasSubstr;
using residents::v1::GetCitizenRequest;
using residents::v1::GetCitizenResponse;
using residents::v1::ResidentRegistry;

constexpr char kResidents[] = "ndxp.residents.v1.ResidentRegistry";
constexpr char kDemoId[] = "spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup";
constexpr char kHubId[] = "spiffe://ndxp.gov.vn/agency/000.00.00.A01/hub";

// A port with nothing listening: bound (so no one else takes it) but never
// listen()ed, so connecting is refused at once.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_;
};

class HubIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new testing::TestPki();
    hub_tls_ = new config::v1::TlsFiles(pki_->Issue("hub", "000.00.00.A01", "hub", true));
    connector_tls_ = new config::v1::TlsFiles(
        pki_->Issue("residents", "000.00.00.H49", "residents", true));
    demo_tls_ = new config::v1::TlsFiles(pki_->Issue("demo", "000.00.00.G12", "tax-lookup"));
    insurer_tls_ = new config::v1::TlsFiles(pki_->Issue("insurer", "000.00.18.H49", "claims"));
    unauthorized_tls_ =
        new config::v1::TlsFiles(pki_->Issue("unauthorized", "000.00.00.G99", "nobody"));
    revoked_tls_ = new config::v1::TlsFiles(pki_->Issue("revoked", "000.00.00.G12", "stolen"));
    pki_->Revoke("revoked");
    refusing_ = new RefusingPort();
    connector_ = new testing::RecordingConnector(*connector_tls_);

    config_dir_ = new testing::TempDir();
    config_path_ = new std::string(config_dir_->path() + "/hub.textproto");
    config_text_ = new std::string(absl::StrCat(R"(
      listen: "127.0.0.1:0"
      trust_domain: "ndxp.gov.vn"
      tls { ca_cert: ")", hub_tls_->ca_cert(), R"(" cert: ")", hub_tls_->cert(),
                                        R"(" key: ")", hub_tls_->key(),
                                        R"(" crl_dir: ")", pki_->crl_dir(), R"(" }
      descriptor_set: ")", NDXP_DESCRIPTOR_SET, R"("
      limits { max_message_bytes: 65536 }
      routes {
        service: "ndxp.residents.v1.ResidentRegistry"
        provider: "000.00.00.H49"
        endpoint: "127.0.0.1:)", connector_->port(), R"("
        personal_data_methods: ["GetCitizen", "ListRelatives", "BatchVerifyCitizens"]
      }
      routes {
        service: "ndxp.bench.v1.Echo"
        provider: "000.00.00.H50"
        endpoint: "127.0.0.1:)", refusing_->port(), R"("
      }
      grants { consumer: "000.00.00.G12" service: "ndxp.residents.v1.ResidentRegistry" }
      grants { consumer: "000.00.00.G12" service: "ndxp.bench.v1.Echo" }
      grants { consumer: "000.00.18.H49/claims" service: "ndxp.residents.v1.ResidentRegistry"
               method: "VerifyCitizen" }
      grants { consumer: "000.00.00.G12" service: "grpc.health.v1.Health" }
      grants { consumer: "000.00.00.G12" service: "grpc.reflection.v1.ServerReflection" }
      grants { consumer: "000.00.00.G12" service: "grpc.reflection.v1alpha.ServerReflection" }
    )"));
    std::ofstream(*config_path_) << *config_text_;
    absl::StatusOr<gateway::HubSettings> settings = gateway::LoadHubConfig(*config_path_);
    ASSERT_TRUE(settings.ok()) << settings.status();
    auto hub = gateway::HubServer::Start(*std::move(settings));
    ASSERT_TRUE(hub.ok()) << hub.status();
    hub_ = hub->release();
  }

  static void TearDownTestSuite() {
    delete hub_;
    delete connector_;
    delete refusing_;
    delete config_dir_;
    delete config_path_;
    delete config_text_;
    for (auto* tls :
         {hub_tls_, connector_tls_, demo_tls_, insurer_tls_, unauthorized_tls_, revoked_tls_}) {
      delete tls;
    }
    delete pki_;
  }

  static std::shared_ptr<grpc::Channel> ChannelAs(const config::v1::TlsFiles& tls) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a fresh handshake per identity
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", hub_->port()),
                                     *tls::MutualTlsChannelCredentials(tls), args);
  }

  static std::unique_ptr<ResidentRegistry::Stub> ResidentsAs(const config::v1::TlsFiles& tls) {
    return ResidentRegistry::NewStub(ChannelAs(tls));
  }

  static void WithPurpose(grpc::ClientContext* context) {
    context->AddMetadata(protocol::kPurposeHeader, "tax assessment 2026");
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  }

  static grpc::Status GetCitizenAs(const config::v1::TlsFiles& tls,
                                   const std::string& personal_id = "001085000123") {
    grpc::ClientContext context;
    WithPurpose(&context);
    GetCitizenRequest request;
    request.set_personal_id(personal_id);
    GetCitizenResponse response;
    return ResidentsAs(tls)->GetCitizen(&context, request, &response);
  }

  static testing::TestPki* pki_;
  static config::v1::TlsFiles *hub_tls_, *connector_tls_, *demo_tls_, *insurer_tls_,
      *unauthorized_tls_, *revoked_tls_;
  static RefusingPort* refusing_;
  static testing::RecordingConnector* connector_;
  // Reloads the hub with its original configuration plus `extra` lines.
  static absl::Status ReloadWith(const std::string& extra, const std::string& from = "",
                                 const std::string& to = "") {
    std::string text = from.empty() ? *config_text_
                                    : absl::StrReplaceAll(*config_text_, {{from, to}});
    std::ofstream(*config_path_) << text << extra;
    absl::StatusOr<gateway::HubSettings> settings = gateway::LoadHubConfig(*config_path_);
    if (!settings.ok()) return settings.status();
    return hub_->Reload(*std::move(settings));
  }

  static testing::TempDir* config_dir_;
  static std::string* config_path_;
  static std::string* config_text_;
  static gateway::HubServer* hub_;
};

testing::TestPki* HubIntegrationTest::pki_;
config::v1::TlsFiles *HubIntegrationTest::hub_tls_, *HubIntegrationTest::connector_tls_,
    *HubIntegrationTest::demo_tls_, *HubIntegrationTest::insurer_tls_,
    *HubIntegrationTest::unauthorized_tls_, *HubIntegrationTest::revoked_tls_;
RefusingPort* HubIntegrationTest::refusing_;
testing::RecordingConnector* HubIntegrationTest::connector_;
testing::TempDir* HubIntegrationTest::config_dir_;
std::string* HubIntegrationTest::config_path_;
std::string* HubIntegrationTest::config_text_;
gateway::HubServer* HubIntegrationTest::hub_;

TEST_F(HubIntegrationTest, GrantedCallSucceedsWithConnectorMetadata) {
  grpc::ClientContext context;
  WithPurpose(&context);
  GetCitizenRequest request;
  request.set_personal_id("001085000123");
  GetCitizenResponse response;
  grpc::Status status = ResidentsAs(*demo_tls_)->GetCitizen(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.citizen().personal_id(), "001085000123");
  EXPECT_EQ(response.citizen().full_name(), "Nguyễn Văn An");
  const auto& headers = context.GetServerInitialMetadata();
  EXPECT_EQ(headers.count("x-connector-header"), 1u);
  EXPECT_EQ(headers.count(protocol::kRequestIdHeader), 1u);
  EXPECT_EQ(context.GetServerTrailingMetadata().count("x-connector-trailer"), 1u);

  testing::SeenCall seen = connector_->last_call();
  EXPECT_EQ(seen.consumer, kDemoId);
  EXPECT_EQ(seen.purpose, "tax assessment 2026");
  EXPECT_EQ(seen.peer_spiffe_id, kHubId) << "the hub calls with its own certificate";
  auto echoed = headers.find(protocol::kRequestIdHeader)->second;
  EXPECT_EQ(seen.request_id, std::string(echoed.data(), echoed.size()));
  EXPECT_EQ(seen.request_id.size(), 32u) << "a generated id";
}

TEST_F(HubIntegrationTest, CallerRequestIdIsForwardedAndEchoed) {
  grpc::ClientContext context;
  WithPurpose(&context);
  context.AddMetadata(protocol::kRequestIdHeader, "caller-chosen-42");
  GetCitizenRequest request;
  request.set_personal_id("001085000123");
  GetCitizenResponse response;
  ASSERT_TRUE(ResidentsAs(*demo_tls_)->GetCitizen(&context, request, &response).ok());
  auto echoed = context.GetServerInitialMetadata().find(protocol::kRequestIdHeader);
  ASSERT_NE(echoed, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(echoed->second.data(), echoed->second.size()), "caller-chosen-42");
  EXPECT_EQ(connector_->last_call().request_id, "caller-chosen-42");
}

TEST_F(HubIntegrationTest, HandshakeFailsWithoutAValidClientCertificate) {
  struct Case {
    const char* name;
    std::shared_ptr<grpc::ChannelCredentials> credentials;
  };
  grpc::SslCredentialsOptions no_certificate;
  no_certificate.pem_root_certs = *tls::ReadFile(pki_->ca_cert());
  Case cases[] = {
      {"no client certificate", grpc::SslCredentials(no_certificate)},
      {"other CA", *tls::MutualTlsChannelCredentials(pki_->IssueBad("other-ca"))},
      {"expired", *tls::MutualTlsChannelCredentials(pki_->IssueBad("expired"))},
      {"revoked (the hub has the CRL)", *tls::MutualTlsChannelCredentials(*revoked_tls_)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto stub = ResidentRegistry::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", hub_->port()), c.credentials, args));
    grpc::ClientContext context;
    WithPurpose(&context);
    GetCitizenRequest request;
    request.set_personal_id("001085000123");
    GetCitizenResponse response;
    grpc::Status status = stub->GetCitizen(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
}

TEST_F(HubIntegrationTest, CertificateWithoutValidIdentityIsUnauthenticated) {
  struct Case {
    const char* kind;
    const char* reason;
  };
  for (const Case& c : {Case{"no-uri-san", "no spiffe:// URI SAN"},
                        Case{"bad-agency-code", "malformed agency code"},
                        Case{"wrong-trust-domain", "not in trust domain"}}) {
    SCOPED_TRACE(c.kind);
    grpc::Status status = GetCitizenAs(pki_->IssueBad(c.kind));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(status.error_message(), HasSubstr(c.reason));
  }
  EXPECT_GE(
      hub_->stats().refusals[static_cast<size_t>(gateway::Refusal::kUnauthenticated)].load(),
      3u);
}

TEST_F(HubIntegrationTest, MethodNotGrantedIsPermissionDeniedNamingCallerAndMethod) {
  grpc::Status status = GetCitizenAs(*insurer_tls_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("spiffe://ndxp.gov.vn/agency/000.00.18.H49/claims"));
  EXPECT_THAT(status.error_message(), HasSubstr("/ndxp.residents.v1.ResidentRegistry/GetCitizen"));

  // The method it was granted works.
  grpc::ClientContext context;
  residents::v1::VerifyCitizenRequest request;
  request.set_personal_id("001085000123");
  residents::v1::VerifyCitizenResponse response;
  EXPECT_TRUE(ResidentsAs(*insurer_tls_)->VerifyCitizen(&context, request, &response).ok());
}

TEST_F(HubIntegrationTest, ReloadAppliesNewGrantsAndKeepsTheOldConfigOnError) {
  auto verify_as_unauthorized = [] {
    grpc::ClientContext context;
    residents::v1::VerifyCitizenRequest request;
    request.set_personal_id("001085000123");
    residents::v1::VerifyCitizenResponse response;
    return ResidentsAs(*unauthorized_tls_)->VerifyCitizen(&context, request, &response);
  };
  ASSERT_EQ(verify_as_unauthorized().error_code(), grpc::StatusCode::PERMISSION_DENIED);

  constexpr char kGrant[] = R"(grants { consumer: "000.00.00.G99"
    service: "ndxp.residents.v1.ResidentRegistry" method: "VerifyCitizen" })";
  ASSERT_TRUE(ReloadWith(kGrant).ok());
  EXPECT_TRUE(verify_as_unauthorized().ok()) << "the new grant applies to new calls";

  // A change only a restart can apply is refused; the running config stays.
  absl::Status refused =
      ReloadWith(kGrant, "max_message_bytes: 65536", "max_message_bytes: 1024");
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(verify_as_unauthorized().ok());

  // An invalid file does not get as far as the hub.
  EXPECT_EQ(ReloadWith("grants { consumer: \"nobody\" }").code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(ReloadWith("").ok());
  EXPECT_EQ(verify_as_unauthorized().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(HubIntegrationTest, ConnectorOfAnotherAgencyNeverReceivesTheCall) {
  // The route now names another provider than the agency in the connector's
  // certificate (a mis-pointed route, or another member squatting on the
  // port): the upstream handshake fails, the call never reaches it.
  const int64_t before = connector_->calls();
  ASSERT_TRUE(ReloadWith("", R"(provider: "000.00.00.H49")", R"(provider: "000.00.00.H48")").ok());
  grpc::Status status = GetCitizenAs(*demo_tls_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(connector_->calls(), before);

  ASSERT_TRUE(ReloadWith("").ok());
  EXPECT_TRUE(GetCitizenAs(*demo_tls_).ok());
}

TEST_F(HubIntegrationTest, ValidIdentityWithoutGrantsIsPermissionDenied) {
  grpc::Status status = GetCitizenAs(*unauthorized_tls_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("000.00.00.G99/nobody"));
}

TEST_F(HubIntegrationTest, UnknownServiceOrMethodIsUnimplemented) {
  grpc::GenericStub stub(ChannelAs(*demo_tls_));
  for (const char* method : {"/ndxp.nothing.v1.Nothing/Get",
                             "/ndxp.residents.v1.ResidentRegistry/DeleteEveryone"}) {
    SCOPED_TRACE(method);
    grpc::ClientContext context;
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status s) { done.set_value(std::move(s)); });
    grpc::Status status = done.get_future().get();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_THAT(status.error_message(), HasSubstr(method));
  }
}

TEST_F(HubIntegrationTest, SpoofedConsumerHeaderNeverReachesTheConnector) {
  grpc::ClientContext context;
  WithPurpose(&context);
  context.AddMetadata(protocol::kConsumerHeader,
                      "spiffe://ndxp.gov.vn/agency/000.00.00.G01/president");
  GetCitizenRequest request;
  request.set_personal_id("001085000123");
  GetCitizenResponse response;
  ASSERT_TRUE(ResidentsAs(*demo_tls_)->GetCitizen(&context, request, &response).ok());
  EXPECT_EQ(connector_->last_call().consumer, kDemoId) << "exactly one value: the true caller";
}

TEST_F(HubIntegrationTest, PersonalDataWithoutPurposeIsInvalidArgument) {
  grpc::ClientContext context;
  GetCitizenRequest request;
  request.set_personal_id("001085000123");
  GetCitizenResponse response;
  grpc::Status status = ResidentsAs(*demo_tls_)->GetCitizen(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("x-ndxp-purpose"));

  // VerifyCitizen is not marked as personal data: no purpose needed.
  grpc::ClientContext verify_context;
  residents::v1::VerifyCitizenRequest verify;
  verify.set_personal_id("001085000123");
  residents::v1::VerifyCitizenResponse verified;
  EXPECT_TRUE(ResidentsAs(*demo_tls_)->VerifyCitizen(&verify_context, verify, &verified).ok());
}

TEST_F(HubIntegrationTest, ConnectorStatusPassesThroughUnchanged) {
  grpc::ClientContext context;
  WithPurpose(&context);
  GetCitizenRequest request;
  request.set_personal_id("001099000000");
  GetCitizenResponse response;
  grpc::Status status = ResidentsAs(*demo_tls_)->GetCitizen(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "no citizen 001099000000");
  EXPECT_EQ(status.error_details(), "opaque-details");

  status = GetCitizenAs(*demo_tls_, "123");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "personal_id: must be exactly 12 digits");
}

TEST_F(HubIntegrationTest, ConnectorDownIsUnavailableNotAHang) {
  // The route to ndxp.bench.v1.Echo points at a port that refuses
  // connections. With a generous deadline, a hang would show as
  // DEADLINE_EXCEEDED; the hub must answer UNAVAILABLE instead.
  grpc::GenericStub stub(ChannelAs(*demo_tls_));
  for (int attempt = 0; attempt < 2; ++attempt) {  // first connect, then backoff
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, "/ndxp.bench.v1.Echo/Echo", grpc::StubOptions(), &request,
                   &response, [&done](grpc::Status s) { done.set_value(std::move(s)); });
    grpc::Status status = done.get_future().get();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
}

TEST_F(HubIntegrationTest, CallerDeadlineReachesTheConnector) {
  auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(7);
  grpc::ClientContext context;
  context.AddMetadata(protocol::kPurposeHeader, "audit");
  context.set_deadline(deadline);
  GetCitizenRequest request;
  request.set_personal_id("001085000123");
  GetCitizenResponse response;
  ASSERT_TRUE(ResidentsAs(*demo_tls_)->GetCitizen(&context, request, &response).ok());
  auto seen = connector_->last_call().deadline;
  // The hub may only shorten it (transfer time); grpc-timeout is encoded
  // with millisecond-or-coarser units, hence the rounding allowance.
  EXPECT_LE(seen, deadline + std::chrono::milliseconds(100));
  EXPECT_GT(seen, deadline - std::chrono::seconds(6)) << "far shorter than the caller's";
}

TEST_F(HubIntegrationTest, CallWithoutDeadlineGetsTheDefaultUpstream) {
  grpc::ClientContext context;
  residents::v1::VerifyCitizenRequest request;
  request.set_personal_id("001085000123");
  residents::v1::VerifyCitizenResponse response;
  ASSERT_TRUE(ResidentsAs(*demo_tls_)->VerifyCitizen(&context, request, &response).ok());
  EXPECT_NE(connector_->last_call().deadline, std::chrono::system_clock::time_point::max());
}

TEST_F(HubIntegrationTest, ServerStreamingCallStreamsThroughTheHub) {
  grpc::ClientContext context;
  WithPurpose(&context);
  residents::v1::ListRelativesRequest request;
  request.set_personal_id("001085000123");
  auto reader = ResidentsAs(*demo_tls_)->ListRelatives(&context, request);
  std::vector<std::string> ids;
  residents::v1::Relative relative;
  while (reader->Read(&relative)) ids.push_back(relative.personal_id());
  grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(ids, ::testing::ElementsAre("001080000000", "001080000001", "001080000002"));
  EXPECT_EQ(connector_->last_call().consumer, kDemoId);
}

TEST_F(HubIntegrationTest, BidiStreamingCallStreamsBothWays) {
  grpc::ClientContext context;
  WithPurpose(&context);
  auto stream = ResidentsAs(*demo_tls_)->BatchVerifyCitizens(&context);
  for (int i = 0; i < 5; ++i) {
    residents::v1::VerifyCitizenRequest request;
    request.set_personal_id(absl::StrCat("00108500000", i));
    ASSERT_TRUE(stream->Write(request));
    residents::v1::VerifyCitizenResponse response;
    ASSERT_TRUE(stream->Read(&response));  // answered before the next is sent
    EXPECT_EQ(response.personal_id(), request.personal_id());
  }
  stream->WritesDone();
  residents::v1::VerifyCitizenResponse extra;
  EXPECT_FALSE(stream->Read(&extra));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(HubIntegrationTest, StreamEndedByTheConnectorCarriesItsStatus) {
  grpc::ClientContext context;
  WithPurpose(&context);
  auto stream = ResidentsAs(*demo_tls_)->BatchVerifyCitizens(&context);
  residents::v1::VerifyCitizenRequest request;
  request.set_personal_id("stop");
  ASSERT_TRUE(stream->Write(request));
  // The caller keeps its side open: the connector's status must still arrive.
  residents::v1::VerifyCitizenResponse response;
  EXPECT_FALSE(stream->Read(&response));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "item: stop");
}

TEST_F(HubIntegrationTest, OversizedRequestIsResourceExhausted) {
  grpc::ClientContext context;
  WithPurpose(&context);
  GetCitizenRequest request;
  request.set_personal_id(std::string(100 * 1024, '1'));  // limit is 64 KiB
  GetCitizenResponse response;
  grpc::Status status = ResidentsAs(*demo_tls_)->GetCitizen(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(HubIntegrationTest, HealthIsServing) {
  auto stub = grpc::health::v1::Health::NewStub(ChannelAs(*demo_tls_));
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(stub->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  grpc::ClientContext routed_context;
  request.set_service(kResidents);
  ASSERT_TRUE(stub->Check(&routed_context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  grpc::ClientContext unknown_context;
  request.set_service("ndxp.nothing.v1.Nothing");
  EXPECT_EQ(stub->Check(&unknown_context, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(HubIntegrationTest, HealthWatchSendsServingAndStaysOpenUntilCancelled) {
  auto stub = grpc::health::v1::Health::NewStub(ChannelAs(*demo_tls_));
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  auto reader = stub->Watch(&context, request);
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  context.TryCancel();
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

template <typename Reflection>
void ExpectReflectionListsAndDescribesResidents(std::shared_ptr<grpc::Channel> channel) {
  auto stub = Reflection::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->ServerReflectionInfo(&context);
  typename Reflection::ServerReflectionRequest request;
  typename Reflection::ServerReflectionResponse response;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_THAT(names, ::testing::Contains(kResidents));

  request.set_file_containing_symbol(kResidents);
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> files;
  google::protobuf::FileDescriptorProto residents;
  for (const std::string& bytes : response.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    files.push_back(file.name());
    if (file.name() == "ndxp/residents/v1/residents.proto") residents = file;
  }
  // The file and what it imports, each once (its REST mappings import
  // google/api/annotations.proto, its data_subject marks ndxp/v1/options.proto,
  // both of which import descriptor.proto).
  EXPECT_THAT(files, ::testing::UnorderedElementsAre(
                         "ndxp/residents/v1/residents.proto", "google/protobuf/field_mask.proto",
                         "google/api/annotations.proto", "google/api/http.proto",
                         "ndxp/v1/options.proto", "google/protobuf/descriptor.proto"));
  // The .proto file's comments come along (grpcurl describe prints them):
  // GetCitizen's is at path [service = 6, its index, method = 2, its index].
  std::vector<int> get_citizen;
  for (int s = 0; s < residents.service_size(); ++s) {
    for (int m = 0; m < residents.service(s).method_size(); ++m) {
      if (residents.service(s).method(m).name() == "GetCitizen") get_citizen = {6, s, 2, m};
    }
  }
  ASSERT_FALSE(get_citizen.empty());
  std::string comment;
  for (const auto& location : residents.source_code_info().location()) {
    if (std::vector<int>(location.path().begin(), location.path().end()) == get_citizen) {
      comment = location.leading_comments();
    }
  }
  EXPECT_EQ(comment, " Only the fields named in read_mask.\n");
  // The fields' options come along: the data_subject marks (grpcurl shows
  // them; an agency's tools can read whose data a method is about).
  bool personal_id_marked = false;
  for (const auto& message : residents.message_type()) {
    if (message.name() != "GetCitizenRequest") continue;
    for (const auto& field : message.field()) {
      if (field.name() == "personal_id") {
        personal_id_marked = field.options().GetExtension(ndxp::v1::data_subject);
      }
    }
  }
  EXPECT_TRUE(personal_id_marked);

  request.set_file_containing_symbol("ndxp.nothing.v1.Nothing");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

struct V1 {
  using ServerReflection = grpc::reflection::v1::ServerReflection;
  using ServerReflectionRequest = grpc::reflection::v1::ServerReflectionRequest;
  using ServerReflectionResponse = grpc::reflection::v1::ServerReflectionResponse;
};
struct V1Alpha {
  using ServerReflection = grpc::reflection::v1alpha::ServerReflection;
  using ServerReflectionRequest = grpc::reflection::v1alpha::ServerReflectionRequest;
  using ServerReflectionResponse = grpc::reflection::v1alpha::ServerReflectionResponse;
};

TEST_F(HubIntegrationTest, ReflectionV1ListsAndDescribesRoutedServices) {
  ExpectReflectionListsAndDescribesResidents<V1>(ChannelAs(*demo_tls_));
}

TEST_F(HubIntegrationTest, ReflectionV1AlphaListsAndDescribesRoutedServices) {
  ExpectReflectionListsAndDescribesResidents<V1Alpha>(ChannelAs(*demo_tls_));
}

// The hub's own services are granted like routed ones: a member granted
// one method of the residents registry, and not health or reflection, is
// refused them, naming the method; nothing is answered for it.
TEST_F(HubIntegrationTest, HealthAndReflectionNeedAGrant) {
  auto health = grpc::health::v1::Health::NewStub(ChannelAs(*insurer_tls_));
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = health->Check(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("is not granted /grpc.health.v1.Health/Check"));

  auto reflection = grpc::reflection::v1::ServerReflection::NewStub(ChannelAs(*insurer_tls_));
  grpc::ClientContext reflection_context;
  auto stream = reflection->ServerReflectionInfo(&reflection_context);
  grpc::reflection::v1::ServerReflectionRequest list;
  list.set_list_services("");
  stream->Write(list);
  stream->WritesDone();
  grpc::reflection::v1::ServerReflectionResponse listed;
  EXPECT_FALSE(stream->Read(&listed));
  status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("is not granted /grpc.reflection.v1.ServerReflection/ServerReflectionInfo"));
}

// grpcurl decodes a connector's google.rpc.BadRequest without .proto files.
TEST_F(HubIntegrationTest, ReflectionDescribesTheErrorDetails) {
  auto stub = V1::ServerReflection::NewStub(ChannelAs(*demo_tls_));
  grpc::ClientContext context;
  auto stream = stub->ServerReflectionInfo(&context);
  for (const char* symbol : {"google.rpc.BadRequest", "google.rpc.ErrorInfo", "google.rpc.Status"}) {
    SCOPED_TRACE(symbol);
    V1::ServerReflectionRequest request;
    V1::ServerReflectionResponse response;
    request.set_file_containing_symbol(symbol);
    ASSERT_TRUE(stream->Write(request));
    ASSERT_TRUE(stream->Read(&response));
    ASSERT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0)
        << response.error_response().error_message();
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0)));
    EXPECT_EQ(file.package(), "google.rpc");
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
}  // namespace ndxp
