// The Statistics API through a running hub: operators only, exact growth
// figures on planted history, and the hub's own recorded transactions.
#include <fstream>
#include <sstream>

#include <grpcpp/create_channel.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/protocol/metadata.h"
#include "common/tls/credentials.h"
#include "gateway/config/hub_config.h"
#include "gateway/hub_server.h"
#include "gateway/statistics/history_import.h"
#include "ndxp/hub/v1/statistics.grpc.pb.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"
#include "tests/integration/recording_connector.h"
#include "tests/testing/test_pki.h"

namespace ndxp {
namespace {

using ::testing::HasSubstr;
namespace v1 = hub::v1;

class StatisticsApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new testing::TestPki();
    auto hub_tls = pki_->Issue("hub", "000.00.00.A01", "hub", true);
    auto connector_tls = pki_->Issue("residents", "000.00.00.H49", "residents", true);
    operator_tls_ = new config::v1::TlsFiles(pki_->Issue("operator", "000.00.00.A01", "ops"));
    demo_tls_ = new config::v1::TlsFiles(pki_->Issue("demo", "000.00.00.G12", "tax-lookup"));
    connector_ = new testing::RecordingConnector(connector_tls);
    dir_ = new testing::TempDir();
    database_ = new std::string(dir_->path() + "/hub.db");

    path_ = new std::string(dir_->path() + "/hub.textproto");
    config_ = new std::string(absl::StrCat(testing::HubConfigHead(hub_tls), R"(
      routes { service: "ndxp.residents.v1.ResidentRegistry" provider: "000.00.00.H49"
               endpoint: "127.0.0.1:)", connector_->port(), R"(" }
      grants { consumer: "000.00.00.G12" service: "ndxp.residents.v1.ResidentRegistry" }
      operators: "000.00.00.A01/ops"
      recording { mode: DURABLE database: ")", *database_, R"(" }
    )"));
    std::ofstream(*path_) << *config_ << kAgencies;
    auto settings = gateway::LoadHubConfig(*path_);
    ASSERT_TRUE(settings.ok()) << settings.status();
    auto hub = gateway::HubServer::Start(*std::move(settings));
    ASSERT_TRUE(hub.ok()) << hub.status();
    hub_ = hub->release();

    // History from before the hub: first half-years 2025 (1,000) and 2026 (1,670).
    std::istringstream csv(
        "day,consumer,provider,service,method,status,count\n"
        "2025-01-15,000.00.00.G12/tax-lookup,000.00.00.H49,ndxp.residents.v1.ResidentRegistry,"
        "VerifyCitizen,OK,600\n"
        "2025-06-30,000.00.00.G12/tax-lookup,000.00.00.H49,ndxp.residents.v1.ResidentRegistry,"
        "GetCitizen,OK,400\n"
        "2026-03-01,000.00.00.G12/tax-lookup,000.00.00.H49,ndxp.residents.v1.ResidentRegistry,"
        "VerifyCitizen,OK,1670\n"
        "2026-07-01,000.00.00.G12/tax-lookup,000.00.00.H49,ndxp.residents.v1.ResidentRegistry,"
        "VerifyCitizen,OK,5\n");
    auto imported = gateway::statistics::ImportHistoryCsv(*database_, csv, "history.csv");
    ASSERT_TRUE(imported.ok()) << imported.status();
  }

  static void TearDownTestSuite() {
    delete path_;
    delete config_;
    delete hub_;
    delete connector_;
    delete dir_;
    delete database_;
    delete operator_tls_;
    delete demo_tls_;
    delete pki_;
  }

  static std::unique_ptr<v1::Statistics::Stub> StatisticsAs(const config::v1::TlsFiles& tls) {
    return v1::Statistics::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", hub_->port()), *tls::MutualTlsChannelCredentials(tls)));
  }

  static v1::Period HalfYear(int year) {
    v1::Period period;
    period.set_kind(v1::Period::HALF_YEAR);
    period.mutable_anchor()->set_year(year);
    period.mutable_anchor()->set_month(3);
    period.mutable_anchor()->set_day(1);
    return period;
  }

  static constexpr char kAgencies[] =
      "agencies { code: \"000.00.00.H49\" name_vi: \"Cơ sở dữ liệu quốc gia về dân cư\" "
      "name_en: \"Population registry\" }\n";

  static std::string* path_;
  static std::string* config_;  // without its agencies
  static testing::TestPki* pki_;
  static config::v1::TlsFiles *operator_tls_, *demo_tls_;
  static testing::RecordingConnector* connector_;
  static testing::TempDir* dir_;
  static std::string* database_;
  static gateway::HubServer* hub_;
};

std::string* StatisticsApiTest::path_;
std::string* StatisticsApiTest::config_;
testing::TestPki* StatisticsApiTest::pki_;
config::v1::TlsFiles *StatisticsApiTest::operator_tls_, *StatisticsApiTest::demo_tls_;
testing::RecordingConnector* StatisticsApiTest::connector_;
testing::TempDir* StatisticsApiTest::dir_;
std::string* StatisticsApiTest::database_;
gateway::HubServer* StatisticsApiTest::hub_;

TEST_F(StatisticsApiTest, YearOnYearGrowthOfPlantedHalfYearsIsExact) {
  v1::GrowthRequest request;
  *request.mutable_period() = HalfYear(2026);
  request.set_baseline(v1::GrowthRequest::YEAR_ON_YEAR);
  grpc::ClientContext context;
  v1::GrowthResponse response;
  grpc::Status status = StatisticsAs(*operator_tls_)->Growth(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.total().current(), 1670);
  EXPECT_EQ(response.total().baseline(), 1000);
  EXPECT_EQ(response.total().difference(), 670);
  EXPECT_TRUE(response.total().defined());
  EXPECT_NEAR(response.total().percent_change(), 67.0, 1e-9);
  EXPECT_NEAR(response.total().multiple(), 1.67, 1e-9);
  EXPECT_EQ(response.period().from().month(), 1);
  EXPECT_EQ(response.period().to().month(), 6);
  EXPECT_EQ(response.period().to().day(), 30);
}

TEST_F(StatisticsApiTest, AgenciesByNameFromTheConfigurationReloadedWithIt) {
  auto list = [](const config::v1::TlsFiles& tls, v1::ListAgenciesResponse* response) {
    grpc::ClientContext context;
    return StatisticsAs(tls)->ListAgencies(&context, v1::ListAgenciesRequest(), response);
  };
  v1::ListAgenciesResponse response;
  grpc::Status status = list(*operator_tls_, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.agencies_size(), 1);
  EXPECT_EQ(response.agencies(0).code(), "000.00.00.H49");
  EXPECT_EQ(response.agencies(0).name_vi(), "Cơ sở dữ liệu quốc gia về dân cư");
  EXPECT_EQ(response.agencies(0).name_en(), "Population registry");
  EXPECT_EQ(list(*demo_tls_, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // A reload (SIGHUP) with another name and one more agency: answered at once.
  std::ofstream(*path_) << *config_
                        << "agencies { code: \"000.00.00.H49\" name_en: \"Residents\" }\n"
                           "agencies { code: \"000.00.00.G12\" name_vi: \"Cục Thuế\" }\n";
  auto reloaded = gateway::LoadHubConfig(*path_);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  ASSERT_TRUE(hub_->Reload(*std::move(reloaded)).ok());
  status = list(*operator_tls_, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.agencies_size(), 2);
  EXPECT_EQ(response.agencies(0).code(), "000.00.00.G12");  // by code
  EXPECT_EQ(response.agencies(0).name_vi(), "Cục Thuế");
  EXPECT_EQ(response.agencies(1).name_en(), "Residents");
  EXPECT_EQ(response.agencies(1).name_vi(), "");

  std::ofstream(*path_) << *config_ << kAgencies;
  auto restored = gateway::LoadHubConfig(*path_);
  ASSERT_TRUE(restored.ok()) << restored.status();
  ASSERT_TRUE(hub_->Reload(*std::move(restored)).ok());
}

TEST_F(StatisticsApiTest, OnlyOperatorsReachTheStatistics) {
  v1::CountRequest request;
  *request.mutable_period() = HalfYear(2026);
  grpc::ClientContext context;
  v1::CountResponse response;
  grpc::Status status = StatisticsAs(*demo_tls_)->Count(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("000.00.00.G12/tax-lookup"));
  EXPECT_THAT(status.error_message(), HasSubstr("operator"));
}

TEST_F(StatisticsApiTest, InvalidQueriesNameTheReason) {
  v1::CountRequest request;
  request.mutable_period()->set_kind(v1::Period::CUSTOM);
  request.mutable_period()->mutable_from()->set_year(2026);
  request.mutable_period()->mutable_from()->set_month(7);
  request.mutable_period()->mutable_from()->set_day(1);
  request.mutable_period()->mutable_to()->set_year(2026);
  request.mutable_period()->mutable_to()->set_month(6);
  request.mutable_period()->mutable_to()->set_day(30);
  grpc::ClientContext context;
  v1::CountResponse response;
  grpc::Status status = StatisticsAs(*operator_tls_)->Count(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("period.from"));
}

TEST_F(StatisticsApiTest, TheHubsOwnTransactionsAreCountedByMethodAndStatus) {
  auto residents = residents::v1::ResidentRegistry::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", hub_->port()), *tls::MutualTlsChannelCredentials(*demo_tls_)));
  for (const char* id : {"001085000123", "001085000124", "001099000000"}) {  // last: NOT_FOUND
    grpc::ClientContext context;
    context.AddMetadata(protocol::kPurposeHeader, "audit");
    residents::v1::GetCitizenRequest request;
    request.set_personal_id(id);
    residents::v1::GetCitizenResponse response;
    residents->GetCitizen(&context, request, &response);
  }
  // Durable recording: answered means recorded, so no waiting here.
  v1::CountRequest request;
  request.mutable_period()->set_kind(v1::Period::CUMULATIVE);
  request.mutable_period()->mutable_anchor()->set_year(2999);
  request.mutable_period()->mutable_anchor()->set_month(12);
  request.mutable_period()->mutable_anchor()->set_day(31);
  request.add_group_by(v1::METHOD);
  request.add_group_by(v1::STATUS);
  grpc::ClientContext context;
  v1::CountResponse response;
  grpc::Status status = StatisticsAs(*operator_tls_)->Count(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::map<std::string, int64_t> counts;
  for (const auto& row : response.rows()) counts[row.key(0) + " " + row.key(1)] = row.count();
  EXPECT_EQ(counts["ndxp.residents.v1.ResidentRegistry/GetCitizen OK"], 400 + 2);
  EXPECT_EQ(counts["ndxp.residents.v1.ResidentRegistry/GetCitizen NOT_FOUND"], 1);
  EXPECT_EQ(response.total(), 1000 + 1670 + 5 + 3);
}

}  // namespace
}  // namespace ndxp
