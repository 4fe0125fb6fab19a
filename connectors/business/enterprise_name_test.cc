#include "connectors/business/enterprise_name.h"

#include "gtest/gtest.h"

namespace ndxp::business {
namespace {

TEST(FoldToAsciiTest, RemovesDiacriticsCaseAndPunctuation) {
  struct Case {
    const char* text;
    const char* folded;
  };
  const Case cases[] = {
      {"", ""},
      {"Công ty TNHH Thương mại Đức Phát", "cong ty tnhh thuong mai duc phat"},
      {"ĐẠI VIỆT", "dai viet"},
      {"Ưng Ơn Ắt Ữ Ỹ Ĩ Ũ", "ung on at u y i u"},
      {"  Hòa--Bình, (JSC)  ", "hoa binh jsc"},
      {"Ánh Dương & Co.", "anh duong co"},
      // Decomposed input: "Hoa" + U+0300 (combining grave) folds the same.
      {"Ho\u0300a Bi\u0300nh", "hoa binh"},
      // Malformed UTF-8 separates words instead of being echoed.
      {"abc\xff" "def", "abc def"},
      {"Nguyễn\xC3", "nguyen"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(FoldToAscii(c.text), c.folded);
  }
}

TEST(SearchKeyTest, DropsLeadingLegalFormWords) {
  struct Case {
    const char* name;
    const char* key;
  };
  const Case cases[] = {
      {"Công ty TNHH Thương mại Minh Phát", "thuong mai minh phat"},
      {"CÔNG TY CỔ PHẦN Hòa Bình", "hoa binh"},
      {"Công ty Trách nhiệm Hữu hạn Một Thành viên An Khang", "an khang"},
      {"Công ty TNHH MTV An Khang", "an khang"},
      {"Doanh nghiệp tư nhân Tân Lộc", "tan loc"},
      {"DNTN Tân Lộc", "tan loc"},
      {"Chi nhánh Công ty cổ phần Hòa Bình tại Hà Nội", "hoa binh tai ha noi"},
      {"Văn phòng đại diện Công ty hợp danh Trí Tín tại Đà Nẵng", "tri tin tai da nang"},
      // Whole words only: "Công nghệ" is not "Công ty".
      {"Công nghệ Việt", "cong nghe viet"},
      {"Công tyx", "cong tyx"},
      {"Công ty TNHH", ""},
      {"cong ty tn", "tn"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(SearchKey(c.name), c.key);
  }
}

}  // namespace
}  // namespace ndxp::business
