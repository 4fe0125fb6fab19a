#include "common/protocol/base64url.h"

#include <gtest/gtest.h>

namespace ndxp::protocol {
namespace {

TEST(Base64UrlTest, RoundTripsWithoutPadding) {
  const std::string bytes("\xfb\xff\x00 ok?", 7);
  const std::string text = EncodeBase64Url(bytes);
  EXPECT_EQ(text, "-_8AIG9rPw");
  std::string decoded;
  ASSERT_TRUE(DecodeBase64Url(text, &decoded));
  EXPECT_EQ(decoded, bytes);
}

TEST(Base64UrlTest, OtherSpellingsAreRefused) {
  std::string out;
  EXPECT_FALSE(DecodeBase64Url("-_8AIG9rPw==", &out));  // padding
  EXPECT_FALSE(DecodeBase64Url("+/8AIG9rPw", &out));    // the standard alphabet
  EXPECT_FALSE(DecodeBase64Url("-_8A IG9rPw", &out));   // a space
  EXPECT_FALSE(DecodeBase64Url("-_8AI", &out));         // no encoding is 5 characters
}

}  // namespace
}  // namespace ndxp::protocol
