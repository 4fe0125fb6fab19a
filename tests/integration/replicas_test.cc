// Two hub replicas side by side, recording to one PostgreSQL database (the
// deployment of docs/design.md "Scale"): their counters merge, each keeps its own
// audit chain, and either answers the statistics for both. Needs the
// throw-away cluster of scripts/with-postgres (NDXP_TEST_POSTGRES).
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <grpcpp/create_channel.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/protocol/metadata.h"
#include "common/tls/credentials.h"
#include "gateway/config/hub_config.h"
#include "gateway/hub_server.h"
#include "gateway/recording/postgres/postgres_transaction_store.h"
#include "ndxp/hub/v1/statistics.grpc.pb.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"
#include "tests/integration/recording_connector.h"
#include "tests/testing/test_pki.h"

namespace ndxp {
namespace {

// Runs one SQL command; false (with a test failure) if it fails.
bool Execute(const std::string& conninfo, const std::string& sql) {
  PGconn* connection = PQconnectdb(conninfo.c_str());
  PGresult* result = PQexec(connection, sql.c_str());
  bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  EXPECT_TRUE(ok) << sql << ": " << PQerrorMessage(connection);
  PQclear(result);
  PQfinish(connection);
  return ok;
}

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* server = std::getenv("NDXP_TEST_POSTGRES");
    if (server == nullptr) GTEST_SKIP() << "NDXP_TEST_POSTGRES is not set: run under scripts/with-postgres";
    server_ = server;
    database_ = absl::StrCat("ndxp_replicas_", getpid());
    ASSERT_TRUE(Execute(server_, "CREATE DATABASE " + database_));
    conninfo_ = absl::StrCat(server_, " dbname=", database_);  // the last dbname wins
    hub_tls_ = pki_.Issue("hub", "000.00.00.A01", "hub", true);
    operator_tls_ = pki_.Issue("operator", "000.00.00.A01", "ops");
    demo_tls_ = pki_.Issue("demo", "000.00.00.G12", "tax-lookup");
    connector_ = std::make_unique<testing::RecordingConnector>(
        pki_.Issue("residents", "000.00.00.H49", "residents", true));
  }

  void TearDown() override {
    hubs_.clear();
    connector_.reset();
    if (!database_.empty()) Execute(server_, "DROP DATABASE IF EXISTS " + database_);
  }

  gateway::HubServer* StartReplica(const std::string& replica) {
    std::string path = absl::StrCat(dir_.path(), "/", replica, ".textproto");
    std::ofstream(path) << absl::StrCat(testing::HubConfigHead(hub_tls_), R"(
      routes { service: "ndxp.residents.v1.ResidentRegistry" provider: "000.00.00.H49"
               endpoint: "127.0.0.1:)", connector_->port(), R"(" }
      grants { consumer: "000.00.00.G12" service: "ndxp.residents.v1.ResidentRegistry" }
      operators: "000.00.00.A01/ops"
      recording { postgres: ")", conninfo_, R"(" replica: ")", replica, R"(" }
    )");
    auto settings = gateway::LoadHubConfig(path);
    EXPECT_TRUE(settings.ok()) << settings.status();
    auto hub = gateway::HubServer::Start(*std::move(settings));
    EXPECT_TRUE(hub.ok()) << hub.status();
    hubs_.push_back(*std::move(hub));
    return hubs_.back().get();
  }

  std::shared_ptr<grpc::Channel> ChannelTo(gateway::HubServer* hub,
                                           const config::v1::TlsFiles& tls) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", hub->port()),
                               *tls::MutualTlsChannelCredentials(tls));
  }

  void Verify(gateway::HubServer* hub, int calls) {
    auto stub = residents::v1::ResidentRegistry::NewStub(ChannelTo(hub, demo_tls_));
    for (int i = 0; i < calls; ++i) {
      grpc::ClientContext context;
      residents::v1::VerifyCitizenRequest request;
      request.set_personal_id("001085000123");
      residents::v1::VerifyCitizenResponse response;
      ASSERT_TRUE(stub->VerifyCitizen(&context, request, &response).ok());
    }
  }

  int64_t TotalSeenBy(gateway::HubServer* hub) {
    auto stub = hub::v1::Statistics::NewStub(ChannelTo(hub, operator_tls_));
    hub::v1::CountRequest request;
    request.mutable_period()->set_kind(hub::v1::Period::CUMULATIVE);
    request.mutable_period()->mutable_anchor()->set_year(2999);
    request.mutable_period()->mutable_anchor()->set_month(12);
    request.mutable_period()->mutable_anchor()->set_day(31);
    grpc::ClientContext context;
    hub::v1::CountResponse response;
    grpc::Status status = stub->Count(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.total();
  }

  testing::TestPki pki_;
  testing::TempDir dir_;
  std::string server_, database_, conninfo_;
  config::v1::TlsFiles hub_tls_, operator_tls_, demo_tls_;
  std::unique_ptr<testing::RecordingConnector> connector_;
  std::vector<std::unique_ptr<gateway::HubServer>> hubs_;
};

TEST_F(ReplicasTest, TwoHubsWritingOneDatabaseGiveTheSum) {
  gateway::HubServer* first = StartReplica("hub-1");
  gateway::HubServer* second = StartReplica("hub-2");
  Verify(first, 20);
  Verify(second, 30);
  // Durable recording: every answered call is committed already.
  EXPECT_EQ(TotalSeenBy(first), 50);
  EXPECT_EQ(TotalSeenBy(second), 50);

  std::string report;
  absl::Status chains = gateway::PostgresTransactionStore::VerifyAuditChain(conninfo_, &report);
  EXPECT_TRUE(chains.ok()) << chains;
  EXPECT_THAT(report, ::testing::HasSubstr("hub-1"));
  EXPECT_THAT(report, ::testing::HasSubstr("hub-2"));
}

}  // namespace
}  // namespace ndxp
