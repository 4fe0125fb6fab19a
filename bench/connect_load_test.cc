#include "bench/connect_load.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace ndxp::bench {
namespace {

TEST(EchoConnectCallTest, TheBodyIsTheJsonMappingOfThePayload) {
  ConnectCall call = EchoConnectCall(3, 2000);
  EXPECT_EQ(call.expected_payload, absl::Base64Escape("xxx"));
  EXPECT_EQ(call.body, "{\"payload\":\"eHh4\"}");
  EXPECT_EQ(call.path, "/ndxp.bench.v1.Echo/Echo");
  EXPECT_EQ(call.timeout_ms, 2000);
}

TEST(EchoGrpcCallTest, TheBodyIsOneLengthPrefixedMessageAndTheAnswerTheSame) {
  ConnectCall call = EchoGrpcCall(std::string("\x0a\x03xxx", 5), 2000);
  EXPECT_TRUE(call.grpc);
  EXPECT_EQ(call.body, std::string("\0\0\0\0\x05\x0a\x03xxx", 10));
  EXPECT_EQ(call.expected_answer, call.body);
}

TEST(GrpcCodeNameTest, NamesEveryCode) {
  EXPECT_EQ(GrpcCodeName(0), "OK");
  EXPECT_EQ(GrpcCodeName(7), "PERMISSION_DENIED");
  EXPECT_EQ(GrpcCodeName(16), "UNAUTHENTICATED");
  EXPECT_EQ(GrpcCodeName(17), "GRPC_17");
  EXPECT_EQ(GrpcCodeName(-1), "GRPC_-1");
}

TEST(AnswerCodeTest, ClassifiesAnswers) {
  struct Case {
    int status;
    std::string body, expected, code;
  } cases[] = {
      {200, "{\"payload\":\"eHh4\"}", "eHh4", "OK"},
      {200, " {\n  \"payload\" : \"eHh4\"\n}", "eHh4", "OK"},
      {200, "{\"payload\":\"eHh5\"}", "eHh4", "BAD_ANSWER"},  // another payload
      {200, "{\"payload\":\"eHh4", "eHh4", "BAD_ANSWER"},     // cut short
      {200, "{}", "eHh4", "BAD_ANSWER"},
      {200, "", "eHh4", "BAD_ANSWER"},
      {200, "[\"payload\",\"eHh4\"]", "eHh4", "BAD_ANSWER"},  // not an object
      {200, "{\"anything\":1}", "", "OK"},                    // --request-file: any object
      {200, "not json", "", "BAD_ANSWER"},
      {403, "{\"code\":\"permission_denied\",\"message\":\"no grant\"}", "eHh4",
       "PERMISSION_DENIED"},
      {503, "{\"code\": \"unavailable\"}", "eHh4", "UNAVAILABLE"},
      {502, "<html>bad gateway</html>", "eHh4", "HTTP_502"},
      {415, "", "eHh4", "HTTP_415"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << c.status << " " << c.body);
    EXPECT_EQ(AnswerCode(c.status, c.body, c.expected), c.code);
  }
}

}  // namespace
}  // namespace ndxp::bench
