// The InsuranceRegistry service driven through a real in-process gRPC server
// on port 0 (insecure credentials: the mutual-TLS path through the hub is
// insurance_federation_test.cc). VerifyAgainstPopulation calls a real
// residents service over a real SQLite register, reached directly here
// instead of through the hub.
#include "connectors/insurance/insurance_registry_service.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/strings/str_cat.h"
#include "common/identifiers/insurance_codes.h"
#include "common/protocol/metadata.h"
#include "connectors/insurance/sqlite_insurance_store.h"
#include "connectors/residents/resident_registry_service.h"
#include "connectors/residents/sqlite_resident_store.h"
#include "connectors/runtime/connector_server.h"
#include "connectors/runtime/field_violations.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::insurance {
namespace {

using google::protobuf::util::MessageDifferencer;
using ndxp::connectors::BadRequestOf;
using ndxp::connectors::ConnectorServer;

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

// The fields named by the BadRequest of `status`, in order.
std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  std::optional<google::rpc::BadRequest> bad_request = BadRequestOf(status);
  if (!bad_request.has_value()) return fields;
  for (const auto& v : bad_request->field_violations()) fields.push_back(v.field());
  return fields;
}

constexpr char kValidChild[] = R"pb(
  request_id: "birth-2024-001:health-card" personal_id: "079224000001"
  full_name: "Nguyễn Văn Bé" date_of_birth { year: 2024 month: 3 day: 15 } sex: SEX_MALE
  province_code: "079")pb";

// Citizens of the residents register and insurance records about them.
constexpr char kCitizenAn[] = R"pb(
  personal_id: "001085000001" full_name: "Nguyễn Văn An"
  date_of_birth { year: 1985 month: 4 day: 5 } sex: SEX_MALE birth_province_code: "001"
  permanent_address: "Số 5 Trần Phú, phường Cửa Nam, Hà Nội" ethnicity: "Kinh"
  nationality: "Việt Nam" life_status: LIFE_STATUS_ALIVE)pb";
constexpr char kCitizenBinh[] = R"pb(
  personal_id: "079190000002" full_name: "Trần Thị Bình"
  date_of_birth { year: 1990 month: 7 day: 8 } sex: SEX_FEMALE birth_province_code: "079"
  permanent_address: "Số 1 Lê Lợi, phường Bến Nghé, Hồ Chí Minh" ethnicity: "Kinh"
  nationality: "Việt Nam" life_status: LIFE_STATUS_DECEASED
  date_of_death { year: 2023 month: 1 day: 2 })pb";
// An's record, as registered.
constexpr char kRecordAn[] = R"pb(
  social_insurance_code: "0100000001" personal_id: "001085000001" full_name: "Nguyễn Văn An"
  date_of_birth { year: 1985 month: 4 day: 5 } sex: SEX_MALE
  coverage_status: COVERAGE_STATUS_ACTIVE contribution_months: 200
  card { card_code: "DN4010100000001" participant_category: "DN" benefit_level: 4
         valid_from { year: 2024 month: 1 day: 1 } valid_to { year: 2025 month: 12 day: 31 }
         primary_care_facility: "Trung tâm Y tế Hà Nội" })pb";
// Bình's record with a misspelled name and the wrong birth date.
constexpr char kRecordBinh[] = R"pb(
  social_insurance_code: "7900000002" personal_id: "079190000002" full_name: "Trần Thị Binhh"
  date_of_birth { year: 1990 month: 7 day: 1 } sex: SEX_FEMALE
  coverage_status: COVERAGE_STATUS_LAPSED
  card { card_code: "GD4797900000002" participant_category: "GD" benefit_level: 4
         valid_from { year: 2023 month: 1 day: 1 } valid_to { year: 2024 month: 3 day: 1 }
         primary_care_facility: "Trung tâm Y tế Hồ Chí Minh" })pb";
// A record whose personal ID no citizen holds.
constexpr char kRecordGhost[] = R"pb(
  social_insurance_code: "4500000003" personal_id: "045170000003" full_name: "Lê Thị Cúc"
  date_of_birth { year: 1970 month: 1 day: 1 } sex: SEX_FEMALE
  coverage_status: COVERAGE_STATUS_NONE)pb";

class InsuranceRegistryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteInsuranceStore>> store =
        SqliteInsuranceStore::Open(dir_.path() + "/insurance.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    for (const char* text : {kRecordAn, kRecordBinh, kRecordGhost}) {
      ASSERT_TRUE(store_->InsertInsuredPerson(Parse<v1::InsuredPerson>(text)).ok());
    }

    absl::StatusOr<std::unique_ptr<residents::SqliteResidentStore>> residents_store =
        residents::SqliteResidentStore::Open(dir_.path() + "/residents.db");
    ASSERT_TRUE(residents_store.ok()) << residents_store.status();
    residents_store_ = *std::move(residents_store);
    for (const char* text : {kCitizenAn, kCitizenBinh}) {
      ASSERT_TRUE(
          residents_store_->InsertCitizen(Parse<residents::v1::Citizen>(text)).ok());
    }
    residents_service_ =
        std::make_unique<residents::ResidentRegistryService>(residents_store_.get());
    StartResidents();

    StartInsurance(grpc::CreateChannel(absl::StrCat("127.0.0.1:", residents_server_->port()),
                                       grpc::InsecureChannelCredentials()));
  }

  void StartResidents() {
    absl::StatusOr<std::unique_ptr<ConnectorServer>> server = ConnectorServer::Start(
        {"127.0.0.1:0", grpc::InsecureServerCredentials(), {residents_service_.get()}});
    ASSERT_TRUE(server.ok()) << server.status();
    residents_server_ = *std::move(server);
  }

  // (Re)starts the insurance service reaching residents through `hub`.
  void StartInsurance(std::shared_ptr<grpc::Channel> hub) {
    server_.reset();
    InsuranceRegistryService::Options options;
    options.residents_timeout = absl::Seconds(5);
    service_ = std::make_unique<InsuranceRegistryService>(store_.get(), std::move(hub), options);
    absl::StatusOr<std::unique_ptr<ConnectorServer>> server = ConnectorServer::Start(
        {"127.0.0.1:0", grpc::InsecureServerCredentials(), {service_.get()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::InsuranceRegistry::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    server_.reset();
    residents_server_.reset();
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata(ndxp::protocol::kPurposeHeader, "service test");
    context->AddMetadata(ndxp::protocol::kRequestIdHeader, "req-1");
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return context;
  }

  grpc::Status Issue(const v1::IssueChildHealthCardRequest& request,
                     v1::IssueChildHealthCardResponse* response) {
    return stub_->IssueChildHealthCard(Context().get(), request, response);
  }
  grpc::Status Get(const std::string& text, v1::GetInsuredPersonResponse* response) {
    return stub_->GetInsuredPerson(Context().get(), Parse<v1::GetInsuredPersonRequest>(text),
                                   response);
  }
  grpc::Status Verify(const std::string& text, v1::VerifyAgainstPopulationResponse* response) {
    return stub_->VerifyAgainstPopulation(
        Context().get(), Parse<v1::VerifyAgainstPopulationRequest>(text), response);
  }

  ndxp::testing::TempDir dir_;  // declared first: outlives the stores
  std::unique_ptr<SqliteInsuranceStore> store_;
  std::unique_ptr<residents::SqliteResidentStore> residents_store_;
  std::unique_ptr<residents::ResidentRegistryService> residents_service_;
  std::unique_ptr<ConnectorServer> residents_server_;
  std::unique_ptr<InsuranceRegistryService> service_;
  std::unique_ptr<ConnectorServer> server_;
  std::unique_ptr<v1::InsuranceRegistry::Stub> stub_;
};

struct ErrorCase {
  std::string request;  // text format
  std::string message;
  std::vector<std::string> fields;
};

void ExpectInvalid(const grpc::Status& status, const ErrorCase& c) {
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(status.error_message(), c.message);
  EXPECT_EQ(ViolatedFields(status), c.fields);
}

TEST_F(InsuranceRegistryServiceTest, IssueChildHealthCardValidatesEveryField) {
  using Request = v1::IssueChildHealthCardRequest;
  struct Case {
    std::string what;
    std::function<void(Request&)> spoil;  // applied to a valid request
    std::string message;
    std::vector<std::string> fields;
  };
  const Case cases[] = {
      {"no request_id", [](Request& r) { r.clear_request_id(); },
       "request_id: is required (an idempotency key, e.g. the birth registration's request id)",
       {"request_id"}},
      {"long request_id", [](Request& r) { r.set_request_id(std::string(129, 'r')); },
       "request_id: is longer than 128 characters", {"request_id"}},
      {"no personal_id", [](Request& r) { r.clear_personal_id(); },
       "personal_id: is required (12 digits)", {"personal_id"}},
      {"short personal_id", [](Request& r) { r.set_personal_id("07922400000"); },
       "personal_id: must be exactly 12 digits, got 11", {"personal_id"}},
      {"letter in personal_id", [](Request& r) { r.set_personal_id("07922400000x"); },
       "personal_id: must contain only digits, found 'x' at position 12", {"personal_id"}},
      {"unknown province in personal_id", [](Request& r) { r.set_personal_id("999224000001"); },
       "personal_id: \"999224000001\" has unknown province code 999", {"personal_id"}},
      {"personal_id of a girl", [](Request& r) { r.set_personal_id("079324000001"); },
       "personal_id: century/sex digit 3 means female, but sex is male", {"personal_id"}},
      {"personal_id of another year", [](Request& r) { r.set_personal_id("079223000001"); },
       "personal_id: birth year digits 23 disagree with date_of_birth 2024-03-15",
       {"personal_id"}},
      {"blank full_name", [](Request& r) { r.set_full_name("  "); }, "full_name: is required",
       {"full_name"}},
      {"long full_name", [](Request& r) { r.set_full_name(std::string(201, 'a')); },
       "full_name: is longer than 200 bytes", {"full_name"}},
      {"no date_of_birth", [](Request& r) { r.clear_date_of_birth(); },
       "date_of_birth: is required", {"date_of_birth"}},
      {"impossible date_of_birth",
       [](Request& r) { *r.mutable_date_of_birth() = Parse<residents::v1::Date>(
                            "year: 2023 month: 2 day: 29"); },
       "date_of_birth: 2023-02-29 is not a valid calendar date", {"date_of_birth"}},
      {"no sex", [](Request& r) { r.clear_sex(); }, "sex: is required (SEX_MALE or SEX_FEMALE)",
       {"sex"}},
      {"unknown sex", [](Request& r) { r.set_sex(static_cast<residents::v1::Sex>(9)); },
       "sex: unknown value 9", {"sex"}},
      {"no province_code", [](Request& r) { r.clear_province_code(); },
       "province_code: is required (3 digits, e.g. \"001\")", {"province_code"}},
      {"2-digit province_code", [](Request& r) { r.set_province_code("79"); },
       "province_code: \"79\" is not one of the 63 province codes", {"province_code"}},
      {"unknown province_code", [](Request& r) { r.set_province_code("003"); },
       "province_code: \"003\" is not one of the 63 province codes", {"province_code"}},
      {"three bad fields at once",
       [](Request& r) {
         r.clear_request_id();
         r.set_personal_id("1");
         r.set_province_code("x");
       },
       "request_id: is required (an idempotency key, e.g. the birth registration's request "
       "id); personal_id: must be exactly 12 digits, got 1; province_code: \"x\" is not one "
       "of the 63 province codes",
       {"request_id", "personal_id", "province_code"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Request request = Parse<Request>(kValidChild);
    c.spoil(request);
    v1::IssueChildHealthCardResponse response;
    ExpectInvalid(Issue(request, &response), {c.what, c.message, c.fields});
  }
  EXPECT_EQ(*store_->CountInsured(), 3);  // nothing registered
}

TEST_F(InsuranceRegistryServiceTest, IssueChildHealthCardIsIdempotent) {
  const auto request = Parse<v1::IssueChildHealthCardRequest>(kValidChild);
  v1::IssueChildHealthCardResponse first;
  grpc::Status status = Issue(request, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(first.newly_issued());
  EXPECT_EQ(first.social_insurance_code().substr(0, 2), "79");
  EXPECT_TRUE(identifiers::ValidateSocialInsuranceCode(first.social_insurance_code()).ok());
  EXPECT_EQ(first.card().card_code(), "TE179" + first.social_insurance_code());
  EXPECT_EQ(first.card().participant_category(), "TE");
  EXPECT_EQ(first.card().benefit_level(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(
      first.card().valid_from(), Parse<residents::v1::Date>("year: 2024 month: 3 day: 15")));
  EXPECT_TRUE(MessageDifferencer::Equals(
      first.card().valid_to(), Parse<residents::v1::Date>("year: 2030 month: 3 day: 14")));
  EXPECT_EQ(first.card().primary_care_facility(), "Trung tâm Y tế Hồ Chí Minh");

  v1::IssueChildHealthCardResponse again;
  ASSERT_TRUE(Issue(request, &again).ok());
  EXPECT_FALSE(again.newly_issued());
  EXPECT_EQ(again.social_insurance_code(), first.social_insurance_code());
  EXPECT_TRUE(MessageDifferencer::Equals(again.card(), first.card()));

  // Another request for the same child: ALREADY_EXISTS naming the card.
  v1::IssueChildHealthCardRequest other = request;
  other.set_request_id("birth-2024-999:health-card");
  status = Issue(other, &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(status.error_message().find(first.card().card_code()), std::string::npos)
      << status.error_message();

  // The child is now an insured person.
  v1::GetInsuredPersonResponse got;
  ASSERT_TRUE(Get(R"pb(personal_id: "079224000001")pb", &got).ok());
  EXPECT_EQ(got.person().social_insurance_code(), first.social_insurance_code());
  EXPECT_EQ(got.person().coverage_status(), v1::COVERAGE_STATUS_ACTIVE);
  EXPECT_EQ(got.person().full_name(), "Nguyễn Văn Bé");
  EXPECT_TRUE(MessageDifferencer::Equals(got.person().card(), first.card()));
}

TEST_F(InsuranceRegistryServiceTest, GetInsuredPersonByEitherKey) {
  const auto expected = Parse<v1::InsuredPerson>(kRecordAn);
  for (const char* request : {R"pb(personal_id: "001085000001")pb",
                              R"pb(social_insurance_code: "0100000001")pb"}) {
    SCOPED_TRACE(request);
    v1::GetInsuredPersonResponse response;
    grpc::Status status = Get(request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(MessageDifferencer::Equals(response.person(), expected))
        << response.person().DebugString();
  }
  v1::GetInsuredPersonResponse response;
  ASSERT_TRUE(Get(R"pb(social_insurance_code: "4500000003")pb", &response).ok());
  EXPECT_EQ(response.person().coverage_status(), v1::COVERAGE_STATUS_NONE);
  EXPECT_FALSE(response.person().has_card());
}

TEST_F(InsuranceRegistryServiceTest, GetInsuredPersonErrors) {
  const ErrorCase invalid[] = {
      {R"pb()pb", "key: personal_id or social_insurance_code is required", {"key"}},
      {R"pb(personal_id: "")pb", "personal_id: is required (12 digits)", {"personal_id"}},
      {R"pb(personal_id: "00108500000")pb", "personal_id: must be exactly 12 digits, got 11",
       {"personal_id"}},
      {R"pb(personal_id: "001785000001")pb", "personal_id: century/sex digit 7 is not 0-5",
       {"personal_id"}},
      {R"pb(social_insurance_code: "")pb", "social_insurance_code: is required (10 digits)",
       {"social_insurance_code"}},
      {R"pb(social_insurance_code: "010000000")pb",
       "social_insurance_code: must be exactly 10 digits, got 9", {"social_insurance_code"}},
      {R"pb(social_insurance_code: "01000000O1")pb",
       "social_insurance_code: must contain only digits, found 'O' at position 9",
       {"social_insurance_code"}},
      {R"pb(social_insurance_code: "0300000001")pb",
       "social_insurance_code: \"0300000001\" starts with 03, which is not the 2-digit code "
       "of a province",
       {"social_insurance_code"}},
  };
  for (const ErrorCase& c : invalid) {
    SCOPED_TRACE(c.request);
    v1::GetInsuredPersonResponse response;
    ExpectInvalid(Get(c.request, &response), c);
  }
  v1::GetInsuredPersonResponse response;
  grpc::Status status = Get(R"pb(personal_id: "001085000009")pb", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "no insured person with personal ID 001085000009");
  status = Get(R"pb(social_insurance_code: "0100000009")pb", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "no insured person with social insurance code 0100000009");
}

TEST_F(InsuranceRegistryServiceTest, VerifyClassifiesEachRecord) {
  v1::VerifyAgainstPopulationResponse response;
  grpc::Status status = Verify(R"pb(social_insurance_codes: "7900000002"
                                    social_insurance_codes: "0100000001"
                                    social_insurance_codes: "4500000003"
                                    social_insurance_codes: "9600000000")pb",
                               &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto expected = Parse<v1::VerifyAgainstPopulationResponse>(R"pb(
    results { social_insurance_code: "7900000002" personal_id: "079190000002"
              outcome: VERIFICATION_OUTCOME_MISMATCHED
              mismatched_fields: "full_name" mismatched_fields: "date_of_birth"
              deceased: true }
    results { social_insurance_code: "0100000001" personal_id: "001085000001"
              outcome: VERIFICATION_OUTCOME_MATCHED }
    results { social_insurance_code: "4500000003" personal_id: "045170000003"
              outcome: VERIFICATION_OUTCOME_NOT_FOUND }
    results { social_insurance_code: "9600000000"
              outcome: VERIFICATION_OUTCOME_NO_SUCH_RECORD }
    matched: 1 mismatched: 1 not_found: 1 no_such_record: 1)pb");
  EXPECT_TRUE(MessageDifferencer::Equals(response, expected)) << response.DebugString();

  // Without codes: the first `limit` records in code order.
  ASSERT_TRUE(Verify(R"pb(limit: 2)pb", &response).ok());
  ASSERT_EQ(response.results_size(), 2);
  EXPECT_EQ(response.results(0).social_insurance_code(), "0100000001");
  EXPECT_EQ(response.results(1).social_insurance_code(), "4500000003");
  EXPECT_EQ(response.matched(), 1);
  EXPECT_EQ(response.not_found(), 1);
  ASSERT_TRUE(Verify(R"pb()pb", &response).ok());
  EXPECT_EQ(response.results_size(), 3);  // default limit 100, three records

  // Residents recorded each call with its purpose (the default one here).
  absl::StatusOr<std::vector<residents::AccessRecord>> accesses =
      residents_store_->ListAccesses("001085000001");
  ASSERT_TRUE(accesses.ok());
  ASSERT_FALSE(accesses->empty());
  EXPECT_EQ(accesses->back().purpose, kDefaultVerificationPurpose);
  EXPECT_EQ(accesses->front().request_id, "req-1:verify:0100000001");
}

TEST_F(InsuranceRegistryServiceTest, VerifyValidation) {
  std::string too_many;
  for (int i = 0; i <= kMaxVerificationBatch; ++i) too_many += "social_insurance_codes: \"0100000001\" ";
  const ErrorCase cases[] = {
      {R"pb(social_insurance_codes: "0100000001" social_insurance_codes: "01")pb",
       "social_insurance_codes[1]: must be exactly 10 digits, got 2",
       {"social_insurance_codes[1]"}},
      {R"pb(social_insurance_codes: "0300000001")pb",
       "social_insurance_codes[0]: \"0300000001\" starts with 03, which is not the 2-digit "
       "code of a province",
       {"social_insurance_codes[0]"}},
      {too_many, "social_insurance_codes: has 1001 codes, at most 1000 are allowed",
       {"social_insurance_codes"}},
      {R"pb(limit: -1)pb", "limit: -1 is not in 0-1000 (0 means 100)", {"limit"}},
      {R"pb(limit: 1001)pb", "limit: 1001 is not in 0-1000 (0 means 100)", {"limit"}},
      {absl::StrCat("purpose: \"", std::string(201, 'p'), "\""),
       "purpose: is longer than 200 bytes", {"purpose"}},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.request.substr(0, 80));
    v1::VerifyAgainstPopulationResponse response;
    ExpectInvalid(Verify(c.request, &response), c);
  }
}

TEST_F(InsuranceRegistryServiceTest, VerifyWithResidentsDownIsUnavailable) {
  residents_server_.reset();
  v1::VerifyAgainstPopulationResponse response;
  grpc::Status status = Verify(R"pb(social_insurance_codes: "0100000001")pb", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message().rfind("residents VerifyCitizen: ", 0), 0u)
      << status.error_message();
}

TEST_F(InsuranceRegistryServiceTest, WithoutHubVerifyIsFailedPreconditionOthersWork) {
  StartInsurance(nullptr);
  v1::VerifyAgainstPopulationResponse response;
  grpc::Status status = Verify(R"pb(limit: 1)pb", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("hub_endpoint is not configured"), std::string::npos)
      << status.error_message();
  v1::GetInsuredPersonResponse got;
  EXPECT_TRUE(Get(R"pb(personal_id: "001085000001")pb", &got).ok());
  v1::IssueChildHealthCardResponse issued;
  EXPECT_TRUE(Issue(Parse<v1::IssueChildHealthCardRequest>(kValidChild), &issued).ok());
}

}  // namespace
}  // namespace ndxp::insurance
