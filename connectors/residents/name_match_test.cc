#include "connectors/residents/name_match.h"

#include <string>

#include "gtest/gtest.h"

namespace ndxp::residents {
namespace {

TEST(NormalizeNameTest, Cases) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"Nguyễn Văn An", "nguyễn văn an"},
      {"NGUYỄN VĂN AN", "nguyễn văn an"},
      {"  Trần   Thị\tHương ", "trần thị hương"},
      {"ĐẶNG ĐỨC THẮNG", "đặng đức thắng"},
      {"HỒ THỊ ÁNH NGUYỆT", "hồ thị ánh nguyệt"},
      {"LÝ ƯU ƠN", "lý ưu ơn"},
      {"HUỲNH NGỌC Ý", "huỳnh ngọc ý"},
      {"ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ",
       "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"},
      {"ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝĂĐĨŨƠƯ", "àáâãèéêìíòóôõùúýăđĩũơư"},
      {"", ""},
      {"   ", ""},
      {"a\xC2\xA0" "b", "a b"},          // no-break space
      {"A\xFF" "B", "a\xFF" "b"},          // invalid UTF-8 kept
      {"A\xE1\xBA" , "a\xE1\xBA"},         // truncated sequence kept
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(NormalizeName(c.in), c.out);
  }
}

TEST(NamesMatchTest, Cases) {
  struct Case {
    std::string a, b;
    bool match;
  };
  const Case cases[] = {
      {"Nguyễn Văn An", "nguyễn  văn  AN", true},
      {"Nguyễn Văn An", "Nguyen Van An", false},  // diacritics matter
      {"Nguyễn Văn An", "Nguyễn Văn Anh", false},
      {"Nguyễn Văn An", "NguyễnVăn An", false},
      {"", "", false},
      {" ", "", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.a + " / " + c.b);
    EXPECT_EQ(NamesMatch(c.a, c.b), c.match);
  }
}

}  // namespace
}  // namespace ndxp::residents
