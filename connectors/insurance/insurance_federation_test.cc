// The insurance connector inside a whole federation (tests/testing/
// test_federation.h): a real hub with mutual TLS, the residents connector and
// the insurance connector built by their factories over SQLite files with
// the same synthetic seed and size. A consumer reaches insurance through the
// hub, and insurance reaches residents through the hub with its own
// certificate (grant: "000.00.00.G22/insurance" -> ResidentRegistry/
// VerifyCitizen).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/identifiers/insurance_codes.h"
#include "common/protocol/metadata.h"
#include "connectors/insurance/insurance_connector.h"
#include "connectors/insurance/synthetic_insurance.h"
#include "connectors/residents/residents_connector.h"
#include "connectors/runtime/field_violations.h"
#include "gtest/gtest.h"
#include "ndxp/insurance/v1/insurance.grpc.pb.h"
#include "tests/testing/test_federation.h"

namespace ndxp::insurance {
namespace {

using ndxp::testing::TestFederation;

constexpr uint64_t kSeed = 42;
constexpr uint32_t kSize = 1000;
constexpr char kInsuranceAgency[] = "000.00.00.G22";
constexpr char kResidentsAgency[] = "000.00.00.G04";
constexpr char kConsumerAgency[] = "000.00.00.G12";

class InsuranceFederationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestFederation::ConnectorOptions residents;
    residents.name = "residents";
    residents.agency = kResidentsAgency;
    residents.routes = {{"ndxp.residents.v1.ResidentRegistry",
                         {"VerifyCitizen", "GetCitizen", "IssuePersonalId", "ListRelatives",
                          "BatchVerifyCitizens"}}};
    residents.factory = &ndxp::residents::CreateResidentsConnector;
    residents.seed = kSeed;
    residents.size = kSize;
    absl::Status started = federation_.StartConnector(residents);
    ASSERT_TRUE(started.ok()) << started;

    TestFederation::ConnectorOptions insurance;
    insurance.name = "insurance";
    insurance.agency = kInsuranceAgency;
    insurance.routes = {{"ndxp.insurance.v1.InsuranceRegistry",
                         {"GetInsuredPerson", "IssueChildHealthCard",
                          "VerifyAgainstPopulation"}}};
    insurance.factory = &CreateInsuranceConnector;
    insurance.seed = kSeed;
    insurance.size = kSize;
    started = federation_.StartConnector(insurance);
    ASSERT_TRUE(started.ok()) << started;

    federation_.Grant(absl::StrCat(kInsuranceAgency, "/insurance"),
                      "ndxp.residents.v1.ResidentRegistry", "VerifyCitizen");
    federation_.Grant(kConsumerAgency, "ndxp.insurance.v1.InsuranceRegistry");
    absl::Status applied = federation_.ApplyHubConfig();
    ASSERT_TRUE(applied.ok()) << applied;
    stub_ = v1::InsuranceRegistry::NewStub(
        federation_.ChannelAs(federation_.Client("demo", kConsumerAgency, "tax-lookup")));

    ASSERT_TRUE(GenerateSyntheticInsuranceRegister(kSeed, kSize,
                                                   [this](const SyntheticInsuranceRecord& r) {
                                                     register_.push_back(r);
                                                     return absl::OkStatus();
                                                   })
                    .ok());
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata(ndxp::protocol::kPurposeHeader, "federation test");
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  // The first synthetic record with `problem`.
  const SyntheticInsuranceRecord* FirstWith(PlantedProblem problem) const {
    for (const SyntheticInsuranceRecord& r : register_) {
      if (r.problem == problem) return &r;
    }
    return nullptr;
  }

  TestFederation federation_;
  std::unique_ptr<v1::InsuranceRegistry::Stub> stub_;
  std::vector<SyntheticInsuranceRecord> register_;  // what the connector generated
};

TEST_F(InsuranceFederationTest, GetInsuredPersonByBothKeysThroughTheHub) {
  const SyntheticInsuranceRecord* record = FirstWith(PlantedProblem::kNone);
  ASSERT_NE(record, nullptr);
  v1::GetInsuredPersonRequest by_id;
  by_id.set_personal_id(record->person.personal_id());
  v1::GetInsuredPersonRequest by_code;
  by_code.set_social_insurance_code(record->person.social_insurance_code());
  for (const v1::GetInsuredPersonRequest& request : {by_id, by_code}) {
    SCOPED_TRACE(request.ShortDebugString());
    v1::GetInsuredPersonResponse response;
    grpc::Status status = stub_->GetInsuredPerson(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.person().SerializeAsString(), record->person.SerializeAsString())
        << response.person().DebugString();
  }
}

TEST_F(InsuranceFederationTest, BadIdentifierIsInvalidArgumentWithBadRequestThroughTheHub) {
  v1::GetInsuredPersonRequest request;
  request.set_social_insurance_code("0300000001");
  v1::GetInsuredPersonResponse response;
  grpc::Status status = stub_->GetInsuredPerson(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::optional<google::rpc::BadRequest> bad_request =
      ndxp::connectors::BadRequestOf(status);
  ASSERT_TRUE(bad_request.has_value()) << status.error_message();
  ASSERT_EQ(bad_request->field_violations_size(), 1);
  EXPECT_EQ(bad_request->field_violations(0).field(), "social_insurance_code");
}

TEST_F(InsuranceFederationTest, IssueChildHealthCardIsIdempotentThroughTheHub) {
  v1::IssueChildHealthCardRequest request;
  request.set_request_id("birth-0001:health-card");
  request.set_personal_id("048224999999");
  request.set_full_name("Phạm Minh Khôi");
  request.mutable_date_of_birth()->set_year(2024);
  request.mutable_date_of_birth()->set_month(12);
  request.mutable_date_of_birth()->set_day(20);
  request.set_sex(ndxp::residents::v1::SEX_MALE);
  request.set_province_code("048");

  v1::IssueChildHealthCardResponse first;
  grpc::Status status = stub_->IssueChildHealthCard(Context().get(), request, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(first.newly_issued());
  EXPECT_EQ(first.card().card_code(), "TE148" + first.social_insurance_code());
  EXPECT_EQ(first.social_insurance_code().substr(0, 2), "48");

  v1::IssueChildHealthCardResponse again;
  status = stub_->IssueChildHealthCard(Context().get(), request, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(again.newly_issued());
  EXPECT_EQ(again.social_insurance_code(), first.social_insurance_code());
  EXPECT_EQ(again.card().SerializeAsString(), first.card().SerializeAsString());

  v1::GetInsuredPersonRequest get;
  get.set_personal_id("048224999999");
  v1::GetInsuredPersonResponse got;
  ASSERT_TRUE(stub_->GetInsuredPerson(Context().get(), get, &got).ok());
  EXPECT_EQ(got.person().card().card_code(), first.card().card_code());
}

TEST_F(InsuranceFederationTest, VerificationFindsPlantedProblemsThroughTheHub) {
  const SyntheticInsuranceRecord* misspelled = FirstWith(PlantedProblem::kMisspelledName);
  const SyntheticInsuranceRecord* wrong_date = FirstWith(PlantedProblem::kWrongBirthDate);
  const SyntheticInsuranceRecord* wrong_sex = FirstWith(PlantedProblem::kWrongSex);
  const SyntheticInsuranceRecord* ghost = FirstWith(PlantedProblem::kUnknownPersonalId);
  const SyntheticInsuranceRecord* clean = FirstWith(PlantedProblem::kNone);
  struct Expected {
    const SyntheticInsuranceRecord* record;
    v1::VerificationOutcome outcome;
    std::vector<std::string> fields;
  };
  std::vector<Expected> expected;
  for (const Expected& e : std::vector<Expected>{
           {misspelled, v1::VERIFICATION_OUTCOME_MISMATCHED, {"full_name"}},
           {wrong_date, v1::VERIFICATION_OUTCOME_MISMATCHED, {"date_of_birth"}},
           {wrong_sex, v1::VERIFICATION_OUTCOME_MISMATCHED, {"sex"}},
           {ghost, v1::VERIFICATION_OUTCOME_NOT_FOUND, {}},
           {clean, v1::VERIFICATION_OUTCOME_MATCHED, {}}}) {
    // Seed 42 with 1000 citizens plants every kind; a ghost and a clean
    // record are guaranteed by construction.
    if (e.record != nullptr) expected.push_back(e);
  }
  ASSERT_NE(ghost, nullptr);
  ASSERT_GE(expected.size(), 3u);

  v1::VerifyAgainstPopulationRequest request;
  for (const Expected& e : expected) {
    request.add_social_insurance_codes(e.record->person.social_insurance_code());
  }
  request.add_social_insurance_codes("9699999999");  // not in the register
  v1::VerifyAgainstPopulationResponse response;
  grpc::Status status = stub_->VerifyAgainstPopulation(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.results_size(), static_cast<int>(expected.size()) + 1);
  int mismatched = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const v1::VerificationResult& result = response.results(static_cast<int>(i));
    SCOPED_TRACE(result.DebugString());
    EXPECT_EQ(result.social_insurance_code(), expected[i].record->person.social_insurance_code());
    EXPECT_EQ(result.personal_id(), expected[i].record->person.personal_id());
    EXPECT_EQ(result.outcome(), expected[i].outcome);
    EXPECT_EQ(std::vector<std::string>(result.mismatched_fields().begin(),
                                       result.mismatched_fields().end()),
              expected[i].fields);
    mismatched += expected[i].outcome == v1::VERIFICATION_OUTCOME_MISMATCHED;
  }
  EXPECT_EQ(response.results().rbegin()->outcome(), v1::VERIFICATION_OUTCOME_NO_SUCH_RECORD);
  EXPECT_EQ(response.mismatched(), mismatched);
  EXPECT_EQ(response.not_found(), 1);
  EXPECT_EQ(response.no_such_record(), 1);
  EXPECT_EQ(response.matched(), clean != nullptr ? 1 : 0);

  // A batch of the register's first records in code order, totals adding up.
  request.Clear();
  request.set_limit(200);
  ASSERT_TRUE(stub_->VerifyAgainstPopulation(Context().get(), request, &response).ok());
  EXPECT_EQ(response.results_size(), 200);
  EXPECT_EQ(response.matched() + response.mismatched() + response.not_found(), 200);
  EXPECT_GT(response.matched(), 180);
  for (int i = 1; i < response.results_size(); ++i) {
    EXPECT_LT(response.results(i - 1).social_insurance_code(),
              response.results(i).social_insurance_code());
  }
}

TEST_F(InsuranceFederationTest, ResidentsStoppedIsUnavailableNamingIt) {
  federation_.StopConnector("residents");
  v1::VerifyAgainstPopulationRequest request;
  request.set_limit(3);
  v1::VerifyAgainstPopulationResponse response;
  grpc::Status status = stub_->VerifyAgainstPopulation(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("residents VerifyCitizen"), std::string::npos)
      << status.error_message();

  // Insurance's own data is still served.
  v1::GetInsuredPersonRequest get;
  get.set_social_insurance_code(register_.front().person.social_insurance_code());
  v1::GetInsuredPersonResponse got;
  EXPECT_TRUE(stub_->GetInsuredPerson(Context().get(), get, &got).ok());

  ASSERT_TRUE(federation_.RestartConnector("residents").ok());
  EXPECT_TRUE(stub_->VerifyAgainstPopulation(Context().get(), request, &response).ok());
  EXPECT_EQ(response.results_size(), 3);
}

}  // namespace
}  // namespace ndxp::insurance
