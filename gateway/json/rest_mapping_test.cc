#include "gateway/json/rest_mapping.h"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include <memory>
#include <string>
#include <vector>

#include "gateway/json/test_pool.h"
#include "gmock/gmock.h"
#include "google/api/http.pb.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::json {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class RestMappingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(pool_, nullptr) << NDXP_DESCRIPTOR_SET;
    std::vector<const google::protobuf::ServiceDescriptor*> services;
    for (const char* name :
         {"ndxp.residents.v1.ResidentRegistry", "ndxp.insurance.v1.InsuranceRegistry",
          "ndxp.business.v1.BusinessRegistry", "ndxp.land.v1.LandRegistry",
          "ndxp.civil_status.v1.CivilStatusRegistry", "ndxp.documents.v1.DocumentExchange",
          "ndxp.bench.v1.Echo"}) {
      services.push_back(pool_->FindServiceByName(name));
      ASSERT_NE(services.back(), nullptr) << name;
    }
    absl::StatusOr<std::unique_ptr<RestMapping>> mapping =
        RestMapping::Compile(services, &transcoder_);
    ASSERT_TRUE(mapping.ok()) << mapping.status();
    mapping_ = *std::move(mapping);
  }

  // The request `binary` is, as text format, for comparison.
  std::string AsText(const google::protobuf::MethodDescriptor& method, const std::string& binary) {
    std::unique_ptr<google::protobuf::Message> message(
        factory_.GetPrototype(method.input_type())->New());
    EXPECT_TRUE(message->ParseFromString(binary));
    return message->ShortDebugString();
  }
  std::string Canonical(const google::protobuf::MethodDescriptor& method, const std::string& text) {
    std::unique_ptr<google::protobuf::Message> message(
        factory_.GetPrototype(method.input_type())->New());
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, message.get())) << text;
    return message->ShortDebugString();
  }

  std::unique_ptr<google::protobuf::DescriptorPool> pool_ = LoadTestPool();
  JsonTranscoder transcoder_{pool_.get()};
  std::unique_ptr<RestMapping> mapping_;
  google::protobuf::DynamicMessageFactory factory_;
};

// Every mapping in proto/ndxp, one request each.
TEST_F(RestMappingTest, EveryMappingOfTheProtos) {
  struct Case {
    const char* http_method;
    const char* path;
    const char* query;
    const char* body;
    const char* method;
    const char* request;  // text format
  };
  const Case cases[] = {
      {"POST", "/v1/citizens:verify", "", R"({"personalId":"001099012345","fullName":"A"})",
       "ndxp.residents.v1.ResidentRegistry.VerifyCitizen",
       R"(personal_id: "001099012345" full_name: "A")"},
      {"GET", "/v1/citizens/001099012345", "readMask=fullName,dateOfBirth", "",
       "ndxp.residents.v1.ResidentRegistry.GetCitizen",
       R"(personal_id: "001099012345" read_mask { paths: "full_name" paths: "date_of_birth" })"},
      {"POST", "/v1/citizens", "", R"({"requestId":"r1","fullName":"B"})",
       "ndxp.residents.v1.ResidentRegistry.IssuePersonalId", R"(request_id: "r1" full_name: "B")"},
      {"GET", "/v1/citizens/001099012345/relatives", "", "",
       "ndxp.residents.v1.ResidentRegistry.ListRelatives", R"(personal_id: "001099012345")"},
      {"POST", "/v1/citizens/001099012345:recordDeath", "", R"({"deathRegistrationNumber":"D1"})",
       "ndxp.residents.v1.ResidentRegistry.RecordDeath",
       R"(personal_id: "001099012345" death_registration_number: "D1")"},
      {"GET", "/v1/insured-persons/0110990123", "", "",
       "ndxp.insurance.v1.InsuranceRegistry.GetInsuredPerson",
       R"(social_insurance_code: "0110990123")"},
      {"GET", "/v1/citizens/001099012345/insured-person", "", "",
       "ndxp.insurance.v1.InsuranceRegistry.GetInsuredPerson", R"(personal_id: "001099012345")"},
      {"POST", "/v1/child-health-cards", "", R"({"requestId":"r","personalId":"001099012345"})",
       "ndxp.insurance.v1.InsuranceRegistry.IssueChildHealthCard",
       R"(request_id: "r" personal_id: "001099012345")"},
      {"POST", "/v1/insured-persons:verifyAgainstPopulation", "",
       R"({"socialInsuranceCodes":["a","b"],"limit":5})",
       "ndxp.insurance.v1.InsuranceRegistry.VerifyAgainstPopulation",
       R"(social_insurance_codes: "a" social_insurance_codes: "b" limit: 5)"},
      {"GET", "/v1/enterprises/0101234567", "", "",
       "ndxp.business.v1.BusinessRegistry.GetEnterprise", R"(enterprise_code: "0101234567")"},
      {"GET", "/v1/enterprises", "namePrefix=C%C3%B4ng+ty&province_code=001&maxResults=10", "",
       "ndxp.business.v1.BusinessRegistry.SearchEnterprises",
       R"(name_prefix: "Công ty" province_code: "001" max_results: 10)"},
      {"GET", "/v1/parcels/P-1", "", "", "ndxp.land.v1.LandRegistry.GetParcel",
       R"(parcel { parcel_id: "P-1" })"},
      {"GET", "/v1/communes/00001/map-sheets/12/parcels/345", "", "",
       "ndxp.land.v1.LandRegistry.GetParcel",
       R"(parcel { number { commune_code: "00001" map_sheet: 12 parcel_number: 345 } })"},
      {"GET", "/v1/land-prices/079/ODT", "", "", "ndxp.land.v1.LandRegistry.GetLandPrice",
       R"(province_code: "079" purpose: "ODT")"},
      {"POST", "/v1/certificates/AB123:assessTransferObligations", "",
       R"({"declaredPriceVnd":"1000000"})", "ndxp.land.v1.LandRegistry.AssessTransferObligations",
       R"(certificate_serial: "AB123" declared_price_vnd: 1000000)"},
      {"POST", "/v1/birth-registrations", "", R"({"requestId":"r","childFullName":"C"})",
       "ndxp.civil_status.v1.CivilStatusRegistry.RegisterBirth",
       R"(request_id: "r" child_full_name: "C")"},
      {"GET", "/v1/birth-registrations/r-1", "", "",
       "ndxp.civil_status.v1.CivilStatusRegistry.GetBirthRegistration", R"(request_id: "r-1")"},
      {"POST", "/v1/marriage-registrations", "", R"({"requestId":"m"})",
       "ndxp.civil_status.v1.CivilStatusRegistry.RegisterMarriage", R"(request_id: "m")"},
      {"POST", "/v1/death-registrations", "", R"({"requestId":"d","personalId":"001099012345"})",
       "ndxp.civil_status.v1.CivilStatusRegistry.RegisterDeath",
       R"(request_id: "d" personal_id: "001099012345")"},
      {"POST", "/v1/documents", "", R"({"messageId":"m1"})",
       "ndxp.documents.v1.DocumentExchange.SendDocument", R"(message_id: "m1")"},
      {"GET", "/v1/inbox", "afterCursor=42&follow=true", "",
       "ndxp.documents.v1.DocumentExchange.ReceiveInbox", R"(after_cursor: 42 follow: true)"},
      {"POST", "/v1/documents/D1:reportStatus", "", R"({"reason":"x"})",
       "ndxp.documents.v1.DocumentExchange.ReportStatus", R"(document_id: "D1" reason: "x")"},
      // A segment is percent-decoded after the split: "%2F" stays in it.
      {"GET", "/v1/documents/D%2F1", "", "", "ndxp.documents.v1.DocumentExchange.GetDocument",
       R"(document_id: "D/1")"},
      {"POST", "/v1/echo", "", R"({"payload":"aGk="})", "ndxp.bench.v1.Echo.Echo",
       R"(payload: "hi")"},
      // The path wins over the body.
      {"POST", "/v1/citizens/001099012345:recordDeath", "", R"({"personalId":"999"})",
       "ndxp.residents.v1.ResidentRegistry.RecordDeath", R"(personal_id: "001099012345")"},
      // An empty body is the empty message; proto names work in the query.
      {"POST", "/v1/echo", "", "", "ndxp.bench.v1.Echo.Echo", ""},
      {"GET", "/v1/enterprises", "max_results=1&max_results=2", "",
       "ndxp.business.v1.BusinessRegistry.SearchEnterprises", R"(max_results: 2)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.http_method, " ", c.path, "?", c.query));
    absl::StatusOr<RestMapping::Request> request =
        mapping_->Match(c.http_method, c.path, c.query, c.body);
    ASSERT_TRUE(request.ok()) << request.status();
    ASSERT_NE(request->method, nullptr);
    EXPECT_EQ(request->method->full_name(), c.method);
    EXPECT_EQ(AsText(*request->method, request->binary), Canonical(*request->method, c.request));
    EXPECT_EQ(request->response_body, nullptr);
  }
}

TEST_F(RestMappingTest, TheDescriptorSetCarriesTheAnnotations) {
  EXPECT_NE(pool_->FindFileByName("google/api/annotations.proto"), nullptr);
  EXPECT_NE(pool_->FindFileByName("google/api/http.proto"), nullptr);
  EXPECT_NE(pool_->FindExtensionByName("google.api.http"), nullptr);
}

TEST_F(RestMappingTest, RulesInMatchingOrder) {
  std::vector<std::string> rules = mapping_->Describe();
  EXPECT_EQ(rules.size(), 24u) << "22 methods, 2 additional bindings";
  EXPECT_THAT(rules, testing::Contains("GET /v1/citizens/{personal_id} "
                                       "ndxp.residents.v1.ResidentRegistry.GetCitizen"));
}

// The secret "001099" stands for a personal ID: no message may quote it.
TEST_F(RestMappingTest, RefusalsNameTheFieldNeverTheValue) {
  struct Case {
    const char* http_method;
    const char* path;
    const char* query;
    const char* body;
    absl::StatusCode code;
    const char* message;
  };
  const Case cases[] = {
      {"GET", "/v1/citizens/001099012345/unknown", "", "", absl::StatusCode::kNotFound,
       "no REST mapping matches this path"},
      {"GET", "/v1/citizens/../citizens/001099", "", "", absl::StatusCode::kNotFound,
       "no REST mapping matches this path"},
      {"GET", "/v1/citizens/%2E%2E/relatives", "", "", absl::StatusCode::kNotFound,
       "no REST mapping matches this path"},
      {"GET", "/v1/citizens/./relatives", "", "", absl::StatusCode::kNotFound,
       "no REST mapping matches this path"},
      {"GET", "/v1/citizens/", "", "", absl::StatusCode::kNotFound,
       "no REST mapping matches this path"},
      {"GET", "//v1/citizens/001099", "", "", absl::StatusCode::kNotFound,
       "no REST mapping matches this path"},
      {"GET", "v1/citizens/001099", "", "", absl::StatusCode::kNotFound,
       "no REST mapping matches this path"},
      {"GET", "/v1/citizens:verify", "", "", absl::StatusCode::kNotFound,
       "this path is mapped for POST, not GET"},
      {"DELETE", "/v1/citizens/001099012345", "", "", absl::StatusCode::kNotFound,
       "this path is mapped for GET, not DELETE"},
      {"G0010990", "/v1/citizens/001099012345", "", "", absl::StatusCode::kNotFound,
       "this path is mapped for GET, not this method"},
      {"GET", "/v1/citizens/001099012345", "unknownField=001099", "",
       absl::StatusCode::kInvalidArgument, "query parameter unknownField: no such field"},
      {"GET", "/v1/citizens/001099012345", "0010990=1", "", absl::StatusCode::kInvalidArgument,
       "query parameter (not a field name): no such field"},
      {"GET", "/v1/citizens/001099012345", "personalId=001099", "",
       absl::StatusCode::kInvalidArgument, "personal_id: already in the path"},
      {"GET", "/v1/communes/00001/map-sheets/x001099/parcels/1", "", "",
       absl::StatusCode::kInvalidArgument, "parcel.number.map_sheet: not a 32-bit integer"},
      {"POST", "/v1/citizens:verify", "", R"({"personalId": 1001099})",
       absl::StatusCode::kInvalidArgument, "personal_id: invalid value for type TYPE_STRING"},
      {"POST", "/v1/citizens:verify", "", R"({"personalId": 001099})",
       absl::StatusCode::kInvalidArgument,
       "malformed JSON at byte 15: Octal/hex numbers are not valid JSON values."},
      {"POST", "/v1/citizens:verify", "", R"({"personalId": "001099" "x"})",
       absl::StatusCode::kInvalidArgument,
       "malformed JSON at byte 24: Expected , or } after key:value pair."},
      {"POST", "/v1/citizens:verify", "fullName=001099", "{}", absl::StatusCode::kInvalidArgument,
       "this mapping takes every field in the body: no query parameters"},
      {"GET", "/v1/citizens/001099012345", "", "{}", absl::StatusCode::kInvalidArgument,
       "this mapping takes no body: send fields in the query"},
      {"GET", "/v1/citizens/%FF001099", "", "", absl::StatusCode::kInvalidArgument,
       "personal_id: not UTF-8"},
      {"GET", "/v1/enterprises", "maxResults=001099x", "", absl::StatusCode::kInvalidArgument,
       "max_results: not a 32-bit integer"},
      {"GET", "/v1/inbox", "follow=001099", "", absl::StatusCode::kInvalidArgument,
       "follow: not true or false"},
      {"GET", "/v1/insured-persons/0110990123", "personalId=001099", "",
       absl::StatusCode::kInvalidArgument,
       "personal_id: oneof key already has social_insurance_code set"},
      {"GET", "/v1/citizens/001099012345", "readMask.paths.x=001099", "",
       absl::StatusCode::kInvalidArgument,
       "query parameter read_mask.paths: not a message, cannot name a field inside"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.http_method, " ", c.path, "?", c.query));
    absl::StatusOr<RestMapping::Request> request =
        mapping_->Match(c.http_method, c.path, c.query, c.body);
    EXPECT_EQ(request.status().code(), c.code);
    EXPECT_EQ(std::string(request.status().message()), c.message);
    EXPECT_THAT(std::string(request.status().message()), Not(HasSubstr("001099")));
  }
}

// The option as a pool built from a descriptor set keeps it when the
// process does not know the extension: an unknown field of MethodOptions.
TEST(HttpRuleOfTest, ReadsTheOptionFromUnknownFields) {
  google::api::HttpRule rule;
  rule.set_get("/v1/things/{id}");
  rule.add_additional_bindings()->set_post("/v1/things");
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        name: "t.proto"
        package: "t"
        syntax: "proto3"
        message_type {
          name: "M"
          field { name: "id" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL }
        }
        service {
          name: "S"
          method { name: "Get" input_type: ".t.M" output_type: ".t.M" }
          method { name: "Plain" input_type: ".t.M" output_type: ".t.M" }
        }
      )pb",
      &file));
  file.mutable_service(0)
      ->mutable_method(0)
      ->mutable_options()
      ->mutable_unknown_fields()
      ->AddLengthDelimited(72295728, rule.SerializeAsString());
  google::protobuf::DescriptorPool pool;
  const google::protobuf::FileDescriptor* built = pool.BuildFile(file);
  ASSERT_NE(built, nullptr);
  std::unique_ptr<google::api::HttpRule> read = HttpRuleOf(*built->service(0)->method(0));
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->get(), "/v1/things/{id}");
  ASSERT_EQ(read->additional_bindings_size(), 1);
  EXPECT_EQ(read->additional_bindings(0).post(), "/v1/things");
  EXPECT_EQ(HttpRuleOf(*built->service(0)->method(1)), nullptr);
}

TEST(RestMappingCompileTest, RefusesWhatIsOutsideTheSubset) {
  struct Case {
    const char* rule;  // HttpRule text format
    const char* says;
  };
  const Case cases[] = {
      {R"(get: "/v1/things/{id=**}")", "** (multi-segment)"},
      {R"(get: "/v1/**")", "**"},
      {R"(get: "/v1/things/{id=a/*}")", "variable spanning segments"},
      {R"(get: "/v1/things/x{id}")", "inside a literal"},
      {R"(get: "/v1/things/{nope}")", "nope: no such field"},
      {R"(get: "v1/things")", "is not /segments"},
      {R"(get: "/v1//things")", "empty path segment"},
      {R"(post: "/v1/things" body: "id")", "not a singular message field"},
      {R"(get: "/v1/things" response_body: "nope")", "response_body nope"},
      {R"(body: "*")", "without a pattern"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.rule);
    google::api::HttpRule rule;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(c.rule, &rule));
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"pb(
          name: "t.proto"
          package: "t"
          syntax: "proto3"
          message_type {
            name: "M"
            field { name: "id" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL }
          }
          service {
            name: "S"
            method { name: "Get" input_type: ".t.M" output_type: ".t.M" }
          }
        )pb",
        &file));
    file.mutable_service(0)
        ->mutable_method(0)
        ->mutable_options()
        ->mutable_unknown_fields()
        ->AddLengthDelimited(72295728, rule.SerializeAsString());
    google::protobuf::DescriptorPool pool;
    const google::protobuf::FileDescriptor* built = pool.BuildFile(file);
    ASSERT_NE(built, nullptr);
    JsonTranscoder transcoder(&pool);
    std::vector<const google::protobuf::ServiceDescriptor*> services = {built->service(0)};
    absl::StatusOr<std::unique_ptr<RestMapping>> mapping =
        RestMapping::Compile(services, &transcoder);
    EXPECT_EQ(mapping.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(mapping.status().message()), HasSubstr("t.S.Get: google.api.http: "));
    EXPECT_THAT(std::string(mapping.status().message()), HasSubstr(c.says));
  }
}

}  // namespace
}  // namespace ndxp::gateway::json
