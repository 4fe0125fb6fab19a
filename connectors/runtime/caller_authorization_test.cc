// Caller authorisation over real mutual TLS: a connector server whose
// allowed_callers names the hub admits the hub and nobody else, on every
// service (the health service and a registered one), before any handler runs.
#include "connectors/runtime/caller_authorization.h"

#include <functional>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/test/server_context_test_spouse.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/protocol/metadata.h"
#include "common/tls/credentials.h"
#include "connectors/runtime/caller_info.h"
#include "connectors/runtime/connector_server.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/testing/test_pki.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"

namespace ndxp::connectors {
namespace {

using grpc::reflection::v1alpha::ServerReflection;
using grpc::reflection::v1alpha::ServerReflectionRequest;
using grpc::reflection::v1alpha::ServerReflectionResponse;

constexpr char kHub[] = "spiffe://ndxp.gov.vn/agency/000.00.00.A01/hub";

// A stand-in for a connector's own service (any registered service will do):
// records who called, so the test can tell whether the handler ran.
class RecordingService final : public ServerReflection::Service {
 public:
  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<ServerReflectionResponse, ServerReflectionRequest>* stream)
      override {
    ServerReflectionRequest request;
    while (stream->Read(&request)) {
    }
    absl::MutexLock lock(&mu_);
    calls_.push_back(CallerInfoFromContext(*context));
    return grpc::Status::OK;
  }

  std::vector<CallerInfo> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  absl::Mutex mu_;
  std::vector<CallerInfo> calls_ ABSL_GUARDED_BY(mu_);
};

class CallerAuthorizationTest : public ::testing::Test {
 protected:
  // The PKI script is slow-ish: one CA for the suite.
  static void SetUpTestSuite() { pki_ = new ndxp::testing::TestPki(); }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  void SetUp() override {
    ndxp::config::v1::ConnectorConfig config;
    config.set_listen("127.0.0.1:0");
    *config.mutable_tls() = pki_->Issue("server", "000.00.00.H49", "residents", true);
    config.add_allowed_callers(kHub);
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        AuthorizedServerCredentials(config);
    ASSERT_TRUE(credentials.ok()) << credentials.status();
    absl::StatusOr<std::unique_ptr<ConnectorServer>> server =
        ConnectorServer::Start({config.listen(), *credentials, {&service_}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  void TearDown() override { server_.reset(); }

  std::shared_ptr<grpc::Channel> ChannelWith(const ndxp::config::v1::TlsFiles& files) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        ndxp::tls::MutualTlsChannelCredentials(files);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                     *credentials, args);
  }

  std::shared_ptr<grpc::Channel> HubChannel() {
    return ChannelWith(pki_->Issue("hub", "000.00.00.A01", "hub"));
  }

  static ndxp::testing::TestPki* pki_;
  RecordingService service_;
  std::unique_ptr<ConnectorServer> server_;
};

ndxp::testing::TestPki* CallerAuthorizationTest::pki_ = nullptr;

TEST_F(CallerAuthorizationTest, OnlyAllowedCallersGetThrough) {
  struct Case {
    std::string name;
    std::function<ndxp::config::v1::TlsFiles()> identity;
    grpc::StatusCode code;
    std::string message;
  };
  const Case cases[] = {
      {"hub", [] { return pki_->Issue("hub", "000.00.00.A01", "hub"); },
       grpc::StatusCode::OK, ""},
      {"tax", [] { return pki_->Issue("tax", "000.00.00.G12", "tax-lookup"); },
       grpc::StatusCode::PERMISSION_DENIED,
       "caller spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup is not allowed to "
       "call this connector"},
      // Same agency, another subsystem.
      {"hub2", [] { return pki_->Issue("hub2", "000.00.00.A01", "hub2"); },
       grpc::StatusCode::PERMISSION_DENIED,
       "caller spiffe://ndxp.gov.vn/agency/000.00.00.A01/hub2 is not allowed to call this "
       "connector"},
      {"no-uri-san", [] { return pki_->IssueBad("no-uri-san"); },
       grpc::StatusCode::UNAUTHENTICATED,
       "client certificate has no spiffe:// URI SAN identity"},
  };
  int admitted = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::shared_ptr<grpc::Channel> channel = ChannelWith(c.identity());

    // gRPC's health service is covered like any other.
    auto health = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext health_context;
    grpc::health::v1::HealthCheckRequest health_request;
    grpc::health::v1::HealthCheckResponse health_response;
    grpc::Status status = health->Check(&health_context, health_request, &health_response);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    EXPECT_EQ(status.error_message(), c.message);
    if (status.ok()) {
      EXPECT_EQ(health_response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
    }

    // And so is a registered service; denied calls never reach its handler.
    auto stub = ServerReflection::NewStub(channel);
    grpc::ClientContext context;
    context.AddMetadata(ndxp::protocol::kPurposeHeader, "authorisation test");
    auto stream = stub->ServerReflectionInfo(&context);
    stream->WritesDone();
    status = stream->Finish();
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    EXPECT_EQ(status.error_message(), c.message);
    if (status.ok()) ++admitted;
    EXPECT_EQ(service_.calls().size(), static_cast<size_t>(admitted));
  }
  std::vector<CallerInfo> calls = service_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].peer, kHub);
  // No x-ndxp-consumer header: the direct peer is the consumer.
  EXPECT_EQ(calls[0].consumer, kHub);
  EXPECT_EQ(calls[0].purpose, "authorisation test");
}

TEST_F(CallerAuthorizationTest, ConsumerHeaderSetByTheHubNamesTheOriginalCaller) {
  auto stub = ServerReflection::NewStub(HubChannel());
  grpc::ClientContext context;
  context.AddMetadata(ndxp::protocol::kConsumerHeader,
                      "spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup");
  context.AddMetadata(ndxp::protocol::kPurposeHeader, "tax assessment");
  context.AddMetadata(ndxp::protocol::kRequestIdHeader, "req-42");
  auto stream = stub->ServerReflectionInfo(&context);
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<CallerInfo> calls = service_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].consumer, "spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup");
  EXPECT_EQ(calls[0].purpose, "tax assessment");
  EXPECT_EQ(calls[0].request_id, "req-42");
  EXPECT_EQ(calls[0].peer, kHub);
}

TEST(CallerInfoTest, ReadsHeadersFromAContextWithoutAuthentication) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> metadata;
    CallerInfo expected;
  };
  const Case cases[] = {
      {{}, {"", "", "", ""}},
      {{{"x-ndxp-consumer", "spiffe://d/agency/A1/x"},
        {"x-ndxp-purpose", "audit"},
        {"x-ndxp-request-id", "r1"}},
       {"spiffe://d/agency/A1/x", "audit", "r1", ""}},
      {{{"x-ndxp-purpose", "first"}, {"x-ndxp-purpose", "second"}},
       {"", "first", "", ""}},
      {{{"x-other", "ignored"}}, {"", "", "", ""}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expected.purpose);
    grpc::ServerContext context;
    grpc::testing::ServerContextTestSpouse spouse(&context);
    for (const auto& [key, value] : c.metadata) spouse.AddClientMetadata(key, value);
    CallerInfo info = CallerInfoFromContext(context);
    EXPECT_EQ(info.consumer, c.expected.consumer);
    EXPECT_EQ(info.purpose, c.expected.purpose);
    EXPECT_EQ(info.request_id, c.expected.request_id);
    EXPECT_EQ(info.peer, c.expected.peer);
  }
}

}  // namespace
}  // namespace ndxp::connectors
