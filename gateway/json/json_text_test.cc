#include "gateway/json/json_text.h"

#include <string>

#include "gtest/gtest.h"

namespace ndxp::gateway::json {
namespace {

TEST(Utf8Test, FindsTheFirstInvalidByte) {
  EXPECT_EQ(FirstInvalidUtf8("plain ascii"), absl::string_view::npos);
  EXPECT_EQ(FirstInvalidUtf8("Nguyễn đ 𝄞"), absl::string_view::npos);
  EXPECT_EQ(FirstInvalidUtf8("ab\xc0\xaf"), 2u);        // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("a\xed\xa0\x80"), 1u);     // a surrogate
  EXPECT_EQ(FirstInvalidUtf8("\xf4\x90\x80\x80"), 0u);  // past U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("ok\xe1\x80"), 2u);        // cut short
  EXPECT_EQ(FirstInvalidUtf8("\x80"), 0u);              // a lone continuation
}

std::string Quoted(absl::string_view text) {
  std::string out;
  AppendJsonString(&out, text);
  return out;
}

TEST(AppendJsonStringTest, EscapesWhatJsonRequires) {
  EXPECT_EQ(Quoted(""), R"("")");
  EXPECT_EQ(Quoted("plain"), R"("plain")");
  EXPECT_EQ(Quoted(R"(say "hi" \ bye)"), R"("say \"hi\" \\ bye")");
  EXPECT_EQ(Quoted("a\nb\tc\rd\be\ff"), R"("a\nb\tc\rd\be\ff")");
  EXPECT_EQ(Quoted(std::string("\0\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(Quoted("/ and \x7f stay"), "\"/ and \x7f stay\"");
  EXPECT_EQ(Quoted("Nguyễn"), "\"Nguyễn\"");
}

TEST(AppendJsonStringTest, ReplacesBrokenUtf8) {
  EXPECT_EQ(Quoted("a\xff"
                   "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");
  EXPECT_EQ(Quoted("\xe1\xbb"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"") << "a cut sequence, byte by byte";
  EXPECT_EQ(Quoted("\xed\xa0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(IsQuotableNameTest, FieldNamesYesAnythingThatMayHoldAnIdNo) {
  for (const char* name : {"personalId", "personal_id", "_x", "line2", "TYPE_INT32", "a1b2c3d4"}) {
    EXPECT_TRUE(IsQuotableName(name)) << name;
  }
  for (const char* name : {"", "001099012345", "id001099012345", "a12345", "has space", "dash-ed",
                           "dot.ted", "Nguyễn", "2fast"}) {
    EXPECT_FALSE(IsQuotableName(name)) << name;
  }
  EXPECT_TRUE(IsQuotableName(std::string(64, 'a')));
  EXPECT_FALSE(IsQuotableName(std::string(65, 'a')));
}

}  // namespace
}  // namespace ndxp::gateway::json
