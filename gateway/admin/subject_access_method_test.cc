// ListAccessesMethod over a real SQLite store and Recorder, with tokens of a
// throw-away identity provider and a fake clock: who may ask, what each
// sees (deferred rows), and the operator's lookup on record.
#include "gateway/admin/subject_access_method.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <fstream>
#include <iterator>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/synchronization/notification.h"
#include "common/protocol/hub_services.h"
#include "gateway/recording/sqlite_transaction_store.h"
#include "gateway/recording/test_records.h"
#include "ndxp/hub/v1/data_subject_access.pb.h"
#include "tests/testing/test_pki.h"

namespace ndxp::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIssuer[] = "https://id.gov.vn";
constexpr char kAudience[] = "ndxp-hub";
constexpr char kPerson[] = "001099012345";
constexpr char kOther[] = "001099054321";
// 32 bytes, base64.
constexpr char kKeyFile[] = "k1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";

class ListAccessesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = dir_.path() + "/hub.db";
    auto keys = subjects::SubjectKeys::Parse(kKeyFile, "test keys");
    ASSERT_TRUE(keys.ok()) << keys.status();
    keys_ = std::make_unique<subjects::SubjectKeys>(*std::move(keys));
    SqliteTransactionStore::Options options;
    options.fsync_each_commit = false;
    auto writer = SqliteTransactionStore::Open(database_, options);
    ASSERT_TRUE(writer.ok()) << writer.status();
    recorder_ = std::make_unique<Recorder>(*std::move(writer), 1);

    // About the person: a call an hour ago, and one whose notice is
    // deferred for a day. About someone else: one call.
    const int64_t now = absl::ToUnixMicros(clock_.Now());
    Append(now - 3'600'000'000, "shown", kPerson, 0);
    Append(now - 1'800'000'000, "deferred", kPerson, now + 86'400'000'000);
    Append(now - 60'000'000, "someone-else", kOther, 0);
  }

  void Append(int64_t time_micros, const std::string& request_id, const std::string& person,
              int64_t visible_after_micros) {
    TransactionRecord record = testing::MakeRecord(time_micros, request_id);
    record.subject_key_id = "k1";
    record.subjects = {absl::BytesToHexString(*keys_->Hmac("k1", person))};
    record.visible_after_micros = visible_after_micros;
    absl::Notification committed;
    recorder_->Record(0, std::move(record), [&](const absl::Status& status) {
      EXPECT_TRUE(status.ok()) << status;
      committed.Notify();
    });
    committed.WaitForNotification();
  }

  // The method as the hub builds it, with data_subjects configured.
  std::unique_ptr<ListAccessesMethod> Method() {
    ListAccessesMethod::Parts parts;
    SubjectTokenOptions options;
    options.issuer = kIssuer;
    options.audience = kAudience;
    options.clock = &clock_;
    std::ifstream pem_file(idp_.public_key());
    std::string pem((std::istreambuf_iterator<char>(pem_file)), std::istreambuf_iterator<char>());
    auto verifier = SubjectTokenVerifier::Create(pem, options);
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    parts.verifier = *std::move(verifier);
    parts.keys = keys_.get();
    SqliteTransactionStore::Options reader;
    reader.replica = "hub-1-reader";
    auto store = SqliteTransactionStore::Open(database_, reader);
    EXPECT_TRUE(store.ok()) << store.status();
    parts.store = *std::move(store);
    auto agencies = std::make_shared<statistics::AgencyDirectory>();
    hub::v1::Agency tax;
    tax.set_code("000.00.00.G12");
    tax.set_name_vi("Cơ quan thuế");
    agencies->Add(tax);
    parts.agencies = agencies;
    parts.recorder = recorder_.get();
    parts.hold_until_recorded = true;
    parts.clock = &clock_;
    return std::make_unique<ListAccessesMethod>(std::move(parts));
  }

  LocalCall PortalCall(const std::string& token_sub) {
    LocalCall call;
    call.consumer = "000.00.00.A03/citizen-portal";
    call.started = clock_.Now();
    call.headers.Add(kDefaultSubjectTokenHeader,
                     idp_.Token(token_sub, kIssuer, kAudience, absl::ToUnixSeconds(clock_.Now())));
    return call;
  }

  LocalCall OperatorCall() {
    LocalCall call;
    call.consumer = "000.00.00.A01/operator";
    call.from_operator = true;
    call.request_id = "lookup-1";
    call.started = clock_.Now();
    return call;
  }

  // The method's answer to `request` from `call`.
  grpc::Status Ask(const ListAccessesMethod& method, const LocalCall& call,
                   const hub::v1::ListAccessesRequest& request,
                   hub::v1::ListAccessesResponse* response) {
    grpc::ByteBuffer request_bytes, response_bytes;
    bool own_buffer;
    grpc::SerializationTraits<hub::v1::ListAccessesRequest>::Serialize(request, &request_bytes,
                                                                      &own_buffer);
    grpc::Status status = method.Answer(call, &request_bytes, &response_bytes);
    if (status.ok()) {
      EXPECT_TRUE(grpc::SerializationTraits<hub::v1::ListAccessesResponse>::Deserialize(
                      &response_bytes, response)
                      .ok());
    }
    return status;
  }

  static hub::v1::ListAccessesRequest About(const std::string& personal_id,
                                            const std::string& reason = "") {
    hub::v1::ListAccessesRequest request;
    request.set_personal_id(personal_id);
    request.set_reason(reason);
    return request;
  }

  static std::vector<std::string> RequestIds(const hub::v1::ListAccessesResponse& response) {
    std::vector<std::string> ids;
    for (const auto& access : response.accesses()) ids.push_back(access.request_id());
    return ids;
  }

  FakeClock clock_;
  ndxp::testing::TempDir dir_;
  ndxp::testing::TestIdentityProvider idp_;
  std::string database_;
  std::unique_ptr<subjects::SubjectKeys> keys_;
  std::unique_ptr<Recorder> recorder_;
};

TEST_F(ListAccessesTest, WithoutDataSubjectsItIsAPreconditionFailure) {
  ListAccessesMethod::Parts parts;
  parts.agencies = std::make_shared<statistics::AgencyDirectory>();
  ListAccessesMethod method(std::move(parts));
  hub::v1::ListAccessesResponse response;
  grpc::Status status = Ask(method, OperatorCall(), About(kPerson, "why"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "data subjects are not configured");
}

TEST_F(ListAccessesTest, ThePersonSeesTheirCallsButNotDeferredOnesUntilTheDeferralEnds) {
  auto method = Method();
  hub::v1::ListAccessesResponse response;
  ASSERT_TRUE(Ask(*method, PortalCall(kPerson), About(kPerson), &response).ok());
  EXPECT_THAT(RequestIds(response), ElementsAre("shown"));
  const hub::v1::Access& access = response.accesses(0);
  EXPECT_EQ(access.consumer_name(), "Cơ quan thuế");
  EXPECT_EQ(access.method(), "/ndxp.residents.v1.ResidentRegistry/GetCitizen");
  EXPECT_EQ(access.purpose(), "tax audit");
  EXPECT_EQ(access.status(), "OK");
  EXPECT_FALSE(access.has_notice_deferred_until());

  clock_.Advance(absl::Hours(25));
  response.Clear();
  ASSERT_TRUE(Ask(*method, PortalCall(kPerson), About(kPerson), &response).ok());
  EXPECT_THAT(RequestIds(response), ElementsAre("deferred", "shown"));
}

TEST_F(ListAccessesTest, ATokenForAnotherPersonOrNoTokenIsRefused) {
  auto method = Method();
  hub::v1::ListAccessesResponse response;
  grpc::Status status = Ask(*method, PortalCall(kOther), About(kPerson), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "the token is for another person");
  LocalCall untokened = PortalCall(kPerson);
  untokened.headers.clear();
  status = Ask(*method, untokened, About(kPerson), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr(kDefaultSubjectTokenHeader));
  LocalCall stale = PortalCall(kPerson);
  clock_.Advance(absl::Hours(2));  // past the token's ttl and the clock skew allowed
  status = Ask(*method, stale, About(kPerson), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("expired"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr(kPerson)));
}

TEST_F(ListAccessesTest, AnOperatorNeedsAReasonSeesDeferredCallsAndIsOnRecordFirst) {
  auto method = Method();
  hub::v1::ListAccessesResponse response;
  grpc::Status status = Ask(*method, OperatorCall(), About(kPerson, "  "), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("reason is required"));

  ASSERT_TRUE(Ask(*method, OperatorCall(), About(kPerson, "complaint 117"), &response).ok());
  // The lookup (committed before the answer), then both calls.
  EXPECT_THAT(RequestIds(response), ElementsAre("lookup-1", "deferred", "shown"));
  EXPECT_EQ(response.accesses(0).method(), "/ndxp.hub.v1.DataSubjectAccess/ListAccesses");
  EXPECT_EQ(response.accesses(0).consumer(), "000.00.00.A01/operator");
  EXPECT_EQ(response.accesses(0).purpose(), "complaint 117");
  EXPECT_TRUE(response.accesses(1).has_notice_deferred_until());
  EXPECT_FALSE(response.accesses(2).has_notice_deferred_until());
}

TEST_F(ListAccessesTest, PageSizeOutOfRangeIsRefusedAndPagesFollow) {
  auto method = Method();
  hub::v1::ListAccessesResponse response;
  hub::v1::ListAccessesRequest request = About(kPerson, "paging");
  request.set_page_size(101);
  EXPECT_EQ(Ask(*method, OperatorCall(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_page_size(-1);
  EXPECT_EQ(Ask(*method, OperatorCall(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_page_size(2);
  ASSERT_TRUE(Ask(*method, OperatorCall(), request, &response).ok());
  EXPECT_EQ(response.accesses_size(), 2);
  ASSERT_FALSE(response.next_page_token().empty());
  request.set_page_token(response.next_page_token());
  response.Clear();
  ASSERT_TRUE(Ask(*method, OperatorCall(), request, &response).ok());
  EXPECT_TRUE(response.next_page_token().empty());
}

}  // namespace
}  // namespace ndxp::gateway
