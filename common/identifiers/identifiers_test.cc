#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "common/identifiers/agency_code.h"
#include "common/identifiers/civil_date.h"
#include "common/identifiers/personal_id.h"
#include "common/identifiers/province.h"
#include "gtest/gtest.h"

namespace ndxp::identifiers {
namespace {

// ---------------------------------------------------------------- agency codes

TEST(AgencyCodeTest, AcceptsWellFormedCodes) {
  for (const char* code : {"000.00.00.G12", "000.00.18.H49", "H49", "A", "0.0",
                           "12345678901234567890123456789012345"}) {
    SCOPED_TRACE(code);
    EXPECT_TRUE(IsValidAgencyCode(code));
    EXPECT_TRUE(ValidateAgencyCode(code).ok());
  }
}

TEST(AgencyCodeTest, RejectsMalformedCodesNamingTheField) {
  struct Case {
    std::string code;
    std::string reason;
  };
  const Case cases[] = {
      {"", "is empty"},
      {"000..00.G12", "empty group"},
      {".000", "empty group"},
      {"000.", "empty group"},
      {"000.00.00.g12", "only digits, upper-case letters"},
      {"000-00", "only digits, upper-case letters"},
      {"000 00", "only digits, upper-case letters"},
      {std::string(36, 'A'), "longer than 35"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    EXPECT_FALSE(IsValidAgencyCode(c.code));
    absl::Status status = ValidateAgencyCode(c.code, "consumer.agency");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(status.message(), "consumer.agency: ")) << status;
    EXPECT_TRUE(absl::StrContains(status.message(), c.reason)) << status;
  }
}

// ------------------------------------------------------------------- provinces

TEST(ProvinceTest, TableHasSixtyThreeSortedUniqueThreeDigitCodes) {
  absl::Span<const Province> all = AllProvinces();
  ASSERT_EQ(all.size(), kProvinceCount);
  std::set<std::string> names;
  for (size_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE(all[i].code);
    ASSERT_EQ(all[i].code.size(), 3u);
    for (char c : all[i].code) EXPECT_TRUE(c >= '0' && c <= '9');
    if (i > 0) {
      EXPECT_LT(all[i - 1].code, all[i].code);
    }
    EXPECT_FALSE(all[i].name.empty());
    EXPECT_TRUE(names.insert(std::string(all[i].name)).second) << "duplicate name";
    EXPECT_EQ(FindProvince(all[i].code), &all[i]);
  }
}

TEST(ProvinceTest, FindsKnownCodes) {
  struct Case {
    const char* code;
    const char* name;
  };
  const Case cases[] = {{"001", "Hà Nội"},        {"002", "Hà Giang"},
                        {"046", "Thừa Thiên Huế"}, {"048", "Đà Nẵng"},
                        {"077", "Bà Rịa - Vũng Tàu"}, {"079", "Hồ Chí Minh"},
                        {"092", "Cần Thơ"},       {"096", "Cà Mau"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    const Province* p = FindProvince(c.code);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->name, c.name);
  }
}

TEST(ProvinceTest, UnknownCodesAreNull) {
  for (const char* code : {"", "0", "01", "000", "003", "005", "097", "099", "999",
                           "0010", "1", "abc", " 01"}) {
    SCOPED_TRACE(code);
    EXPECT_EQ(FindProvince(code), nullptr);
  }
}

// ------------------------------------------------------------------ civil date

TEST(CivilDateTest, Validity) {
  struct Case {
    CivilDate date;
    bool valid;
  };
  const Case cases[] = {
      {{1990, 5, 2}, true},    {{2000, 2, 29}, true},  {{2024, 2, 29}, true},
      {{1900, 2, 28}, true},   {{2023, 12, 31}, true}, {{1, 1, 1}, true},
      {{1900, 2, 29}, false},  {{2023, 2, 29}, false}, {{2100, 2, 29}, false},
      {{2023, 4, 31}, false},  {{2023, 13, 1}, false}, {{2023, 0, 1}, false},
      {{2023, 1, 0}, false},   {{2023, 1, 32}, false}, {{0, 1, 1}, false},
      {{10000, 1, 1}, false},  {{-5, 1, 1}, false},    {{0, 0, 0}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.date.ToString());
    EXPECT_EQ(c.date.IsValid(), c.valid);
    absl::Status status = ValidateCivilDate(c.date, "date_of_birth");
    EXPECT_EQ(status.ok(), c.valid);
    if (!c.valid) {
      EXPECT_EQ(status.message(), "date_of_birth: " + c.date.ToString() +
                                      " is not a valid calendar date");
    }
  }
}

TEST(CivilDateTest, FormatsAndOrders) {
  EXPECT_EQ((CivilDate{1990, 5, 2}).ToString(), "1990-05-02");
  EXPECT_EQ((CivilDate{2024, 12, 31}).ToString(), "2024-12-31");
  EXPECT_LT((CivilDate{1990, 5, 2}), (CivilDate{1990, 5, 3}));
  EXPECT_LT((CivilDate{1989, 12, 31}), (CivilDate{1990, 1, 1}));
  EXPECT_EQ((CivilDate{1990, 5, 2}), (CivilDate{1990, 5, 2}));
  EXPECT_NE((CivilDate{1990, 5, 2}), (CivilDate{1990, 2, 5}));
}

// ---------------------------------------------------------------- personal IDs

TEST(PersonalIdTest, ParsesWellFormedNumbers) {
  struct Case {
    const char* id;
    const char* province;
    int birth_year;
    Sex sex;
    int serial;
  };
  const Case cases[] = {
      {"001085123456", "Hà Nội", 1985, Sex::kMale, 123456},
      {"001185000000", "Hà Nội", 1985, Sex::kFemale, 0},
      {"079200999999", "Hồ Chí Minh", 2000, Sex::kMale, 999999},
      {"079324000001", "Hồ Chí Minh", 2024, Sex::kFemale, 1},
      {"096400000042", "Cà Mau", 2100, Sex::kMale, 42},
      {"048599123123", "Đà Nẵng", 2199, Sex::kFemale, 123123},
      {"002030555555", "Hà Giang", 1930, Sex::kMale, 555555},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    absl::StatusOr<PersonalIdParts> parts = ParsePersonalId(c.id);
    ASSERT_TRUE(parts.ok()) << parts.status();
    EXPECT_EQ(parts->province->name, c.province);
    EXPECT_EQ(parts->birth_year(), c.birth_year);
    EXPECT_EQ(parts->century, c.birth_year / 100 * 100);
    EXPECT_EQ(parts->two_digit_year, c.birth_year % 100);
    EXPECT_EQ(parts->sex, c.sex);
    EXPECT_EQ(parts->serial, c.serial);
  }
}

TEST(PersonalIdTest, RejectsEveryBadShapeNamingFieldAndReason) {
  struct Case {
    std::string id;
    std::string message;  // exact
  };
  const Case cases[] = {
      {"", "citizen.personal_id: is required (12 digits)"},
      {"00108512345", "citizen.personal_id: must be exactly 12 digits, got 11"},
      {"0010851234567", "citizen.personal_id: must be exactly 12 digits, got 13"},
      {"1", "citizen.personal_id: must be exactly 12 digits, got 1"},
      {"001085 23456",
       "citizen.personal_id: must contain only digits, found ' ' at position 7"},
      {" 01085123456",
       "citizen.personal_id: must contain only digits, found ' ' at position 1"},
      {"00108512345 ",
       "citizen.personal_id: must contain only digits, found ' ' at position 12"},
      {"00108512345a",
       "citizen.personal_id: must contain only digits, found 'a' at position 12"},
      {"001-85123456",
       "citizen.personal_id: must contain only digits, found '-' at position 4"},
      {"0010851234\n6",
       "citizen.personal_id: must contain only digits, found '\\n' at position 11"},
      {std::string("00108512\0" "456", 12),
       "citizen.personal_id: must contain only digits, found '\\x00' at position 9"},
      {"0010851234５",  // a full-width digit is 3 bytes: too long
       "citizen.personal_id: must be exactly 12 digits, got 13"},
      {"000085123456",
       "citizen.personal_id: \"000085123456\" has unknown province code 000"},
      {"003085123456",
       "citizen.personal_id: \"003085123456\" has unknown province code 003"},
      {"097085123456",
       "citizen.personal_id: \"097085123456\" has unknown province code 097"},
      {"999085123456",
       "citizen.personal_id: \"999085123456\" has unknown province code 999"},
      {"001685123456", "citizen.personal_id: century/sex digit 6 is not 0-5"},
      {"001785123456", "citizen.personal_id: century/sex digit 7 is not 0-5"},
      {"001885123456", "citizen.personal_id: century/sex digit 8 is not 0-5"},
      {"001985123456", "citizen.personal_id: century/sex digit 9 is not 0-5"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    absl::StatusOr<PersonalIdParts> parts = ParsePersonalId(c.id, "citizen.personal_id");
    ASSERT_FALSE(parts.ok());
    EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(parts.status().message(), c.message);
    absl::Status status = ValidatePersonalId(c.id, nullptr, nullptr, "citizen.personal_id");
    EXPECT_EQ(status, parts.status());
  }
}

TEST(PersonalIdTest, DefaultFieldNameIsPersonalId) {
  EXPECT_EQ(ParsePersonalId("00108512345").status().message(),
            "personal_id: must be exactly 12 digits, got 11");
  EXPECT_EQ(ValidatePersonalId("00108512345", nullptr, nullptr).message(),
            "personal_id: must be exactly 12 digits, got 11");
}

TEST(PersonalIdTest, ValidatesAgainstDateOfBirthAndSex) {
  struct Case {
    std::string id;
    CivilDate date;
    bool has_date;
    Sex sex;
    bool has_sex;
    std::string message;  // empty: OK
  };
  const Case cases[] = {
      // Agreeing.
      {"001090123456", {1990, 5, 2}, true, Sex::kMale, true, ""},
      {"001190123456", {1990, 5, 2}, true, Sex::kFemale, true, ""},
      {"079200000001", {2000, 2, 29}, true, Sex::kMale, true, ""},
      {"079324000001", {2024, 12, 31}, true, Sex::kFemale, true, ""},
      {"096400000001", {2100, 1, 1}, true, Sex::kMale, true, ""},
      {"096599000001", {2199, 12, 31}, true, Sex::kFemale, true, ""},
      {"001000000000", {1900, 1, 1}, true, Sex::kMale, true, ""},
      {"001090123456", {}, false, Sex::kMale, true, ""},
      {"001090123456", {1990, 1, 1}, true, Sex::kMale, false, ""},
      {"001090123456", {}, false, Sex::kMale, false, ""},
      // Year digits disagree.
      {"001085123456", {1990, 5, 2}, true, Sex::kMale, true,
       "personal_id: birth year digits 85 disagree with date_of_birth 1990-05-02"},
      {"001091123456", {1990, 12, 31}, true, Sex::kMale, false,
       "personal_id: birth year digits 91 disagree with date_of_birth 1990-12-31"},
      // Century disagrees.
      {"001290123456", {1990, 5, 2}, true, Sex::kMale, true,
       "personal_id: century/sex digit 2 means born 2000-2099, but date_of_birth "
       "is 1990-05-02"},
      {"001005123456", {2005, 5, 2}, true, Sex::kMale, true,
       "personal_id: century/sex digit 0 means born 1900-1999, but date_of_birth "
       "is 2005-05-02"},
      {"001405123456", {2005, 5, 2}, true, Sex::kMale, true,
       "personal_id: century/sex digit 4 means born 2100-2199, but date_of_birth "
       "is 2005-05-02"},
      {"001085123456", {1885, 5, 2}, true, Sex::kMale, true,
       "personal_id: century/sex digit 0 means born 1900-1999, but date_of_birth "
       "is 1885-05-02"},
      {"001385123456", {2285, 5, 2}, true, Sex::kFemale, true,
       "personal_id: century/sex digit 3 means born 2000-2099, but date_of_birth "
       "is 2285-05-02"},
      // Sex disagrees.
      {"001090123456", {1990, 5, 2}, true, Sex::kFemale, true,
       "personal_id: century/sex digit 0 means male, but sex is female"},
      {"001390123456", {}, false, Sex::kMale, true,
       "personal_id: century/sex digit 3 means female, but sex is male"},
      // Invalid calendar dates.
      {"001090123456", {1990, 2, 29}, true, Sex::kMale, true,
       "personal_id: cannot be checked against date_of_birth 1990-02-29, which is "
       "not a valid calendar date"},
      {"001090123456", {1990, 13, 1}, true, Sex::kMale, true,
       "personal_id: cannot be checked against date_of_birth 1990-13-01, which is "
       "not a valid calendar date"},
      {"001090123456", {1990, 4, 31}, true, Sex::kMale, true,
       "personal_id: cannot be checked against date_of_birth 1990-04-31, which is "
       "not a valid calendar date"},
      {"001000123456", {1900, 2, 29}, true, Sex::kMale, true,
       "personal_id: cannot be checked against date_of_birth 1900-02-29, which is "
       "not a valid calendar date"},
      {"001090123456", {0, 0, 0}, true, Sex::kMale, true,
       "personal_id: cannot be checked against date_of_birth 0000-00-00, which is "
       "not a valid calendar date"},
      // A malformed number is reported before any comparison.
      {"00109012345", {1990, 5, 2}, true, Sex::kMale, true,
       "personal_id: must be exactly 12 digits, got 11"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id + " " + c.date.ToString());
    absl::Status status = ValidatePersonalId(c.id, c.has_date ? &c.date : nullptr,
                                             c.has_sex ? &c.sex : nullptr);
    if (c.message.empty()) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(status.message(), c.message);
    }
  }
}

TEST(PersonalIdTest, MakeBuildsNumbersThatValidate) {
  struct Case {
    const char* province;
    int year;
    Sex sex;
    int serial;
    const char* id;
  };
  const Case cases[] = {
      {"001", 1990, Sex::kMale, 123456, "001090123456"},
      {"001", 1990, Sex::kFemale, 7, "001190000007"},
      {"079", 2000, Sex::kMale, 0, "079200000000"},
      {"079", 2024, Sex::kFemale, 999999, "079324999999"},
      {"096", 2100, Sex::kMale, 1, "096400000001"},
      {"096", 2199, Sex::kFemale, 1, "096599000001"},
      {"002", 1900, Sex::kMale, 1, "002000000001"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    absl::StatusOr<std::string> id = MakePersonalId(c.province, c.year, c.sex, c.serial);
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(*id, c.id);
    CivilDate date{c.year, 6, 15};
    EXPECT_TRUE(ValidatePersonalId(*id, &date, &c.sex).ok());
  }
}

TEST(PersonalIdTest, MakeRejectsBadArgumentsNamingThem) {
  struct Case {
    const char* province;
    int year;
    int serial;
    const char* message;
  };
  const Case cases[] = {
      {"003", 1990, 1, "province_code: unknown province code \"003\""},
      {"", 1990, 1, "province_code: unknown province code \"\""},
      {"1", 1990, 1, "province_code: unknown province code \"1\""},
      {"001", 1899, 1,
       "birth_year: 1899 is outside 1900-2199, the years a personal ID number can "
       "encode"},
      {"001", 2200, 1,
       "birth_year: 2200 is outside 1900-2199, the years a personal ID number can "
       "encode"},
      {"001", 1990, -1, "serial: -1 is not in 0-999999"},
      {"001", 1990, 1000000, "serial: 1000000 is not in 0-999999"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    absl::StatusOr<std::string> id = MakePersonalId(c.province, c.year, Sex::kMale, c.serial);
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(id.status().message(), c.message);
  }
}

TEST(PersonalIdTest, EveryProvinceRoundTrips) {
  for (const Province& p : AllProvinces()) {
    SCOPED_TRACE(p.code);
    absl::StatusOr<std::string> id = MakePersonalId(p.code, 1975, Sex::kFemale, 314159);
    ASSERT_TRUE(id.ok()) << id.status();
    absl::StatusOr<PersonalIdParts> parts = ParsePersonalId(*id);
    ASSERT_TRUE(parts.ok()) << parts.status();
    EXPECT_EQ(parts->province, &p);
    EXPECT_EQ(parts->birth_year(), 1975);
    EXPECT_EQ(parts->sex, Sex::kFemale);
    EXPECT_EQ(parts->serial, 314159);
  }
}

}  // namespace
}  // namespace ndxp::identifiers
