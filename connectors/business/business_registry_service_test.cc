// The BusinessRegistry service driven through a real in-process gRPC server
// on port 0 (insecure credentials: the mutual-TLS path is tested through the
// hub in business_through_hub_test.cc) over a generated SQLite register.
#include "connectors/business/business_registry_service.h"

#include <set>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "connectors/business/business_test_util.h"
#include "connectors/business/sqlite_enterprise_store.h"
#include "connectors/runtime/connector_server.h"
#include "connectors/runtime/field_violations.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace ndxp::business {
namespace {

using ndxp::connectors::BadRequestOf;

constexpr uint64_t kSeed = 42;
constexpr uint32_t kPopulation = 2000;

class BusinessRegistryServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    records_ = new std::vector<v1::Enterprise>(testing::GeneratedRecords(kSeed, kPopulation));
  }
  static void TearDownTestSuite() { delete records_; }

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqliteEnterpriseStore>> store =
        SqliteEnterpriseStore::Open(dir_.path() + "/business.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_TRUE(store_->GenerateIfEmpty(kSeed, kPopulation).ok());
    service_ = std::make_unique<BusinessRegistryService>(store_.get());
    absl::StatusOr<std::unique_ptr<ndxp::connectors::ConnectorServer>> server =
        ndxp::connectors::ConnectorServer::Start(
            {"127.0.0.1:0", grpc::InsecureServerCredentials(), {service_.get()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::BusinessRegistry::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
  }

  grpc::Status Get(const std::string& code, v1::GetEnterpriseResponse* response) {
    grpc::ClientContext context;
    v1::GetEnterpriseRequest request;
    request.set_enterprise_code(code);
    return stub_->GetEnterprise(&context, request, response);
  }

  grpc::Status Search(const v1::SearchEnterprisesRequest& request,
                      std::vector<std::string>* codes) {
    grpc::ClientContext context;
    auto reader = stub_->SearchEnterprises(&context, request);
    v1::EnterpriseSummary summary;
    while (reader->Read(&summary)) codes->push_back(summary.enterprise_code());
    return reader->Finish();
  }

  const v1::Enterprise* FirstWithUnits() const {
    for (const v1::Enterprise& e : *records_) {
      if (!e.parent_enterprise_code().empty()) {
        for (const v1::Enterprise& parent : *records_) {
          if (parent.enterprise_code() == e.parent_enterprise_code()) return &parent;
        }
      }
    }
    return nullptr;
  }

  static std::vector<v1::Enterprise>* records_;
  ndxp::testing::TempDir dir_;
  std::unique_ptr<SqliteEnterpriseStore> store_;
  std::unique_ptr<BusinessRegistryService> service_;
  std::unique_ptr<ndxp::connectors::ConnectorServer> server_;
  std::unique_ptr<v1::BusinessRegistry::Stub> stub_;
};
std::vector<v1::Enterprise>* BusinessRegistryServiceTest::records_ = nullptr;

TEST_F(BusinessRegistryServiceTest, GetsAnEnterpriseAndItsUnit) {
  const v1::Enterprise* parent = FirstWithUnits();
  ASSERT_NE(parent, nullptr);
  v1::GetEnterpriseResponse response;
  ASSERT_TRUE(Get(parent->enterprise_code(), &response).ok());
  v1::Enterprise without_units = response.enterprise();
  ASSERT_GT(without_units.dependent_units_size(), 0);
  const std::string unit_code = without_units.dependent_units(0).unit_code();
  without_units.clear_dependent_units();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(without_units, *parent))
      << without_units.DebugString() << "\nvs\n" << parent->DebugString();

  ASSERT_TRUE(Get(unit_code, &response).ok());
  EXPECT_EQ(response.enterprise().enterprise_code(), unit_code);
  EXPECT_EQ(response.enterprise().parent_enterprise_code(), parent->enterprise_code());
  EXPECT_EQ(response.enterprise().legal_form(), parent->legal_form());
}

TEST_F(BusinessRegistryServiceTest, BadCodesAreInvalidArgumentNamingTheField) {
  const char* bad[] = {"", "0100233480", "010023348", "0100233488-000", "0100233488_001",
                       "9900000012", "01002334a8", "0100000000"};
  for (const char* code : bad) {
    SCOPED_TRACE(code);
    v1::GetEnterpriseResponse response;
    grpc::Status status = Get(code, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    std::optional<google::rpc::BadRequest> bad_request = BadRequestOf(status);
    ASSERT_TRUE(bad_request.has_value());
    ASSERT_EQ(bad_request->field_violations_size(), 1);
    EXPECT_EQ(bad_request->field_violations(0).field(), "enterprise_code");
  }
}

TEST_F(BusinessRegistryServiceTest, UnregisteredCodeIsNotFound) {
  v1::GetEnterpriseResponse response;
  grpc::Status status = Get("0100233488", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("0100233488"), std::string::npos);
}

TEST_F(BusinessRegistryServiceTest, SearchValidationCollectsEveryViolation) {
  struct Case {
    const char* name_prefix;
    const char* province;
    int max_results;
    std::set<std::string> fields;
  };
  const Case cases[] = {
      {"", "", 0, {"name_prefix"}},
      {"m", "", 0, {"name_prefix"}},
      {"Công ty TNHH", "", 0, {"name_prefix"}},
      {"  --  ", "", 0, {"name_prefix"}},
      {"minh", "003", 0, {"province_code"}},
      {"minh", "01", 0, {"province_code"}},
      {"minh", "", -1, {"max_results"}},
      {"minh", "", kMaxSearchResults + 1, {"max_results"}},
      {"", "999", 1000, {"name_prefix", "province_code", "max_results"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.name_prefix, "|", c.province, "|", c.max_results));
    v1::SearchEnterprisesRequest request;
    request.set_name_prefix(c.name_prefix);
    request.set_province_code(c.province);
    request.set_max_results(c.max_results);
    std::vector<std::string> codes;
    grpc::Status status = Search(request, &codes);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(codes.empty());
    std::optional<google::rpc::BadRequest> bad_request = BadRequestOf(status);
    ASSERT_TRUE(bad_request.has_value());
    std::set<std::string> fields;
    for (const auto& v : bad_request->field_violations()) fields.insert(v.field());
    EXPECT_EQ(fields, c.fields);
  }
}

TEST_F(BusinessRegistryServiceTest, SearchStreamsMatchesInOrder) {
  const std::string prefix = testing::PopularPrefix(*records_, 3);
  ASSERT_FALSE(prefix.empty());
  struct Case {
    std::string name_prefix;
    std::string province;
    int max_results;
  };
  std::string province;
  for (const v1::Enterprise& e : *records_) {
    if (absl::StartsWith(SearchKey(e.name()), prefix)) {
      province = e.province_code();
      break;
    }
  }
  const Case cases[] = {
      {prefix, "", 0},
      {absl::AsciiStrToUpper(prefix), "", 2},
      {absl::StrCat("Công ty TNHH ", prefix), "", 0},
      {prefix.substr(0, 2), "", kMaxSearchResults},
      {prefix.substr(0, 2), province, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.name_prefix, "|", c.province, "|", c.max_results));
    v1::SearchEnterprisesRequest request;
    request.set_name_prefix(c.name_prefix);
    request.set_province_code(c.province);
    request.set_max_results(c.max_results);
    std::vector<std::string> codes;
    ASSERT_TRUE(Search(request, &codes).ok());
    const size_t limit = c.max_results != 0 ? c.max_results : kDefaultSearchResults;
    EXPECT_EQ(codes, testing::ExpectedSearch(*records_, c.name_prefix, c.province, limit));
    EXPECT_FALSE(codes.empty());
  }
}

TEST_F(BusinessRegistryServiceTest, CancelledSearchEndsTheStream) {
  v1::SearchEnterprisesRequest request;
  request.set_name_prefix(testing::PopularPrefix(*records_, 3).substr(0, 2));
  request.set_max_results(kMaxSearchResults);
  grpc::ClientContext context;
  auto reader = stub_->SearchEnterprises(&context, request);
  v1::EnterpriseSummary summary;
  ASSERT_TRUE(reader->Read(&summary));
  context.TryCancel();
  while (reader->Read(&summary)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace ndxp::business
