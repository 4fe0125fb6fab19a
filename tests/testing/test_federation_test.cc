// The harness itself: a connector reached through the hub, stopped
// (UNAVAILABLE) and restarted on the same database.
#include "tests/testing/test_federation.h"

#include <gtest/gtest.h>

#include "common/protocol/metadata.h"
#include "connectors/residents/residents_connector.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"

namespace ndxp::testing {
namespace {

using ndxp::residents::v1::ResidentRegistry;
using ndxp::residents::v1::VerifyCitizenRequest;
using ndxp::residents::v1::VerifyCitizenResponse;

grpc::Status Verify(ResidentRegistry::Stub& stub, const std::string& personal_id,
                    VerifyCitizenResponse* response) {
  grpc::ClientContext context;
  context.AddMetadata(protocol::kPurposeHeader, "harness test");
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  VerifyCitizenRequest request;
  request.set_personal_id(personal_id);
  return stub.VerifyCitizen(&context, request, response);
}

TEST(TestFederationTest, ConnectorThroughTheHubSurvivesARestart) {
  TestFederation federation;
  TestFederation::ConnectorOptions residents;
  residents.name = "residents";
  residents.agency = "000.00.00.G04";
  residents.routes = {{"ndxp.residents.v1.ResidentRegistry", {}}};
  residents.factory = &ndxp::residents::CreateResidentsConnector;
  residents.size = 50;
  ASSERT_TRUE(federation.StartConnector(residents).ok());
  federation.Grant("000.00.00.G12", "ndxp.residents.v1.ResidentRegistry");
  absl::Status applied = federation.ApplyHubConfig();
  ASSERT_TRUE(applied.ok()) << applied;
  auto stub = ResidentRegistry::NewStub(
      federation.ChannelAs(federation.Client("demo", "000.00.00.G12", "tax-lookup")));

  VerifyCitizenResponse response;
  ASSERT_TRUE(Verify(*stub, "001085000123", &response).ok());
  EXPECT_FALSE(response.found());

  federation.StopConnector("residents");
  EXPECT_EQ(Verify(*stub, "001085000123", &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  ASSERT_TRUE(federation.RestartConnector("residents").ok());
  EXPECT_TRUE(Verify(*stub, "001085000123", &response).ok());
}

}  // namespace
}  // namespace ndxp::testing
