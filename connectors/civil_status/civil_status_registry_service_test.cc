// The service without the federation: request validation, and what happens
// when the downstream agencies cannot be reached at all (a channel to a
// closed port). The flows through a real hub are in
// civil_status_federation_test.cc.
#include "connectors/civil_status/civil_status_registry_service.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <functional>
#include <string>

#include "connectors/civil_status/sqlite_registration_store.h"
#include "connectors/runtime/field_violations.h"
#include "common/status/status_util.h"
#include "google/protobuf/text_format.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::civil_status {
namespace {

// 2025-01-01 00:00 UTC, 07:00 in Vietnam.
const absl::Time kNow = absl::FromUnixSeconds(1735689600);

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

constexpr char kBirth[] = R"pb(
  request_id: "KS-2024-000001"
  child_full_name: "Phạm Minh Khang"
  date_of_birth { year: 2024 month: 12 day: 31 }
  sex: SEX_MALE
  birth_province_code: "001"
  registration_office: "UBND phường Cửa Nam")pb";
constexpr char kMarriage[] = R"pb(
  request_id: "KH-2024-000001"
  husband_personal_id: "001090000001"
  wife_personal_id: "001195000002"
  date_of_marriage { year: 2024 month: 6 day: 1 }
  registration_province_code: "001"
  registration_office: "UBND phường Cửa Nam")pb";
constexpr char kDeath[] = R"pb(
  request_id: "KT-2024-000001"
  personal_id: "001040000001"
  date_of_death { year: 2024 month: 6 day: 1 }
  place_of_death_province_code: "001"
  place_of_death: "Bệnh viện Bạch Mai")pb";

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

class CivilStatusRegistryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteRegistrationStore>> store =
        SqliteRegistrationStore::Open(dir_.path() + "/civil.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    CivilStatusRegistryService::Options options;
    options.clock = [] { return kNow; };
    options.downstream_timeout = absl::Seconds(5);
    // Nothing listens on port 1: every downstream call fails UNAVAILABLE.
    service_ = std::make_unique<CivilStatusRegistryService>(
        store_.get(), grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
        options);
  }

  ndxp::testing::TempDir dir_;
  std::unique_ptr<SqliteRegistrationStore> store_;
  std::unique_ptr<CivilStatusRegistryService> service_;
};

// A validation case: a change to a valid request and the fields it breaks.
template <typename Request>
struct ValidationCase {
  std::string name;
  std::function<void(Request&)> change;
  std::string message;
  std::vector<std::string> fields;
};

template <typename Request>
void ExpectViolations(const absl::Status& status, const ValidationCase<Request>& c) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(status.message(), c.message);
  std::optional<google::rpc::BadRequest> bad = ndxp::connectors::BadRequestOf(status);
  ASSERT_TRUE(bad.has_value());
  std::vector<std::string> fields;
  for (const auto& v : bad->field_violations()) fields.push_back(v.field());
  EXPECT_EQ(fields, c.fields);
}

TEST_F(CivilStatusRegistryServiceTest, BirthValidation) {
  using R = v1::RegisterBirthRequest;
  EXPECT_TRUE(service_->ValidateBirth(Parse<R>(kBirth)).ok());
  const ValidationCase<R> cases[] = {
      {"no request id",
       [](R& r) { r.clear_request_id(); },
       "request_id: is required (the registration's idempotency key)",
       {"request_id"}},
      {"long request id",
       [](R& r) { r.set_request_id(std::string(101, 'k')); },
       "request_id: is longer than 100 characters",
       {"request_id"}},
      {"no name",
       [](R& r) { r.set_child_full_name(" "); },
       "child_full_name: is required",
       {"child_full_name"}},
      {"no date",
       [](R& r) { r.clear_date_of_birth(); },
       "date_of_birth: is required",
       {"date_of_birth"}},
      {"bad date",
       [](R& r) { r.mutable_date_of_birth()->set_day(32); },
       "date_of_birth: 2024-12-32 is not a valid calendar date",
       {"date_of_birth"}},
      {"future",
       [](R& r) { r.mutable_date_of_birth()->set_year(2025); },
       "date_of_birth: 2025-12-31 is in the future",
       {"date_of_birth"}},
      {"no sex", [](R& r) { r.clear_sex(); }, "sex: must be SEX_MALE or SEX_FEMALE", {"sex"}},
      {"province",
       [](R& r) { r.set_birth_province_code("1"); },
       "birth_province_code: unknown province code \"1\"",
       {"birth_province_code"}},
      {"short father",
       [](R& r) { r.set_father_personal_id("00109000000"); },
       "father_personal_id: must be exactly 12 digits, got 11",
       {"father_personal_id"}},
      {"female father",
       [](R& r) { r.set_father_personal_id("001190000001"); },
       "father_personal_id: century/sex digit 1 means female, but sex is male",
       {"father_personal_id"}},
      {"mother province",
       [](R& r) { r.set_mother_personal_id("003190000001"); },
       "mother_personal_id: \"003190000001\" has unknown province code 003",
       {"mother_personal_id"}},
      {"no office",
       [](R& r) { r.clear_registration_office(); },
       "registration_office: is required",
       {"registration_office"}},
      {"everything",
       [](R& r) { r = R(); },
       "request_id: is required (the registration's idempotency key); child_full_name: is "
       "required; date_of_birth: is required; sex: must be SEX_MALE or SEX_FEMALE; "
       "birth_province_code: unknown province code \"\"; registration_office: is required",
       {"request_id", "child_full_name", "date_of_birth", "sex", "birth_province_code",
        "registration_office"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    R request = Parse<R>(kBirth);
    c.change(request);
    ExpectViolations(service_->ValidateBirth(request), c);
  }
}

TEST_F(CivilStatusRegistryServiceTest, MarriageValidation) {
  using R = v1::RegisterMarriageRequest;
  EXPECT_TRUE(service_->ValidateMarriage(Parse<R>(kMarriage)).ok());
  const ValidationCase<R> cases[] = {
      {"no husband",
       [](R& r) { r.clear_husband_personal_id(); },
       "husband_personal_id: is required (12 digits)",
       {"husband_personal_id"}},
      {"female husband",
       [](R& r) { r.set_husband_personal_id("001190000009"); },
       "husband_personal_id: century/sex digit 1 means female, but sex is male",
       {"husband_personal_id"}},
      {"wife not digits",
       [](R& r) { r.set_wife_personal_id("00109000000x"); },
       "wife_personal_id: must contain only digits, found 'x' at position 12",
       {"wife_personal_id"}},
      {"same person",
       [](R& r) { r.set_wife_personal_id(r.husband_personal_id()); },
       "wife_personal_id: century/sex digit 0 means male, but sex is female; "
       "wife_personal_id: must not be the same person as husband_personal_id",
       {"wife_personal_id", "wife_personal_id"}},
      {"no date",
       [](R& r) { r.clear_date_of_marriage(); },
       "date_of_marriage: is required",
       {"date_of_marriage"}},
      {"future",
       [](R& r) { r.mutable_date_of_marriage()->set_year(2026); },
       "date_of_marriage: 2026-06-01 is in the future",
       {"date_of_marriage"}},
      {"province",
       [](R& r) { r.set_registration_province_code("999"); },
       "registration_province_code: unknown province code \"999\"",
       {"registration_province_code"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    R request = Parse<R>(kMarriage);
    c.change(request);
    ExpectViolations(service_->ValidateMarriage(request), c);
  }
}

TEST_F(CivilStatusRegistryServiceTest, DeathValidation) {
  using R = v1::RegisterDeathRequest;
  EXPECT_TRUE(service_->ValidateDeath(Parse<R>(kDeath)).ok());
  const ValidationCase<R> cases[] = {
      {"bad id",
       [](R& r) { r.set_personal_id("001740000001"); },
       "personal_id: century/sex digit 7 is not 0-5",
       {"personal_id"}},
      {"no date",
       [](R& r) { r.clear_date_of_death(); },
       "date_of_death: is required",
       {"date_of_death"}},
      {"bad date",
       [](R& r) { r.mutable_date_of_death()->set_month(13); },
       "date_of_death: 2024-13-01 is not a valid calendar date",
       {"date_of_death"}},
      {"no place",
       [](R& r) { r.clear_place_of_death(); },
       "place_of_death: is required",
       {"place_of_death"}},
      {"province",
       [](R& r) { r.clear_place_of_death_province_code(); },
       "place_of_death_province_code: unknown province code \"\"",
       {"place_of_death_province_code"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    R request = Parse<R>(kDeath);
    c.change(request);
    ExpectViolations(service_->ValidateDeath(request), c);
  }
}

TEST_F(CivilStatusRegistryServiceTest, UnreachableResidentsLeavesTheBirthRegisteredAndResumable) {
  grpc::ServerContext context;
  v1::RegisterBirthResponse response;
  const v1::RegisterBirthRequest request = Parse<v1::RegisterBirthRequest>(kBirth);
  grpc::Status status = service_->RegisterBirth(&context, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message().rfind(
                "birth registered as KS-001-2024/Q1/T1; personal ID and health-insurance card "
                "pending: residents IssuePersonalId: ",
                0),
            0u)
      << status.error_message();
  EXPECT_NE(status.error_message().find("; retry with the same request_id"), std::string::npos);
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "BIRTH_REGISTRATION_INCOMPLETE");
  EXPECT_EQ(info->domain(), kErrorInfoDomain);
  EXPECT_EQ(info->metadata().at("request_id"), "KS-2024-000001");
  EXPECT_EQ(info->metadata().at("certificate_number"), "KS-001-2024/Q1/T1");
  EXPECT_EQ(info->metadata().at("completed_steps"), "registered");
  EXPECT_EQ(info->metadata().at("pending_steps"), "personal_id,health_card");

  // The registration is kept, in its first state.
  v1::GetBirthRegistrationRequest get;
  get.set_request_id("KS-2024-000001");
  v1::GetBirthRegistrationResponse got;
  ASSERT_TRUE(service_->GetBirthRegistration(&context, &get, &got).ok());
  EXPECT_EQ(got.registration().state(), v1::BIRTH_REGISTRATION_STATE_REGISTERED);
  EXPECT_EQ(got.registration().child_full_name(), "Phạm Minh Khang");
  EXPECT_TRUE(got.registration().personal_id().empty());

  // A retry keeps the same page; another child under the same key is refused.
  status = service_->RegisterBirth(&context, &request, &response);
  EXPECT_EQ(ErrorInfoOf(status)->metadata().at("certificate_number"), "KS-001-2024/Q1/T1");
  v1::RegisterBirthRequest other = request;
  other.set_child_full_name("Phạm Minh Khôi");
  status = service_->RegisterBirth(&context, &other, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(*store_->CountRegistrations(), 1);

  get.set_request_id("KS-unknown");
  EXPECT_EQ(service_->GetBirthRegistration(&context, &get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(CivilStatusRegistryServiceTest, NothingIsAllocatedWhenResidentsCannotCheckThePeople) {
  grpc::ServerContext context;
  const auto death = Parse<v1::RegisterDeathRequest>(kDeath);
  v1::RegisterDeathResponse death_response;
  grpc::Status status = service_->RegisterDeath(&context, &death, &death_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message().rfind("residents GetCitizen: ", 0), 0u)
      << status.error_message();
  const auto marriage = Parse<v1::RegisterMarriageRequest>(kMarriage);
  v1::RegisterMarriageResponse marriage_response;
  EXPECT_EQ(service_->RegisterMarriage(&context, &marriage, &marriage_response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(*store_->CountRegistrations(), 0);
}

}  // namespace
}  // namespace ndxp::civil_status
