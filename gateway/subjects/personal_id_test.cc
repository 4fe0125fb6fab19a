#include "gateway/subjects/personal_id.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace ndxp::gateway::subjects {
namespace {

TEST(NormalizePersonalIdTest, TwelveDigitsAreKeptWithTheirLeadingZeros) {
  EXPECT_EQ(NormalizePersonalId("001090001234"), "001090001234");
  EXPECT_EQ(NormalizePersonalId("079190000001"), "079190000001");
  EXPECT_EQ(NormalizePersonalId("000000000000"), "000000000000");
}

TEST(NormalizePersonalIdTest, NineDigitOldCardNumbersStayNineDigits) {
  // Not padded: "000" + a CMND could be someone else's CCCD.
  EXPECT_EQ(NormalizePersonalId("012345678"), "012345678");
  EXPECT_NE(NormalizePersonalId("012345678"), NormalizePersonalId("000012345678"));
}

TEST(NormalizePersonalIdTest, AsciiWhitespaceAnywhereIsRemoved) {
  EXPECT_EQ(NormalizePersonalId(" 001 090 001234 "), "001090001234");
  EXPECT_EQ(NormalizePersonalId("001\t090\n001\r234\v\f"), "001090001234");
  EXPECT_EQ(NormalizePersonalId("012 345 678"), "012345678");
}

TEST(NormalizePersonalIdTest, OtherCountsOfDigitsAreInvalid) {
  for (const char* text : {"", "   ", "1", "12345678", "0123456789", "01234567890",
                           "0010900012345", "00109000123400000"}) {
    EXPECT_EQ(NormalizePersonalId(text), std::nullopt) << '"' << text << '"';
  }
}

TEST(NormalizePersonalIdTest, AnythingButDigitsAndWhitespaceIsInvalid) {
  for (const char* text : {"001-090-001234", "001.090.001234", "00109000123a", "+01090001234",
                           "001090/001234",
                           // Non-ASCII: a no-break space, full-width digit one.
                           "001\xc2\xa0" "090001234", "\xef\xbc\x91" "01090001234"}) {
    EXPECT_EQ(NormalizePersonalId(text), std::nullopt) << '"' << text << '"';
  }
  EXPECT_EQ(NormalizePersonalId(std::string("001090001234\0", 13)), std::nullopt);
}

}  // namespace
}  // namespace ndxp::gateway::subjects
