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

TEST(HeaderRulesTest, PurposeIsPercentDecodedUtf8) {
  // "Kiểm tra hồ sơ" as gRPC would percent-encode it.
  const std::string text = "Ki\xe1\xbb\x83m tra h\xe1\xbb\x93 s\xc6\xa1";
  std::string encoded = PercentEncode(text);
  EXPECT_EQ(encoded, "Ki%E1%BB%83m tra h%E1%BB%93 s%C6%A1");
  absl::StatusOr<std::string> decoded = DecodePurpose(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, text);
  EXPECT_EQ(*DecodePurpose("tax assessment"), "tax assessment");
  EXPECT_EQ(*DecodePurpose("100% sure"), "100% sure") << "a lone '%' stays";
  EXPECT_EQ(*DecodePurpose("50%2"), "50%2");
  EXPECT_EQ(*DecodePurpose(PercentEncode("a%b")), "a%b");
}

TEST(HeaderRulesTest, PurposeRefusals) {
  struct Case {
    std::string wire;
    const char* reason;
  };
  std::string long_vietnamese;  // 171 times "ể": 513 bytes
  for (int i = 0; i < 171; ++i) long_vietnamese += "\xe1\xbb\x83";
  const Case cases[] = {
      {"", "blank"},
      {"   ", "blank"},
      {"%20%20", "blank"},
      {"%FF%FE", "not percent-encoded UTF-8"},
      {"%C0%AF", "not percent-encoded UTF-8"},       // overlong '/'
      {"%ED%A0%80", "not percent-encoded UTF-8"},    // a surrogate
      {"%E1%BB", "not percent-encoded UTF-8"},       // truncated sequence
      {std::string(513, 'p'), "513 bytes long"},
      {PercentEncode(long_vietnamese), "513 bytes long"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.wire);
    absl::StatusOr<std::string> decoded = DecodePurpose(c.wire);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(decoded.status().message(), HasSubstr("x-ndxp-purpose"));
    EXPECT_THAT(decoded.status().message(), HasSubstr(c.reason));
  }
  EXPECT_TRUE(DecodePurpose(std::string(512, 'p')).ok()) << "512 bytes is the limit";
}

}  // namespace
}  // namespace ndxp::gateway
