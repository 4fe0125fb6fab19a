// The ResidentRegistry service driven through a real in-process gRPC server
// on port 0 (insecure credentials: the mutual-TLS path is tested with the
// connector runtime).
#include "connectors/residents/resident_registry_service.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "common/identifiers/personal_id.h"
#include "common/protocol/metadata.h"
#include "connectors/residents/sqlite_resident_store.h"
#include "connectors/runtime/connector_server.h"
#include "connectors/runtime/field_violations.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::residents {
namespace {

using google::protobuf::util::MessageDifferencer;

constexpr char kConsumer[] = "spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup";
constexpr char kPurpose[] = "personal income tax assessment";
// 2025-01-01 00:00 UTC, 07:00 in Vietnam.
const absl::Time kNow = absl::FromUnixSeconds(1735689600);

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

// The real store, except that RecordAccesses can be made to fail.
class FailableStore final : public ResidentStore {
 public:
  explicit FailableStore(ResidentStore* store) : store_(store) {}
  std::atomic<bool> fail_access_log{false};

  absl::StatusOr<v1::Citizen> GetCitizen(absl::string_view id) override {
    return store_->GetCitizen(id);
  }
  absl::StatusOr<std::vector<v1::Relative>> ListRelatives(absl::string_view id) override {
    return store_->ListRelatives(id);
  }
  absl::StatusOr<IssuedPersonalId> IssuePersonalId(absl::string_view request_id,
                                                   const v1::Citizen& citizen) override {
    return store_->IssuePersonalId(request_id, citizen);
  }
  absl::StatusOr<RecordedDeath> RecordDeath(absl::string_view id, const v1::Date& date,
                                            absl::string_view number) override {
    return store_->RecordDeath(id, date, number);
  }
  absl::Status RecordAccesses(absl::Span<const AccessRecord> records) override {
    if (fail_access_log) return absl::UnavailableError("disk I/O error");
    return store_->RecordAccesses(records);
  }
  absl::StatusOr<std::vector<AccessRecord>> ListAccesses(absl::string_view id) override {
    return store_->ListAccesses(id);
  }
  absl::StatusOr<int64_t> CountCitizens() override { return store_->CountCitizens(); }

 private:
  ResidentStore* store_;
};

class ResidentRegistryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteResidentStore>> store =
        SqliteResidentStore::Open(dir_.path() + "/residents.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    for (const char* text : {
             R"pb(personal_id: "001040000001" full_name: "Nguyễn Văn Tổ"
                  date_of_birth { year: 1940 month: 1 day: 1 } sex: SEX_MALE
                  birth_province_code: "001" permanent_address: "Thôn 3, xã Yên Sơn, Hà Nội"
                  ethnicity: "Kinh" nationality: "Việt Nam" life_status: LIFE_STATUS_DECEASED
                  date_of_death { year: 2010 month: 6 day: 30 })pb",
             R"pb(personal_id: "001065000002" full_name: "Nguyễn Văn Bố"
                  date_of_birth { year: 1965 month: 3 day: 4 } sex: SEX_MALE
                  birth_province_code: "001" permanent_address: "Số 5 Trần Phú, phường Cửa Nam, Hà Nội"
                  ethnicity: "Kinh" nationality: "Việt Nam" father_personal_id: "001040000001"
                  life_status: LIFE_STATUS_ALIVE)pb",
             R"pb(personal_id: "079168000003" full_name: "Trần Thị Mẹ"
                  date_of_birth { year: 1968 month: 7 day: 8 } sex: SEX_FEMALE
                  birth_province_code: "079" permanent_address: "Số 1 Lê Lợi, phường Bến Nghé, Hồ Chí Minh"
                  ethnicity: "Kinh" nationality: "Việt Nam" life_status: LIFE_STATUS_ALIVE)pb",
             R"pb(personal_id: "079098000004" full_name: "Nguyễn Văn Em"
                  date_of_birth { year: 1998 month: 9 day: 9 } sex: SEX_MALE
                  birth_province_code: "079" permanent_address: "Số 1 Lê Lợi, phường Bến Nghé, Hồ Chí Minh"
                  ethnicity: "Kinh" nationality: "Việt Nam" father_personal_id: "001065000002"
                  mother_personal_id: "079168000003" life_status: LIFE_STATUS_ALIVE)pb",
         }) {
      ASSERT_TRUE(store_->InsertCitizen(Parse<v1::Citizen>(text)).ok());
    }
    failable_ = std::make_unique<FailableStore>(store_.get());
    ResidentRegistryService::Options options;
    options.clock = [] { return kNow; };
    service_ = std::make_unique<ResidentRegistryService>(failable_.get(), options);
    absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServer>> server =
        ndxp::connectors::ConnectorServer::Start(
            {"127.0.0.1:0", grpc::InsecureServerCredentials(), {service_.get()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::ResidentRegistry::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override { server_.reset(); }

  // A context as the hub would send it.
  std::unique_ptr<grpc::ClientContext> Context(const std::string& request_id = "req-1") {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata(ndxp::protocol::kConsumerHeader, kConsumer);
    context->AddMetadata(ndxp::protocol::kPurposeHeader, kPurpose);
    context->AddMetadata(ndxp::protocol::kRequestIdHeader, request_id);
    return context;
  }

  grpc::Status Verify(const std::string& text, v1::VerifyCitizenResponse* response) {
    return stub_->VerifyCitizen(Context().get(), Parse<v1::VerifyCitizenRequest>(text),
                                response);
  }
  grpc::Status Get(const std::string& text, v1::GetCitizenResponse* response) {
    return stub_->GetCitizen(Context().get(), Parse<v1::GetCitizenRequest>(text), response);
  }
  grpc::Status Issue(const std::string& text, v1::IssuePersonalIdResponse* response) {
    return stub_->IssuePersonalId(Context().get(), Parse<v1::IssuePersonalIdRequest>(text),
                                  response);
  }
  grpc::Status Relatives(const std::string& id, std::vector<v1::Relative>* out) {
    auto context = Context();
    v1::ListRelativesRequest request;
    request.set_personal_id(id);
    auto reader = stub_->ListRelatives(context.get(), request);
    v1::Relative relative;
    while (reader->Read(&relative)) out->push_back(relative);
    return reader->Finish();
  }
  grpc::Status BatchVerify(const std::vector<std::string>& requests,
                           std::vector<v1::VerifyCitizenResponse>* out) {
    auto context = Context();
    auto stream = stub_->BatchVerifyCitizens(context.get());
    for (const std::string& text : requests) {
      if (!stream->Write(Parse<v1::VerifyCitizenRequest>(text))) break;
    }
    stream->WritesDone();
    v1::VerifyCitizenResponse response;
    while (stream->Read(&response)) out->push_back(response);
    return stream->Finish();
  }

  ndxp::testing::TempDir dir_;  // declared first: outlives the store
  std::unique_ptr<SqliteResidentStore> store_;
  std::unique_ptr<FailableStore> failable_;
  std::unique_ptr<ResidentRegistryService> service_;
  std::unique_ptr<ndxp::connectors::ConnectorServer> server_;
  std::unique_ptr<v1::ResidentRegistry::Stub> stub_;
};

struct ErrorCase {
  std::string request;  // text format
  grpc::StatusCode code;
  std::string message;
};

void ExpectError(const grpc::Status& status, const ErrorCase& c) {
  EXPECT_EQ(status.error_code(), c.code) << status.error_message();
  EXPECT_EQ(status.error_message(), c.message);
}

TEST_F(ResidentRegistryServiceTest, VerifyCitizenValidationNamesTheField) {
  const ErrorCase cases[] = {
      {R"pb(personal_id: "07909800000")pb", grpc::StatusCode::INVALID_ARGUMENT,
       "personal_id: must be exactly 12 digits, got 11"},
      {R"pb()pb", grpc::StatusCode::INVALID_ARGUMENT, "personal_id: is required (12 digits)"},
      {R"pb(personal_id: "07909800000x")pb", grpc::StatusCode::INVALID_ARGUMENT,
       "personal_id: must contain only digits, found 'x' at position 12"},
      {R"pb(personal_id: "999098000004")pb", grpc::StatusCode::INVALID_ARGUMENT,
       "personal_id: \"999098000004\" has unknown province code 999"},
      {R"pb(personal_id: "079798000004")pb", grpc::StatusCode::INVALID_ARGUMENT,
       "personal_id: century/sex digit 7 is not 0-5"},
      {R"pb(personal_id: "079098000004" date_of_birth { year: 1998 month: 2 day: 30 })pb",
       grpc::StatusCode::INVALID_ARGUMENT,
       "date_of_birth: 1998-02-30 is not a valid calendar date"},
      {R"pb(personal_id: "079098000004" sex: 7)pb", grpc::StatusCode::INVALID_ARGUMENT,
       "sex: unknown value 7"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.request);
    v1::VerifyCitizenResponse response;
    ExpectError(Verify(c.request, &response), c);
  }
}

TEST_F(ResidentRegistryServiceTest, BadIdentifiersCarryABadRequestNamingEveryField) {
  struct Case {
    std::string request;  // VerifyCitizenRequest
    std::vector<std::string> fields;
  };
  const Case cases[] = {
      {R"pb(personal_id: "07909800000")pb", {"personal_id"}},
      {R"pb(personal_id: "abc" date_of_birth { year: 1998 month: 2 day: 30 } sex: 7)pb",
       {"personal_id", "date_of_birth", "sex"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.request);
    v1::VerifyCitizenResponse response;
    grpc::Status status = Verify(c.request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    std::optional<google::rpc::BadRequest> bad = ndxp::connectors::BadRequestOf(status);
    ASSERT_TRUE(bad.has_value());
    std::vector<std::string> fields;
    for (const auto& v : bad->field_violations()) {
      fields.push_back(v.field());
      EXPECT_FALSE(v.description().empty());
    }
    EXPECT_EQ(fields, c.fields);
  }
  // The description is the reason alone; the message keeps "field: reason".
  v1::VerifyCitizenResponse response;
  grpc::Status status = Verify(R"pb(personal_id: "07909800000")pb", &response);
  EXPECT_EQ(ndxp::connectors::BadRequestOf(status)->field_violations(0).description(),
            "must be exactly 12 digits, got 11");
}

TEST_F(ResidentRegistryServiceTest, VerifyCitizenMatches) {
  struct Case {
    std::string request;
    std::string expected;
  };
  const Case cases[] = {
      {R"pb(personal_id: "079098000004" full_name: "Nguyễn Văn Em"
            date_of_birth { year: 1998 month: 9 day: 9 } sex: SEX_MALE)pb",
       R"pb(personal_id: "079098000004" found: true full_name_match: true
            date_of_birth_match: true sex_match: true life_status: LIFE_STATUS_ALIVE)pb"},
      {R"pb(personal_id: "079098000004" full_name: "  NGUYỄN văn   EM "
            date_of_birth { year: 1998 month: 9 day: 10 } sex: SEX_FEMALE)pb",
       R"pb(personal_id: "079098000004" found: true full_name_match: true
            life_status: LIFE_STATUS_ALIVE)pb"},
      // Nothing but the number: found, nothing to match.
      {R"pb(personal_id: "079098000004")pb",
       R"pb(personal_id: "079098000004" found: true life_status: LIFE_STATUS_ALIVE)pb"},
      {R"pb(personal_id: "001040000001" full_name: "Nguyen Van To")pb",
       R"pb(personal_id: "001040000001" found: true life_status: LIFE_STATUS_DECEASED)pb"},
      // Well-formed but nobody holds it: OK with found=false.
      {R"pb(personal_id: "001090999999" full_name: "Ai Đó")pb",
       R"pb(personal_id: "001090999999" found: false)pb"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.request);
    v1::VerifyCitizenResponse response;
    grpc::Status status = Verify(c.request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(MessageDifferencer::Equals(
        response, Parse<v1::VerifyCitizenResponse>(c.expected)))
        << response.DebugString();
  }
}

TEST_F(ResidentRegistryServiceTest, GetCitizenReturnsOnlyTheMaskedFields) {
  struct Case {
    std::string request;
    std::string expected;
  };
  const Case cases[] = {
      {R"pb(personal_id: "079098000004")pb",
       R"pb(citizen { personal_id: "079098000004" full_name: "Nguyễn Văn Em" })pb"},
      {R"pb(personal_id: "079098000004" read_mask { paths: "date_of_birth" paths: "sex" })pb",
       R"pb(citizen { date_of_birth { year: 1998 month: 9 day: 9 } sex: SEX_MALE })pb"},
      {R"pb(personal_id: "079098000004" read_mask { paths: "date_of_birth.year" })pb",
       R"pb(citizen { date_of_birth { year: 1998 } })pb"},
      {R"pb(personal_id: "079098000004"
            read_mask { paths: "father_personal_id" paths: "mother_personal_id"
                        paths: "birth_province_name" })pb",
       R"pb(citizen { father_personal_id: "001065000002" mother_personal_id: "079168000003"
                      birth_province_name: "Hồ Chí Minh" })pb"},
      {R"pb(personal_id: "001040000001"
            read_mask { paths: "life_status" paths: "date_of_death" })pb",
       R"pb(citizen { life_status: LIFE_STATUS_DECEASED
                      date_of_death { year: 2010 month: 6 day: 30 } })pb"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.request);
    v1::GetCitizenResponse response;
    grpc::Status status = Get(c.request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(
        MessageDifferencer::Equals(response, Parse<v1::GetCitizenResponse>(c.expected)))
        << response.DebugString();
  }
}

TEST_F(ResidentRegistryServiceTest, GetCitizenErrors) {
  const ErrorCase cases[] = {
      {R"pb(personal_id: "0790980000041")pb", grpc::StatusCode::INVALID_ARGUMENT,
       "personal_id: must be exactly 12 digits, got 13"},
      {R"pb(personal_id: "079098000004" read_mask { paths: "full_name" paths: "salary" })pb",
       grpc::StatusCode::INVALID_ARGUMENT,
       "read_mask: unknown path \"salary\" (not a field of Citizen)"},
      {R"pb(personal_id: "079098000004" read_mask { paths: "date_of_birth.hour" })pb",
       grpc::StatusCode::INVALID_ARGUMENT,
       "read_mask: unknown path \"date_of_birth.hour\" (not a field of Citizen)"},
      {R"pb(personal_id: "001090999999")pb", grpc::StatusCode::NOT_FOUND,
       "personal_id: no citizen holds personal ID number 001090999999"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.request);
    v1::GetCitizenResponse response;
    ExpectError(Get(c.request, &response), c);
  }
}

constexpr char kBaby[] = R"pb(
  request_id: "KS-2024-000123" full_name: "Nguyễn Văn Út"
  date_of_birth { year: 2024 month: 12 day: 31 } sex: SEX_MALE birth_province_code: "079"
  father_personal_id: "001065000002" mother_personal_id: "079168000003")pb";

TEST_F(ResidentRegistryServiceTest, IssuePersonalIdValidation) {
  using Request = v1::IssuePersonalIdRequest;
  auto date = [](Request& r, int y, int m, int d) {
    r.mutable_date_of_birth()->set_year(y);
    r.mutable_date_of_birth()->set_month(m);
    r.mutable_date_of_birth()->set_day(d);
  };
  struct Case {
    std::function<void(Request&)> change;  // to kBaby
    grpc::StatusCode code;
    std::string message;
  };
  const Case cases[] = {
      {[](Request& r) { r.clear_request_id(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "request_id: is required (an idempotency key, e.g. the birth registration number)"},
      {[](Request& r) { r.set_request_id(std::string(129, 'r')); },
       grpc::StatusCode::INVALID_ARGUMENT, "request_id: is longer than 128 characters"},
      {[](Request& r) { r.set_full_name("   "); }, grpc::StatusCode::INVALID_ARGUMENT,
       "full_name: is required"},
      {[](Request& r) { r.set_full_name(std::string(201, 'a')); },
       grpc::StatusCode::INVALID_ARGUMENT, "full_name: is longer than 200 bytes"},
      {[](Request& r) { r.clear_date_of_birth(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "date_of_birth: is required"},
      {[&](Request& r) { date(r, 2023, 2, 29); }, grpc::StatusCode::INVALID_ARGUMENT,
       "date_of_birth: 2023-02-29 is not a valid calendar date"},
      {[&](Request& r) { date(r, 2024, 0, 1); }, grpc::StatusCode::INVALID_ARGUMENT,
       "date_of_birth: 2024-00-01 is not a valid calendar date"},
      {[&](Request& r) { date(r, 1899, 12, 31); }, grpc::StatusCode::INVALID_ARGUMENT,
       "date_of_birth: 1899-12-31 is before 1900, which a personal ID number cannot encode"},
      {[&](Request& r) { date(r, 1850, 1, 1); }, grpc::StatusCode::INVALID_ARGUMENT,
       "date_of_birth: 1850-01-01 is before 1900, which a personal ID number cannot encode"},
      // Today is 2025-01-01 in Vietnam (07:00); tomorrow is the future.
      {[&](Request& r) { date(r, 2025, 1, 2); }, grpc::StatusCode::INVALID_ARGUMENT,
       "date_of_birth: 2025-01-02 is in the future"},
      {[](Request& r) { r.clear_sex(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "sex: must be SEX_MALE or SEX_FEMALE"},
      {[](Request& r) { r.set_sex(static_cast<v1::Sex>(9)); },
       grpc::StatusCode::INVALID_ARGUMENT, "sex: unknown value 9"},
      {[](Request& r) { r.set_birth_province_code("999"); }, grpc::StatusCode::INVALID_ARGUMENT,
       "birth_province_code: unknown province code \"999\""},
      {[](Request& r) { r.clear_birth_province_code(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "birth_province_code: unknown province code \"\""},
      {[](Request& r) { r.set_father_personal_id("00106500000"); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "father_personal_id: must be exactly 12 digits, got 11"},
      {[](Request& r) { r.set_father_personal_id("079168000003"); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "father_personal_id: century/sex digit 1 means female, but sex is male"},
      {[](Request& r) { r.set_mother_personal_id("001065000002"); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "mother_personal_id: century/sex digit 0 means male, but sex is female"},
      {[](Request& r) { r.set_mother_personal_id("003168000003"); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "mother_personal_id: \"003168000003\" has unknown province code 003"},
      {[](Request& r) { r.set_father_personal_id("001090999999"); },
       grpc::StatusCode::NOT_FOUND,
       "father_personal_id: no citizen holds personal ID number 001090999999"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    Request request = Parse<Request>(kBaby);
    c.change(request);
    v1::IssuePersonalIdResponse response;
    grpc::Status status = stub_->IssuePersonalId(Context().get(), request, &response);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    EXPECT_EQ(status.error_message(), c.message);
  }
  EXPECT_EQ(*store_->CountCitizens(), 4);
}

TEST_F(ResidentRegistryServiceTest, IssuePersonalIdIsIdempotent) {
  v1::IssuePersonalIdResponse first, again, other;
  ASSERT_TRUE(Issue(kBaby, &first).ok());
  EXPECT_TRUE(first.newly_issued());
  const identifiers::CivilDate birth{2024, 12, 31};
  const identifiers::Sex male = identifiers::Sex::kMale;
  EXPECT_TRUE(identifiers::ValidatePersonalId(first.personal_id(), &birth, &male).ok())
      << first.personal_id();
  EXPECT_EQ(first.personal_id().substr(0, 6), "079224");

  ASSERT_TRUE(Issue(kBaby, &again).ok());
  EXPECT_EQ(again.personal_id(), first.personal_id());
  EXPECT_FALSE(again.newly_issued());

  v1::IssuePersonalIdRequest second = Parse<v1::IssuePersonalIdRequest>(kBaby);
  second.set_request_id("KS-2024-000124");
  ASSERT_TRUE(stub_->IssuePersonalId(Context().get(), second, &other).ok());
  EXPECT_TRUE(other.newly_issued());
  EXPECT_NE(other.personal_id(), first.personal_id());

  // The newborn is a citizen now, child of both parents.
  v1::GetCitizenResponse got;
  ASSERT_TRUE(Get("personal_id: '" + first.personal_id() +
                      "' read_mask { paths: 'full_name' paths: 'mother_personal_id' }",
                  &got)
                  .ok());
  EXPECT_EQ(got.citizen().full_name(), "Nguyễn Văn Út");
  EXPECT_EQ(got.citizen().mother_personal_id(), "079168000003");
  std::vector<v1::Relative> children;
  ASSERT_TRUE(Relatives("079168000003", &children).ok());
  EXPECT_EQ(children.size(), 3u);
}

TEST_F(ResidentRegistryServiceTest, ListRelativesStreamsParentsThenChildren) {
  struct Case {
    std::string id;
    std::vector<std::string> expected;  // "<relation> <id> <name>"
  };
  const Case cases[] = {
      {"079098000004",
       {"RELATION_FATHER 001065000002 Nguyễn Văn Bố", "RELATION_MOTHER 079168000003 Trần Thị Mẹ"}},
      {"001065000002",
       {"RELATION_FATHER 001040000001 Nguyễn Văn Tổ", "RELATION_CHILD 079098000004 Nguyễn Văn Em"}},
      {"001040000001", {"RELATION_CHILD 001065000002 Nguyễn Văn Bố"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    std::vector<v1::Relative> relatives;
    grpc::Status status = Relatives(c.id, &relatives);
    ASSERT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> got;
    for (const v1::Relative& r : relatives) {
      got.push_back(absl::StrCat(v1::Relation_Name(r.relation()), " ", r.personal_id(), " ",
                                 r.full_name()));
      EXPECT_NE(r.date_of_birth().year(), 0);
    }
    EXPECT_EQ(got, c.expected);
  }
  const ErrorCase errors[] = {
      {"0010650000", grpc::StatusCode::INVALID_ARGUMENT,
       "personal_id: must be exactly 12 digits, got 10"},
      {"001090999999", grpc::StatusCode::NOT_FOUND,
       "personal_id: no citizen holds personal ID number 001090999999"},
  };
  for (const ErrorCase& c : errors) {
    SCOPED_TRACE(c.request);
    std::vector<v1::Relative> relatives;
    grpc::Status status = Relatives(c.request, &relatives);
    ExpectError(status, c);
    EXPECT_EQ(ndxp::connectors::BadRequestOf(status).has_value(),
              c.code == grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(relatives.empty());
  }
}

TEST_F(ResidentRegistryServiceTest, BatchVerifyAnswersInOrderAndStopsAtTheFirstBadItem) {
  std::vector<v1::VerifyCitizenResponse> responses;
  grpc::Status status = BatchVerify({R"pb(personal_id: "079098000004" sex: SEX_MALE)pb",
                                     R"pb(personal_id: "001090999999")pb",
                                     R"pb(personal_id: "001040000001" sex: SEX_FEMALE)pb"},
                                    &responses);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0].personal_id(), "079098000004");
  EXPECT_TRUE(responses[0].found());
  EXPECT_TRUE(responses[0].sex_match());
  EXPECT_EQ(responses[1].personal_id(), "001090999999");
  EXPECT_FALSE(responses[1].found());
  EXPECT_EQ(responses[2].personal_id(), "001040000001");
  EXPECT_FALSE(responses[2].sex_match());
  EXPECT_EQ(responses[2].life_status(), v1::LIFE_STATUS_DECEASED);

  struct Case {
    std::vector<std::string> requests;
    size_t answered;
    std::string message;
    std::string field;
  };
  const Case cases[] = {
      {{R"pb(personal_id: "079098000004")pb", R"pb(personal_id: "001065000002")pb",
        R"pb(personal_id: "07909800000")pb", R"pb(personal_id: "079168000003")pb"},
       2,
       "item 2: personal_id: must be exactly 12 digits, got 11", "personal_id"},
      {{R"pb(personal_id: "079098000004" date_of_birth { year: 1998 month: 13 day: 1 })pb"},
       0,
       "item 0: date_of_birth: 1998-13-01 is not a valid calendar date", "date_of_birth"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    std::vector<v1::VerifyCitizenResponse> answered;
    grpc::Status bad = BatchVerify(c.requests, &answered);
    EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(bad.error_message(), c.message);
    EXPECT_EQ(answered.size(), c.answered);
    std::optional<google::rpc::BadRequest> bad_request = ndxp::connectors::BadRequestOf(bad);
    ASSERT_TRUE(bad_request.has_value());
    EXPECT_EQ(bad_request->field_violations(0).field(),
              absl::StrCat("item[", c.answered, "].", c.field));
  }

  responses.clear();
  ASSERT_TRUE(BatchVerify({}, &responses).ok());
  EXPECT_TRUE(responses.empty());
}

TEST_F(ResidentRegistryServiceTest, RecordDeathValidation) {
  using Request = v1::RecordDeathRequest;
  const ErrorCase cases[] = {
      {R"pb(personal_id: "07909800000" date_of_death { year: 2024 month: 1 day: 2 }
            death_registration_number: "KT-1")pb",
       grpc::StatusCode::INVALID_ARGUMENT, "personal_id: must be exactly 12 digits, got 11"},
      {R"pb(personal_id: "079098000004" death_registration_number: "KT-1")pb",
       grpc::StatusCode::INVALID_ARGUMENT, "date_of_death: is required"},
      {R"pb(personal_id: "079098000004" date_of_death { year: 2023 month: 2 day: 29 }
            death_registration_number: "KT-1")pb",
       grpc::StatusCode::INVALID_ARGUMENT,
       "date_of_death: 2023-02-29 is not a valid calendar date"},
      {R"pb(personal_id: "079098000004" date_of_death { year: 2025 month: 1 day: 2 }
            death_registration_number: "KT-1")pb",
       grpc::StatusCode::INVALID_ARGUMENT, "date_of_death: 2025-01-02 is in the future"},
      {R"pb(personal_id: "079098000004" date_of_death { year: 2024 month: 1 day: 2 })pb",
       grpc::StatusCode::INVALID_ARGUMENT,
       "death_registration_number: is required (civil status's death certificate number)"},
      {R"pb(personal_id: "x" date_of_death { year: 2024 month: 1 day: 32 })pb",
       grpc::StatusCode::INVALID_ARGUMENT,
       "personal_id: must be exactly 12 digits, got 1; "
       "date_of_death: 2024-01-32 is not a valid calendar date; "
       "death_registration_number: is required (civil status's death certificate number)"},
      {R"pb(personal_id: "079098000004" date_of_death { year: 1990 month: 1 day: 2 }
            death_registration_number: "KT-1")pb",
       grpc::StatusCode::INVALID_ARGUMENT,
       "date_of_death: 1990-01-02 is before the date of birth 1998-09-09"},
      {R"pb(personal_id: "001090999999" date_of_death { year: 2024 month: 1 day: 2 }
            death_registration_number: "KT-1")pb",
       grpc::StatusCode::NOT_FOUND,
       "personal_id: no citizen holds personal ID number 001090999999"},
      {R"pb(personal_id: "001040000001" date_of_death { year: 2024 month: 1 day: 2 }
            death_registration_number: "KT-1")pb",
       grpc::StatusCode::FAILED_PRECONDITION,
       "personal_id: 001040000001 is already recorded as deceased on 2010-06-30, not "
       "2024-01-02"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.request);
    v1::RecordDeathResponse response;
    grpc::Status status =
        stub_->RecordDeath(Context().get(), Parse<Request>(c.request), &response);
    ExpectError(status, c);
    if (c.code == grpc::StatusCode::INVALID_ARGUMENT) {
      EXPECT_TRUE(ndxp::connectors::BadRequestOf(status).has_value());
    }
  }
  EXPECT_EQ(store_->GetCitizen("079098000004")->life_status(), v1::LIFE_STATUS_ALIVE);
}

TEST_F(ResidentRegistryServiceTest, RecordDeathMarksTheCitizenDeceasedOnce) {
  const std::string request = R"pb(personal_id: "079098000004"
                                   date_of_death { year: 2024 month: 12 day: 1 }
                                   death_registration_number: "KT-079-2024-0000001")pb";
  v1::RecordDeathResponse first, again;
  ASSERT_TRUE(stub_->RecordDeath(Context().get(), Parse<v1::RecordDeathRequest>(request), &first)
                  .ok());
  EXPECT_TRUE(MessageDifferencer::Equals(
      first, Parse<v1::RecordDeathResponse>(R"pb(personal_id: "079098000004"
                                                 date_of_death { year: 2024 month: 12 day: 1 }
                                                 death_registration_number: "KT-079-2024-0000001"
                                                 newly_recorded: true)pb")))
      << first.DebugString();
  ASSERT_TRUE(stub_->RecordDeath(Context().get(), Parse<v1::RecordDeathRequest>(request), &again)
                  .ok());
  EXPECT_FALSE(again.newly_recorded());
  EXPECT_EQ(again.death_registration_number(), "KT-079-2024-0000001");

  v1::VerifyCitizenResponse verified;
  ASSERT_TRUE(Verify(R"pb(personal_id: "079098000004")pb", &verified).ok());
  EXPECT_EQ(verified.life_status(), v1::LIFE_STATUS_DECEASED);
  // Both calls are in the citizen's access log.
  absl::StatusOr<std::vector<AccessRecord>> accesses = store_->ListAccesses("079098000004");
  ASSERT_TRUE(accesses.ok());
  ASSERT_GE(accesses->size(), 2u);
  EXPECT_EQ((*accesses)[0].method, kRecordDeathMethod);
  EXPECT_EQ((*accesses)[1].method, kRecordDeathMethod);
}

TEST_F(ResidentRegistryServiceTest, AccessLogRecordsConsumerPurposeAndOutcome) {
  v1::GetCitizenResponse got;
  ASSERT_TRUE(stub_->GetCitizen(Context("req-get").get(),
                                Parse<v1::GetCitizenRequest>("personal_id: '079098000004'"),
                                &got)
                  .ok());
  v1::VerifyCitizenResponse verified;
  ASSERT_TRUE(stub_->VerifyCitizen(Context("req-verify").get(),
                                   Parse<v1::VerifyCitizenRequest>("personal_id: '079098000004'"),
                                   &verified)
                  .ok());
  std::vector<v1::Relative> relatives;
  ASSERT_TRUE(Relatives("079098000004", &relatives).ok());
  v1::GetCitizenResponse bad;
  EXPECT_FALSE(Get("personal_id: '079098000004' read_mask { paths: 'x' }", &bad).ok());

  absl::StatusOr<std::vector<AccessRecord>> accesses = store_->ListAccesses("079098000004");
  ASSERT_TRUE(accesses.ok());
  struct Expected {
    std::string method;
    std::string request_id;
    absl::StatusCode status;
  };
  const Expected expected[] = {
      {kGetCitizenMethod, "req-get", absl::StatusCode::kOk},
      {kVerifyCitizenMethod, "req-verify", absl::StatusCode::kOk},
      {kListRelativesMethod, "req-1", absl::StatusCode::kOk},
      {kGetCitizenMethod, "req-1", absl::StatusCode::kInvalidArgument},
  };
  ASSERT_EQ(accesses->size(), std::size(expected));
  for (size_t i = 0; i < std::size(expected); ++i) {
    SCOPED_TRACE(i);
    const AccessRecord& r = (*accesses)[i];
    EXPECT_EQ(r.consumer, kConsumer);
    EXPECT_EQ(r.purpose, kPurpose);
    EXPECT_EQ(r.time, kNow);
    EXPECT_EQ(r.method, expected[i].method);
    EXPECT_EQ(r.request_id, expected[i].request_id);
    EXPECT_EQ(r.status, expected[i].status);
    EXPECT_EQ(r.personal_id, "079098000004");
  }
  // ListRelatives disclosed the parents' names too: they see it.
  for (const char* parent : {"001065000002", "079168000003"}) {
    SCOPED_TRACE(parent);
    absl::StatusOr<std::vector<AccessRecord>> parent_accesses = store_->ListAccesses(parent);
    ASSERT_EQ(parent_accesses->size(), 1u);
    EXPECT_EQ((*parent_accesses)[0].method, kListRelativesMethod);
    EXPECT_EQ((*parent_accesses)[0].consumer, kConsumer);
  }
  // A malformed ID is logged against nobody.
  ASSERT_FALSE(Get("personal_id: '12'", &bad).ok());
  absl::StatusOr<std::vector<AccessRecord>> anonymous = store_->ListAccesses("");
  ASSERT_EQ(anonymous->size(), 1u);
  EXPECT_EQ((*anonymous)[0].status, absl::StatusCode::kInvalidArgument);
}

TEST_F(ResidentRegistryServiceTest, NoDataLeavesWhenTheAccessLogCannotBeWritten) {
  failable_->fail_access_log = true;
  v1::GetCitizenResponse got;
  grpc::Status status = Get("personal_id: '079098000004'", &got);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(),
            "access log unavailable, no data returned: disk I/O error");
  EXPECT_FALSE(got.has_citizen());
  std::vector<v1::Relative> relatives;
  EXPECT_EQ(Relatives("079098000004", &relatives).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(relatives.empty());
  // Errors stay what they were.
  EXPECT_EQ(Get("personal_id: '1'", &got).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace ndxp::residents
