#include "gateway/admission/header_rules.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ndxp::gateway {
namespace {

using ::testing::HasSubstr;

struct HeaderCase {
  std::string name;
  std::string value;
  bool valid;
  const char* why;
};

TEST(HeaderRulesTest, NamesAndValues) {
  const HeaderCase cases[] = {
      {"x-custom", "plain text value", true, "ordinary metadata"},
      {"x-trace_id.v2", "abc", true, "digits, '-', '_' and '.' in names"},
      {":path", "/a.B/C", true, "pseudo-headers"},
      {"x-blob-bin", "AAECAwQ=", true, "-bin values are base64"},
      {"x-blob-bin", "AAECAwQ", true, "padding is optional"},
      {"x-blob-bin", "!!!", false, "a -bin value that is not base64"},
      {"x-blob-bin", "AA==AA", false, "padding inside a -bin value"},
      {"x-blob-bin", std::string("\x00\xff", 2), false, "raw bytes in a -bin value"},
      {"x-empty", "", true, "empty value"},
      {"X-Custom", "v", false, "upper-case name"},
      {"X-NDXP-PURPOSE", "v", false, "upper-case federation header"},
      {"x custom", "v", false, "space in name"},
      {"x-custom\r\nx-injected", "v", false, "CR LF in name"},
      {"x-tab\t", "v", false, "control byte in name"},
      {"", "v", false, "empty name"},
      {":", "v", false, "empty pseudo-header name"},
      {"x-caf\xc3\xa9", "v", false, "UTF-8 in name"},
      {"x-custom", "a\x01z", false, "control byte in value"},
      {"x-custom", "line\r\nx-injected: 1", false, "CR LF in value"},
      {"x-custom", "tab\tinside", false, "tab in value"},
      {"x-custom", "\x7f", false, "DEL in value"},
      {"x-ndxp-purpose", "Ki\xe1\xbb\x83m tra", false, "raw UTF-8 purpose"},
      {"x-custom", "\xff", false, "non-ASCII byte"},
  };
  for (const HeaderCase& c : cases) {
    SCOPED_TRACE(c.why);
    absl::Status status = CheckHeader(c.name, c.value);
    EXPECT_EQ(status.ok(), c.valid) << status;
    if (!c.valid) {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(status.message(), HasSubstr("request header"));
    }
  }
}

TEST(HeaderRulesTest, RefusalNamesTheHeaderWithItsBytesEscaped) {
  absl::Status status = CheckHeader("x-custom", "a\x01z");
  EXPECT_THAT(status.message(), HasSubstr("x-custom"));
  EXPECT_THAT(status.message(), HasSubstr("0x01"));
  status = CheckHeader("Bad\r\nName", "v");
  EXPECT_THAT(status.message(), HasSubstr("Bad\\x0d\\x0aName"));
  EXPECT_EQ(std::string(status.message()).find('\r'), std::string::npos);
}

TEST(HeaderRulesTest, RequestIds) {
  EXPECT_TRUE(IsValidRequestId("a"));
  EXPECT_TRUE(IsValidRequestId("birth-2024:0001.A_b"));
  EXPECT_TRUE(IsValidRequestId(std::string(128, 'x')));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId(std::string(129, 'x')));
  EXPECT_FALSE(IsValidRequestId("with space"));
  EXPECT_FALSE(IsValidRequestId("slash/inside"));
  EXPECT_FALSE(IsValidRequestId("m\xc3\xa3"));
}

}  // namespace
}  // namespace ndxp::gateway
