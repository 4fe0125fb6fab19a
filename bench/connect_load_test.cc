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
