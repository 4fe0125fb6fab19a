#include "gateway/json/transcoder.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/json/test_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ndxp/bench/v1/echo.pb.h"
#include "ndxp/residents/v1/residents.pb.h"

namespace ndxp::gateway::json {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TranscoderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(pool_, nullptr) << NDXP_DESCRIPTOR_SET; }

  const google::protobuf::MethodDescriptor& Method(absl::string_view path) {
    const google::protobuf::MethodDescriptor* method = transcoder_.FindMethod(path);
    EXPECT_NE(method, nullptr) << path;
    return *method;
  }

  std::unique_ptr<google::protobuf::DescriptorPool> pool_ = LoadTestPool();
  JsonTranscoder transcoder_{pool_.get()};
};

TEST_F(TranscoderTest, FindsMethodsByGrpcPath) {
  const google::protobuf::MethodDescriptor* method =
      transcoder_.FindMethod("/ndxp.residents.v1.ResidentRegistry/GetCitizen");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(method->full_name(), "ndxp.residents.v1.ResidentRegistry.GetCitizen");
  for (const char* path :
       {"ndxp.residents.v1.ResidentRegistry/GetCitizen", "/ndxp.residents.v1.ResidentRegistry",
        "/ndxp.residents.v1.Nope/GetCitizen", "/ndxp.residents.v1.ResidentRegistry/Nope",
        "/ndxp.residents.v1.ResidentRegistry/GetCitizen/", ""}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(transcoder_.FindMethod(path), nullptr);
  }
}

TEST_F(TranscoderTest, RequestJsonToBinary) {
  absl::StatusOr<std::string> binary =
      transcoder_.RequestToBinary(Method("/ndxp.bench.v1.Echo/Echo"), R"({"payload":"aGVsbG8="})");
  ASSERT_TRUE(binary.ok()) << binary.status();
  ndxp::bench::v1::EchoRequest request;
  ASSERT_TRUE(request.ParseFromString(*binary));
  EXPECT_EQ(request.payload(), "hello");
}

TEST_F(TranscoderTest, AcceptsJsonNamesAndProtoNames) {
  const auto& verify = Method("/ndxp.residents.v1.ResidentRegistry/VerifyCitizen");
  for (
      const char* json :
      {R"({"personalId":"001099012345","fullName":"Nguyễn Văn A","dateOfBirth":{"year":1999,"month":1,"day":2},"sex":"SEX_MALE"})",
       R"({"personal_id":"001099012345","full_name":"Nguyễn Văn A","date_of_birth":{"year":1999,"month":1,"day":2},"sex":1})"}) {
    SCOPED_TRACE(json);
    absl::StatusOr<std::string> binary = transcoder_.RequestToBinary(verify, json);
    ASSERT_TRUE(binary.ok()) << binary.status();
    ndxp::residents::v1::VerifyCitizenRequest request;
    ASSERT_TRUE(request.ParseFromString(*binary));
    EXPECT_EQ(request.personal_id(), "001099012345");
    EXPECT_EQ(request.full_name(), "Nguyễn Văn A");
    EXPECT_EQ(request.date_of_birth().year(), 1999);
    EXPECT_EQ(request.sex(), ndxp::residents::v1::SEX_MALE);
  }
}

TEST_F(TranscoderTest, ResponseBinaryToCanonicalJson) {
  ndxp::residents::v1::VerifyCitizenResponse response;
  response.set_personal_id("001099012345");
  response.set_found(true);
  response.set_full_name_match(false);  // a default: left out
  absl::StatusOr<std::string> json = transcoder_.ResponseToJson(
      Method("/ndxp.residents.v1.ResidentRegistry/VerifyCitizen"), response.SerializeAsString());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, R"({"personalId":"001099012345","found":true})");

  ndxp::bench::v1::EchoResponse echo;
  echo.set_payload("hello");
  json = transcoder_.ResponseToJson(Method("/ndxp.bench.v1.Echo/Echo"), echo.SerializeAsString());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, R"({"payload":"aGVsbG8="})");
}

TEST_F(TranscoderTest, UnparsableAnswerIsInternal) {
  // A field cut short, a tag cut short, a string field not UTF-8, field number 0.
  for (const std::string& binary : {std::string("\x0a\x7f"), std::string("\x08\x80"),
                                    std::string("\x0a\x02\xff\xff"), std::string("\x00\x01", 2)}) {
    SCOPED_TRACE(testing::PrintToString(binary));
    absl::StatusOr<std::string> json = transcoder_.ResponseToJson(
        Method("/ndxp.residents.v1.ResidentRegistry/VerifyCitizen"), binary);
    EXPECT_EQ(json.status().code(), absl::StatusCode::kInternal);
    EXPECT_THAT(json.status().message(), HasSubstr("ndxp.residents.v1.VerifyCitizenResponse"));
  }
}

// The secret "001099" stands for a personal ID: no message may quote it.
TEST_F(TranscoderTest, ErrorsNameThePlaceNeverTheValue) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"personalId": "001099012345",, "x": 1})",
       "malformed JSON at byte 30: Expected an object key or }."},
      {R"({"personalId": "001099012345" "fullName": "x"})",
       "malformed JSON at byte 30: Expected , or } after key:value pair."},
      {"{\n\"personalId\":\n\"001099012345\"\n}\n,",
       "malformed JSON at byte 33: Parsing terminated before end of input."},
      {R"({"personalId": "001099012345)",
       "malformed JSON at the end of the input: Closing quote expected in string."},
      {R"({"personalId": nul001099})", "malformed JSON at byte 15: Unexpected token."},
      {R"({"personalId": "001099012345", "fullNamex": "x"})", "fullNamex: Cannot find field."},
      {R"({"001099012345": "x"})", "(not a field name): Cannot find field."},
      {R"({"personalI: 1001099d": 1})", "(not a field name): Cannot find field."},
      {R"({"dateOfBirth": {"yearx": 1}})", "date_of_birth.yearx: Cannot find field."},
      {R"({"dateOfBirth": {"001099": 1}})", "date_of_birth.(not a field name): Cannot find field."},
      {R"({"personalId": 1001099})", "personal_id: invalid value for type TYPE_STRING"},
      {R"({"dateOfBirth": {"year": "x001099"}})",
       "date_of_birth.year: invalid value for type TYPE_INT32"},
      {R"({"sex": "SEX_001099"})", "sex: invalid value for type ndxp.residents.v1.Sex"},
      {R"({"personalId": ["001099"]})",
       "personalId: Proto field is not repeating, cannot start list."},
      {"{\"fullName\": \"001099\xff\"}", "JSON is not UTF-8 at byte 20"},
      {"[\"001099\"]", "Root element must be a message."},
  };
  const auto& verify = Method("/ndxp.residents.v1.ResidentRegistry/VerifyCitizen");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    absl::StatusOr<std::string> binary = transcoder_.RequestToBinary(verify, c.json);
    EXPECT_EQ(binary.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(binary.status().message()), c.message);
    EXPECT_THAT(binary.status().message(), Not(HasSubstr("001099")));
  }
}

TEST_F(TranscoderTest, OneofConflictNamesTheFields) {
  absl::StatusOr<std::string> binary = transcoder_.RequestToBinary(
      Method("/ndxp.insurance.v1.InsuranceRegistry/GetInsuredPerson"),
      R"({"personalId": "001099012345", "socialInsuranceCode": "0110990123"})");
  EXPECT_EQ(binary.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(binary.status().message()),
            "oneof field 'key' is already set. Cannot set 'socialInsuranceCode' (oneof)");
}

TEST(RedactJsonErrorTest, KeepsNamesDropsValuesAndMapKeys) {
  EXPECT_EQ(RedactJsonError(R"((labels["001099"]): invalid value "x" for type TYPE_INT32)", "{}"),
            "(not a field name): invalid value for type TYPE_INT32");
  EXPECT_EQ(RedactJsonError(R"((owners[2].name): invalid value 5 for type TYPE_STRING)", "{}"),
            "owners[2].name: invalid value for type TYPE_STRING");
  // A value that itself reads " for type ": the last one is protobuf's.
  EXPECT_EQ(RedactJsonError(R"((a): invalid value "x for type 001099" for type TYPE_INT32)", "{}"),
            "a: invalid value for type TYPE_INT32");
  EXPECT_EQ(RedactJsonError(
                "(sent_time): invalid value Field 'sentTime', Invalid time format: 001099 for type "
                "type.googleapis.com/google.protobuf.Timestamp",
                "{}"),
            "sent_time: invalid value for type google.protobuf.Timestamp");
}

TEST_F(TranscoderTest, SharedByThreads) {
  const auto& echo = Method("/ndxp.bench.v1.Echo/Echo");
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        absl::StatusOr<std::string> binary =
            transcoder_.RequestToBinary(echo, R"({"payload":"aGk="})");
        if (!binary.ok() || *binary != std::string("\x0a\x02hi", 4)) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace ndxp::gateway::json
