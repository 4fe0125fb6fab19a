// The hub's active health checks (docs/design.md "Connector replicas and
// failure"): a hub in front of two replicas of one connector, real mutual
// TLS on both legs, each replica serving grpc.health.v1. An operator drains
// one (NOT_SERVING): after the hub's next check it gets no new call while the
// other serves every one, and it gets calls again once it serves. Waits on
// what the hub's /metrics says, never on time.
#include <algorithm>
#include <fstream>
#include <memory>
#include <string>

#include <grpcpp/create_channel.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/tls/credentials.h"
#include "gateway/config/hub_config.h"
#include "gateway/hub_server.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"
#include "tests/integration/recording_connector.h"
#include "tests/testing/test_pki.h"

namespace ndxp {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class HealthCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const config::v1::TlsFiles hub_tls = pki_.Issue("hub", "000.00.00.A01", "hub", true);
    demo_tls_ = pki_.Issue("demo", "000.00.00.G12", "tax-lookup");
    const config::v1::TlsFiles residents_tls =
        pki_.Issue("residents", "000.00.00.H49", "residents", true);
    first_ = std::make_unique<testing::RecordingConnector>(residents_tls, /*health_service=*/true);
    second_ = std::make_unique<testing::RecordingConnector>(residents_tls, /*health_service=*/true);
    std::string path = dir_.path() + "/hub.textproto";
    std::ofstream(path) << absl::StrCat(testing::HubConfigHead(hub_tls), R"(
      routes { service: "ndxp.residents.v1.ResidentRegistry" provider: "000.00.00.H49"
               endpoint: "127.0.0.1:)", first_->port(), R"(" replicas: "127.0.0.1:)",
                                        second_->port(), R"(" }
      grants { consumer: "000.00.00.G12" service: "ndxp.residents.v1.ResidentRegistry" }
      health_checks { interval_ms: 100 timeout_ms: 60000 }
      admin { listen: "127.0.0.1:0" }
    )");
    auto settings = gateway::LoadHubConfig(path);
    ASSERT_TRUE(settings.ok()) << settings.status();
    auto hub = gateway::HubServer::Start(*std::move(settings));
    ASSERT_TRUE(hub.ok()) << hub.status();
    hub_ = *std::move(hub);
    residents_ = residents::v1::ResidentRegistry::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", hub_->port()),
                            *tls::MutualTlsChannelCredentials(demo_tls_)));
  }

  // A sample of the hub's /metrics about `connector`: `family`, its labels
  // after the endpoint's (`more_labels`, ",result=\"...\"" or ""); -1 when
  // absent.
  int64_t Sample(absl::string_view family, const testing::RecordingConnector& connector,
                 absl::string_view more_labels = "") {
    const std::string address = hub_->admin_address();
    httplib::Client admin(address.substr(0, address.rfind(':')),
                          std::stoi(address.substr(address.rfind(':') + 1)));
    httplib::Result page = admin.Get("/metrics");
    if (!page || page->status != 200) return -1;
    const std::string sample =
        absl::StrCat(family, "{provider=\"000.00.00.H49\",endpoint=\"127.0.0.1:",
                     connector.port(), "\"", more_labels, "} ");
    for (absl::string_view line : absl::StrSplit(page->body, '\n')) {
      int64_t value = -1;
      if (absl::ConsumePrefix(&line, sample) && absl::SimpleAtoi(line, &value)) return value;
    }
    return -1;
  }
  int64_t NotServingAnswers(const testing::RecordingConnector& connector) {
    return Sample("ndxp_upstream_health_checks_total", connector, ",result=\"not_serving\"");
  }

  // Until `condition` holds (at most a minute), polling /metrics.
  template <typename Condition>
  void Await(Condition condition, absl::string_view what) {
    const absl::Time deadline = absl::Now() + absl::Minutes(1);
    while (!condition()) {
      ASSERT_LT(absl::Now(), deadline) << what;
      absl::SleepFor(absl::Milliseconds(20));  // a poll, not a wait for time to pass
    }
  }

  // Until the hub's checks have found `connector` serving.
  void AwaitServing(const testing::RecordingConnector& connector) {
    Await([&] { return Sample("ndxp_upstream_serving", connector) == 1; },
          absl::StrCat("port ", connector.port(), " never showed serving"));
  }

  // Sets `connector` NOT_SERVING (an operator drains it), until a check of
  // the hub's has seen it answer so.
  void Drain(testing::RecordingConnector& connector) {
    const int64_t before = std::max<int64_t>(0, NotServingAnswers(connector));
    connector.SetServing(false);
    Await(
        [&] {
          return NotServingAnswers(connector) > before &&
                 Sample("ndxp_upstream_serving", connector) == 0;
        },
        absl::StrCat("port ", connector.port(), " never answered NOT_SERVING"));
  }

  grpc::Status Verify() {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    residents::v1::VerifyCitizenRequest request;
    request.set_personal_id("001085000123");
    residents::v1::VerifyCitizenResponse response;
    return residents_->VerifyCitizen(&context, request, &response);
  }

  // `calls` calls, each answered OK.
  void VerifyAll(int calls) {
    for (int i = 0; i < calls; ++i) {
      grpc::Status status = Verify();
      ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
    }
  }

  testing::TestPki pki_;
  testing::TempDir dir_;
  config::v1::TlsFiles demo_tls_;
  std::unique_ptr<testing::RecordingConnector> first_, second_;
  std::unique_ptr<gateway::HubServer> hub_;
  std::unique_ptr<residents::v1::ResidentRegistry::Stub> residents_;
};

TEST_F(HealthCheckTest, AReplicaSetNotServingGetsNoNewCallUntilItServesAgain) {
  AwaitServing(*first_);
  AwaitServing(*second_);
  VerifyAll(20);
  EXPECT_GT(first_->calls(), 0) << "round robin over both";
  EXPECT_GT(second_->calls(), 0) << "round robin over both";

  Drain(*first_);
  const int64_t first_before = first_->calls(), second_before = second_->calls();
  VerifyAll(20);
  EXPECT_EQ(first_->calls(), first_before) << "no new call to the drained replica";
  EXPECT_EQ(second_->calls(), second_before + 20) << "the other serves every one";

  first_->SetServing(true);
  AwaitServing(*first_);
  VerifyAll(20);
  EXPECT_GT(first_->calls(), first_before) << "calls go to it again";
  EXPECT_EQ(first_->calls() + second_->calls(), first_before + second_before + 40);
}

TEST_F(HealthCheckTest, NoReplicaServingIsUnavailableAtOnceNamingNoAddress) {
  Drain(*first_);
  Drain(*second_);
  // Not the 30 s deadline: nothing waits for a replica that said it does
  // not serve, and no call reaches one.
  grpc::Status status = Verify();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("ndxp.residents.v1.ResidentRegistry"));
  EXPECT_THAT(status.error_message(), HasSubstr("is not serving"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("127.0.0.1")));
  EXPECT_EQ(first_->calls() + second_->calls(), 0);

  second_->SetServing(true);
  AwaitServing(*second_);
  VerifyAll(5);
  EXPECT_EQ(second_->calls(), 5);
  EXPECT_EQ(first_->calls(), 0);
}

}  // namespace
}  // namespace ndxp
