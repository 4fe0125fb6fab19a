// The business connector in a federation: built by its factory, reached
// through a real hub with mutual TLS by a consumer holding its own
// certificate.
#include <string>
#include <vector>

#include "common/protocol/metadata.h"
#include "connectors/business/business_connector.h"
#include "connectors/business/business_registry_service.h"
#include "connectors/business/business_test_util.h"
#include "connectors/runtime/field_violations.h"
#include "gtest/gtest.h"
#include "ndxp/business/v1/business.grpc.pb.h"
#include "tests/testing/test_federation.h"

namespace ndxp::business {
namespace {

using ndxp::testing::TestFederation;

constexpr uint32_t kPopulation = 2000;

class BusinessThroughHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestFederation::ConnectorOptions business;
    business.name = "business";
    business.agency = "000.00.00.G09";
    business.routes = {{"ndxp.business.v1.BusinessRegistry", {"GetEnterprise"}}};
    business.factory = &CreateBusinessConnector;
    business.size = kPopulation;
    absl::Status started = federation_.StartConnector(business);
    ASSERT_TRUE(started.ok()) << started;
    federation_.Grant("000.00.00.G12", "ndxp.business.v1.BusinessRegistry");
    absl::Status applied = federation_.ApplyHubConfig();
    ASSERT_TRUE(applied.ok()) << applied;
    stub_ = v1::BusinessRegistry::NewStub(
        federation_.ChannelAs(federation_.Client("demo", "000.00.00.G12", "tax-lookup")));
    records_ = testing::GeneratedRecords(business.seed, kPopulation);
    ASSERT_FALSE(records_.empty());
  }

  static void Prepare(grpc::ClientContext* context) {
    context->AddMetadata(ndxp::protocol::kPurposeHeader, "tax registration check");
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  }

  TestFederation federation_;
  std::unique_ptr<v1::BusinessRegistry::Stub> stub_;
  std::vector<v1::Enterprise> records_;
};

TEST_F(BusinessThroughHubTest, GetEnterprise) {
  const v1::Enterprise& expected = records_.front();
  grpc::ClientContext context;
  Prepare(&context);
  v1::GetEnterpriseRequest request;
  request.set_enterprise_code(expected.enterprise_code());
  v1::GetEnterpriseResponse response;
  grpc::Status status = stub_->GetEnterprise(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.enterprise().name(), expected.name());
  EXPECT_EQ(response.enterprise().legal_representative().personal_id(),
            expected.legal_representative().personal_id());
  EXPECT_EQ(response.enterprise().owners_size(), expected.owners_size());
  EXPECT_EQ(response.enterprise().charter_capital_vnd(), expected.charter_capital_vnd());
}

TEST_F(BusinessThroughHubTest, BadCodeIsInvalidArgumentWithBadRequest) {
  for (const char* code : {"0100233480", "12345", "0100233488-000"}) {
    SCOPED_TRACE(code);
    grpc::ClientContext context;
    Prepare(&context);
    v1::GetEnterpriseRequest request;
    request.set_enterprise_code(code);
    v1::GetEnterpriseResponse response;
    grpc::Status status = stub_->GetEnterprise(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    std::optional<google::rpc::BadRequest> bad = ndxp::connectors::BadRequestOf(status);
    ASSERT_TRUE(bad.has_value()) << "the BadRequest detail must cross the hub";
    ASSERT_EQ(bad->field_violations_size(), 1);
    EXPECT_EQ(bad->field_violations(0).field(), "enterprise_code");
  }
}

TEST_F(BusinessThroughHubTest, SearchStreamsThroughTheHub) {
  const std::string prefix = testing::PopularPrefix(records_, 3);
  ASSERT_FALSE(prefix.empty());
  const std::vector<std::string> expected =
      testing::ExpectedSearch(records_, prefix, "", kDefaultSearchResults);
  ASSERT_GE(expected.size(), 3u);

  grpc::ClientContext context;
  Prepare(&context);
  v1::SearchEnterprisesRequest request;
  request.set_name_prefix(prefix);
  auto reader = stub_->SearchEnterprises(&context, request);
  std::vector<std::string> received;
  v1::EnterpriseSummary summary;
  while (reader->Read(&summary)) received.push_back(summary.enterprise_code());
  grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(received, expected);
}

TEST_F(BusinessThroughHubTest, GetEnterpriseWithoutPurposeIsRefusedByTheHub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::GetEnterpriseRequest request;
  request.set_enterprise_code(records_.front().enterprise_code());
  v1::GetEnterpriseResponse response;
  EXPECT_EQ(stub_->GetEnterprise(&context, request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace ndxp::business
