#include "common/protocol/percent_encoding.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ndxp::protocol {
namespace {

using ::testing::HasSubstr;

TEST(PercentEncodingTest, PurposeIsPercentDecodedUtf8) {
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

TEST(PercentEncodingTest, PercentDecodeTakesAnyBytes) {
  EXPECT_EQ(PercentDecode("Ki%E1%BB%83m%20tra"), "Ki\xe1\xbb\x83m tra");
  EXPECT_EQ(PercentDecode("%ff%00x"), std::string("\xff\0x", 3));
  EXPECT_EQ(PercentDecode(""), "");
  EXPECT_EQ(PercentDecode("100%"), "100%");
  EXPECT_EQ(PercentDecode("%4"), "%4");
  EXPECT_EQ(PercentDecode("%4G%41"), "%4GA");
}

TEST(PercentEncodingTest, PurposeRefusals) {
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
}  // namespace ndxp::protocol
