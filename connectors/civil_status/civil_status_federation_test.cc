// Civil status with residents and insurance in one federation (real hub,
// real mutual TLS, real connectors over SQLite): the interlinked birth
// procedure, its partial failure and resumption, marriages, deaths, and bad
// identifiers through the hub.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/identifiers/personal_id.h"
#include "common/protocol/metadata.h"
#include "connectors/civil_status/civil_status_connector.h"
#include "connectors/civil_status/civil_status_registry_service.h"
#include "connectors/insurance/insurance_connector.h"
#include "connectors/residents/residents_connector.h"
#include "connectors/residents/synthetic_population.h"
#include "connectors/runtime/field_violations.h"
#include "google/protobuf/text_format.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "ndxp/civil_status/v1/civil_status.grpc.pb.h"
#include "ndxp/insurance/v1/insurance.grpc.pb.h"
#include "ndxp/residents/v1/residents.grpc.pb.h"
#include "tests/testing/test_federation.h"

namespace ndxp::civil_status {
namespace {

using ndxp::residents::v1::Citizen;
using ndxp::testing::TestFederation;

constexpr uint64_t kSeed = 42;
constexpr uint32_t kSize = 400;
constexpr char kCivilStatus[] = "000.00.00.G13/civil-status";
// A commune's civil registration office, the test's caller.
constexpr char kOfficeAgency[] = "000.00.00.H26";
constexpr char kOfficeSubsystem[] = "civil-registry-office";

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return std::nullopt;
  for (const auto& detail : details.details()) {
    google::rpc::ErrorInfo info;
    if (detail.type_url() == kErrorInfoTypeUrl && info.ParseFromString(detail.value())) {
      return info;
    }
  }
  return std::nullopt;
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata(ndxp::protocol::kPurposeHeader, "civil registration test");
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

class CivilStatusFederationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestFederation::ConnectorOptions residents;
    residents.name = "residents";
    residents.agency = "000.00.00.G04";
    residents.routes = {{"ndxp.residents.v1.ResidentRegistry",
                         {"VerifyCitizen", "GetCitizen", "IssuePersonalId", "ListRelatives",
                          "BatchVerifyCitizens", "RecordDeath"}}};
    residents.factory = &ndxp::residents::CreateResidentsConnector;
    residents.seed = kSeed;
    residents.size = kSize;
    TestFederation::ConnectorOptions insurance;
    insurance.name = "insurance";
    insurance.agency = "000.00.00.G22";
    insurance.routes = {{"ndxp.insurance.v1.InsuranceRegistry",
                         {"GetInsuredPerson", "IssueChildHealthCard", "VerifyAgainstPopulation"}}};
    insurance.factory = &ndxp::insurance::CreateInsuranceConnector;
    insurance.seed = kSeed;
    insurance.size = kSize;
    TestFederation::ConnectorOptions civil;
    civil.name = "civil-status";
    civil.agency = "000.00.00.G13";
    civil.routes = {
        {"ndxp.civil_status.v1.CivilStatusRegistry",
         {"RegisterBirth", "GetBirthRegistration", "RegisterMarriage", "RegisterDeath"}}};
    civil.factory = &CreateCivilStatusConnector;
    civil.seed = kSeed;
    civil.size = kSize;
    for (const auto* options : {&residents, &insurance, &civil}) {
      absl::Status started = federation_.StartConnector(*options);
      ASSERT_TRUE(started.ok()) << options->name << ": " << started;
    }
    // Civil status's own grants: exactly the methods it calls.
    for (const char* method : {"GetCitizen", "IssuePersonalId", "RecordDeath"}) {
      federation_.Grant(kCivilStatus, "ndxp.residents.v1.ResidentRegistry", method);
    }
    federation_.Grant(kCivilStatus, "ndxp.insurance.v1.InsuranceRegistry", "IssueChildHealthCard");
    // The test's office registers, and checks the outcome at the other agencies.
    const std::string office = absl::StrCat(kOfficeAgency, "/", kOfficeSubsystem);
    federation_.Grant(office, "ndxp.civil_status.v1.CivilStatusRegistry");
    federation_.Grant(office, "ndxp.residents.v1.ResidentRegistry");
    federation_.Grant(office, "ndxp.insurance.v1.InsuranceRegistry");
    absl::Status applied = federation_.ApplyHubConfig();
    ASSERT_TRUE(applied.ok()) << applied;

    auto channel =
        federation_.ChannelAs(federation_.Client("office", kOfficeAgency, kOfficeSubsystem));
    civil_ = v1::CivilStatusRegistry::NewStub(channel);
    residents_ = ndxp::residents::v1::ResidentRegistry::NewStub(channel);
    insurance_ = ndxp::insurance::v1::InsuranceRegistry::NewStub(channel);

    ASSERT_TRUE(ndxp::residents::GenerateSyntheticPopulation(kSeed, kSize, [&](const Citizen& c) {
                  population_.push_back(c);
                  return absl::OkStatus();
                }).ok());
  }

  // The first living citizen of `sex` born in [from, to].
  Citizen Living(ndxp::residents::v1::Sex sex, int from, int to, int skip = 0) {
    for (const Citizen& c : population_) {
      if (c.sex() == sex && c.life_status() == ndxp::residents::v1::LIFE_STATUS_ALIVE &&
          c.date_of_birth().year() >= from && c.date_of_birth().year() <= to && skip-- == 0) {
        return c;
      }
    }
    ADD_FAILURE() << "no such citizen in the synthetic population";
    return Citizen();
  }

  v1::RegisterBirthRequest Birth(const std::string& request_id) {
    v1::RegisterBirthRequest r = Parse<v1::RegisterBirthRequest>(R"pb(
      child_full_name: "Trần Gia Bảo"
      date_of_birth { year: 2024 month: 11 day: 20 }
      sex: SEX_FEMALE
      birth_province_code: "079"
      registration_office: "UBND phường Bến Nghé, Quận 1")pb");
    r.set_request_id(request_id);
    r.set_father_personal_id(Living(ndxp::residents::v1::SEX_MALE, 1980, 1998).personal_id());
    r.set_mother_personal_id(Living(ndxp::residents::v1::SEX_FEMALE, 1985, 2000).personal_id());
    return r;
  }

  Citizen GetCitizen(const std::string& personal_id) {
    ndxp::residents::v1::GetCitizenRequest request;
    request.set_personal_id(personal_id);
    for (const char* path : {"full_name", "father_personal_id", "mother_personal_id", "life_status",
                             "date_of_death", "birth_province_code"}) {
      request.mutable_read_mask()->add_paths(path);
    }
    ndxp::residents::v1::GetCitizenResponse response;
    grpc::Status status = residents_->GetCitizen(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.citizen();
  }

  TestFederation federation_;
  std::unique_ptr<v1::CivilStatusRegistry::Stub> civil_;
  std::unique_ptr<ndxp::residents::v1::ResidentRegistry::Stub> residents_;
  std::unique_ptr<ndxp::insurance::v1::InsuranceRegistry::Stub> insurance_;
  std::vector<Citizen> population_;
};

TEST_F(CivilStatusFederationTest, BirthYieldsConsistentPersonalIdAndHealthCard) {
  const v1::RegisterBirthRequest request = Birth("KS-079-2024-HCM-000001");
  v1::RegisterBirthResponse response;
  grpc::Status status = civil_->RegisterBirth(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::BirthRegistration& r = response.registration();
  EXPECT_TRUE(response.newly_completed());
  EXPECT_EQ(r.state(), v1::BIRTH_REGISTRATION_STATE_COMPLETED);
  EXPECT_EQ(r.certificate_number().book(), "KS-079-2024");
  EXPECT_EQ(r.certificate_number().formatted(),
            absl::StrCat("KS-079-2024/Q", r.certificate_number().volume(), "/T",
                         r.certificate_number().page()));

  // The personal ID encodes the birth province, year and sex.
  const identifiers::CivilDate birth{2024, 11, 20};
  const identifiers::Sex female = identifiers::Sex::kFemale;
  EXPECT_TRUE(identifiers::ValidatePersonalId(r.personal_id(), &birth, &female).ok())
      << r.personal_id();
  EXPECT_EQ(r.personal_id().substr(0, 6), "079324");
  // The card: TE1 + 2-digit province + the child's social insurance code.
  EXPECT_EQ(r.health_insurance_card_code(), absl::StrCat("TE179", r.social_insurance_code()));

  // Residents knows the child with its parents.
  const Citizen child = GetCitizen(r.personal_id());
  EXPECT_EQ(child.full_name(), "Trần Gia Bảo");
  EXPECT_EQ(child.father_personal_id(), request.father_personal_id());
  EXPECT_EQ(child.mother_personal_id(), request.mother_personal_id());
  // Insurance finds the card by the personal ID.
  ndxp::insurance::v1::GetInsuredPersonRequest insured;
  insured.set_personal_id(r.personal_id());
  ndxp::insurance::v1::GetInsuredPersonResponse person;
  status = insurance_->GetInsuredPerson(Context().get(), insured, &person);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(person.person().card().card_code(), r.health_insurance_card_code());
  EXPECT_EQ(person.person().social_insurance_code(), r.social_insurance_code());

  // The same registration again: the same answer, nothing new.
  v1::RegisterBirthResponse again;
  ASSERT_TRUE(civil_->RegisterBirth(Context().get(), request, &again).ok());
  EXPECT_FALSE(again.newly_completed());
  EXPECT_EQ(again.registration().SerializeAsString(), r.SerializeAsString());
  // A second birth in the same book gets the next page.
  v1::RegisterBirthResponse second;
  ASSERT_TRUE(
      civil_->RegisterBirth(Context().get(), Birth("KS-079-2024-HCM-000002"), &second).ok());
  EXPECT_NE(second.registration().personal_id(), r.personal_id());
  EXPECT_EQ(second.registration().certificate_number().page(),
            r.certificate_number().page() % kPagesPerVolume + 1);

  // The same request_id for another child is refused.
  v1::RegisterBirthRequest other = request;
  other.set_child_full_name("Trần Gia Hân");
  status = civil_->RegisterBirth(Context().get(), other, &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
}

TEST_F(CivilStatusFederationTest, InsuranceDownReportsPartialFailureThenRetryCompletes) {
  const v1::RegisterBirthRequest request = Birth("KS-079-2024-HCM-000777");
  federation_.StopConnector("insurance");
  v1::RegisterBirthResponse response;
  grpc::Status status = civil_->RegisterBirth(Context().get(), request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "BIRTH_REGISTRATION_INCOMPLETE");
  EXPECT_EQ(info->metadata().at("completed_steps"), "registered,personal_id");
  EXPECT_EQ(info->metadata().at("pending_steps"), "health_card");
  const std::string personal_id = info->metadata().at("personal_id");
  const std::string certificate = info->metadata().at("certificate_number");
  EXPECT_EQ(status.error_message().rfind(
                absl::StrCat("birth registered as ", certificate, ", personal ID ", personal_id,
                             " issued; health-insurance card pending: insurance "
                             "IssueChildHealthCard: "),
                0),
            0u)
      << status.error_message();

  v1::GetBirthRegistrationRequest get;
  get.set_request_id(request.request_id());
  v1::GetBirthRegistrationResponse got;
  ASSERT_TRUE(civil_->GetBirthRegistration(Context().get(), get, &got).ok());
  EXPECT_EQ(got.registration().state(), v1::BIRTH_REGISTRATION_STATE_PERSONAL_ID_ISSUED);
  EXPECT_EQ(got.registration().personal_id(), personal_id);

  ASSERT_TRUE(federation_.RestartConnector("insurance").ok());
  status = civil_->RegisterBirth(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.registration().state(), v1::BIRTH_REGISTRATION_STATE_COMPLETED);
  EXPECT_EQ(response.registration().personal_id(), personal_id);
  EXPECT_EQ(response.registration().certificate_number().formatted(), certificate);

  // No second personal ID: residents already served the derived request id.
  ndxp::residents::v1::IssuePersonalIdRequest issue;
  issue.set_request_id(absl::StrCat(request.request_id(), ":personal-id"));
  issue.set_full_name(request.child_full_name());
  *issue.mutable_date_of_birth() = request.date_of_birth();
  issue.set_sex(request.sex());
  issue.set_birth_province_code(request.birth_province_code());
  ndxp::residents::v1::IssuePersonalIdResponse issued;
  status = residents_->IssuePersonalId(Context().get(), issue, &issued);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(issued.newly_issued());
  EXPECT_EQ(issued.personal_id(), personal_id);
  // No second card: insurance already served the derived request id.
  ndxp::insurance::v1::IssueChildHealthCardRequest card;
  card.set_request_id(absl::StrCat(request.request_id(), ":health-card"));
  card.set_personal_id(personal_id);
  card.set_full_name(request.child_full_name());
  *card.mutable_date_of_birth() = request.date_of_birth();
  card.set_sex(request.sex());
  card.set_province_code(request.birth_province_code());
  ndxp::insurance::v1::IssueChildHealthCardResponse card_response;
  status = insurance_->IssueChildHealthCard(Context().get(), card, &card_response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(card_response.newly_issued());
  EXPECT_EQ(card_response.card().card_code(), response.registration().health_insurance_card_code());
}

TEST_F(CivilStatusFederationTest, DeathUpdatesTheResidentsLifeStatus) {
  const Citizen person = Living(ndxp::residents::v1::SEX_MALE, 1930, 1960);
  v1::RegisterDeathRequest request = Parse<v1::RegisterDeathRequest>(R"pb(
    request_id: "KT-001-2024-000001"
    date_of_death { year: 2024 month: 10 day: 2 }
    place_of_death_province_code: "001"
    place_of_death: "Bệnh viện Bạch Mai")pb");
  request.set_personal_id(person.personal_id());
  v1::RegisterDeathResponse response;
  grpc::Status status = civil_->RegisterDeath(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.newly_registered());
  EXPECT_EQ(response.certificate_number().book(), "KT-001-2024");

  const Citizen after = GetCitizen(person.personal_id());
  EXPECT_EQ(after.life_status(), ndxp::residents::v1::LIFE_STATUS_DECEASED);
  EXPECT_EQ(after.date_of_death().year(), 2024);
  EXPECT_EQ(after.date_of_death().month(), 10);
  EXPECT_EQ(after.date_of_death().day(), 2);

  v1::RegisterDeathResponse again;
  ASSERT_TRUE(civil_->RegisterDeath(Context().get(), request, &again).ok());
  EXPECT_FALSE(again.newly_registered());
  EXPECT_EQ(again.certificate_number().formatted(), response.certificate_number().formatted());

  // Another registration of the same death on another date is refused
  // before any page is allocated.
  request.set_request_id("KT-001-2024-000002");
  request.mutable_date_of_death()->set_day(3);
  status = civil_->RegisterDeath(Context().get(), request, &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
}

TEST_F(CivilStatusFederationTest, MarriageChecksBothSpousesAtResidents) {
  const Citizen husband = Living(ndxp::residents::v1::SEX_MALE, 1970, 2000);
  const Citizen wife = Living(ndxp::residents::v1::SEX_FEMALE, 1970, 2000);
  const Citizen boy = Living(ndxp::residents::v1::SEX_MALE, 2010, 2020);
  v1::RegisterMarriageRequest request = Parse<v1::RegisterMarriageRequest>(R"pb(
    request_id: "KH-001-2024-000001"
    date_of_marriage { year: 2024 month: 12 day: 1 }
    registration_province_code: "001"
    registration_office: "UBND phường Cửa Nam")pb");
  request.set_husband_personal_id(husband.personal_id());
  request.set_wife_personal_id(wife.personal_id());
  v1::RegisterMarriageResponse response;
  grpc::Status status = civil_->RegisterMarriage(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.newly_registered());
  EXPECT_EQ(response.certificate_number().book(), "KH-001-2024");
  ASSERT_TRUE(civil_->RegisterMarriage(Context().get(), request, &response).ok());
  EXPECT_FALSE(response.newly_registered());

  struct Case {
    std::string name;
    std::string husband;
    grpc::StatusCode code;
  };
  const Case cases[] = {
      {"under age", boy.personal_id(), grpc::StatusCode::FAILED_PRECONDITION},
      {"not a citizen", "001090999999", grpc::StatusCode::NOT_FOUND},
  };
  int n = 2;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    request.set_request_id(absl::StrCat("KH-001-2024-00000", n++));
    request.set_husband_personal_id(c.husband);
    status = civil_->RegisterMarriage(Context().get(), request, &response);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    EXPECT_EQ(status.error_message().rfind("husband_personal_id: ", 0), 0u)
        << status.error_message();
  }
}

TEST_F(CivilStatusFederationTest, BadIdentifiersThroughTheHubNameTheField) {
  struct Case {
    std::string name;
    std::function<grpc::Status()> call;
    std::string field;
  };
  const Case cases[] = {
      {"birth father",
       [&] {
         v1::RegisterBirthRequest r = Birth("KS-bad-1");
         r.set_father_personal_id("12345");
         v1::RegisterBirthResponse response;
         return civil_->RegisterBirth(Context().get(), r, &response);
       },
       "father_personal_id"},
      {"birth province",
       [&] {
         v1::RegisterBirthRequest r = Birth("KS-bad-2");
         r.set_birth_province_code("79");
         v1::RegisterBirthResponse response;
         return civil_->RegisterBirth(Context().get(), r, &response);
       },
       "birth_province_code"},
      {"death personal id",
       [&] {
         v1::RegisterDeathRequest r = Parse<v1::RegisterDeathRequest>(R"pb(
           request_id: "KT-bad"
           personal_id: "999090000001"
           date_of_death { year: 2024 month: 1 day: 1 }
           place_of_death_province_code: "001"
           place_of_death: "Hà Nội")pb");
         v1::RegisterDeathResponse response;
         return civil_->RegisterDeath(Context().get(), r, &response);
       },
       "personal_id"},
      {"marriage wife",
       [&] {
         v1::RegisterMarriageRequest r = Parse<v1::RegisterMarriageRequest>(R"pb(
           request_id: "KH-bad"
           husband_personal_id: "001090000001"
           wife_personal_id: "001090000002"
           date_of_marriage { year: 2024 month: 1 day: 1 }
           registration_province_code: "001"
           registration_office: "UBND")pb");
         v1::RegisterMarriageResponse response;
         return civil_->RegisterMarriage(Context().get(), r, &response);
       },
       "wife_personal_id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    grpc::Status status = c.call();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    std::optional<google::rpc::BadRequest> bad = ndxp::connectors::BadRequestOf(status);
    ASSERT_TRUE(bad.has_value());
    ASSERT_EQ(bad->field_violations_size(), 1);
    EXPECT_EQ(bad->field_violations(0).field(), c.field);
  }
}

}  // namespace
}  // namespace ndxp::civil_status
