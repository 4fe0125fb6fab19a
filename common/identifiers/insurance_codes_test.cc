#include "common/identifiers/insurance_codes.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace ndxp::identifiers {
namespace {

struct BadCase {
  std::string code;
  std::string message;
};

TEST(ParticipantCategoryTest, TableIsSortedUniqueTwoCapitalLetters) {
  absl::Span<const ParticipantCategory> all = AllParticipantCategories();
  ASSERT_FALSE(all.empty());
  for (size_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE(std::string(all[i].code));
    ASSERT_EQ(all[i].code.size(), 2u);
    EXPECT_TRUE(all[i].code[0] >= 'A' && all[i].code[0] <= 'Z');
    EXPECT_TRUE(all[i].code[1] >= 'A' && all[i].code[1] <= 'Z');
    EXPECT_FALSE(all[i].description.empty());
    if (i > 0) {
      EXPECT_LT(all[i - 1].code, all[i].code);
    }
    EXPECT_EQ(FindParticipantCategory(all[i].code), &all[i]);
  }
  for (const char* known : {"TE", "DN", "HT", "HS", "GD"}) {
    SCOPED_TRACE(known);
    EXPECT_NE(FindParticipantCategory(known), nullptr);
  }
  for (const char* unknown : {"", "T", "te", "ZZ", "TEE"}) {
    SCOPED_TRACE(unknown);
    EXPECT_EQ(FindParticipantCategory(unknown), nullptr);
  }
}

TEST(ProvinceTwoDigitTest, EveryProvinceHasAUniqueTwoDigitForm) {
  std::set<std::string> seen;
  for (const Province& p : AllProvinces()) {
    SCOPED_TRACE(std::string(p.code));
    absl::string_view two = TwoDigitProvinceCode(p.code);
    ASSERT_EQ(two.size(), 2u);
    EXPECT_TRUE(seen.insert(std::string(two)).second);
    EXPECT_EQ(FindProvinceByTwoDigitCode(two), &p);
  }
  for (const char* bad : {"", "1", "03", "00", "97", "7x", "079"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(FindProvinceByTwoDigitCode(bad), nullptr);
  }
}

TEST(SocialInsuranceCodeTest, ParsesWellFormedCodes) {
  absl::StatusOr<SocialInsuranceCodeParts> parts = ParseSocialInsuranceCode("7900001234");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->province->code, "079");
  EXPECT_EQ(parts->serial, 1234);
  for (const char* code : {"0100000000", "0199999999", "9612345678", "4512345678"}) {
    SCOPED_TRACE(code);
    EXPECT_TRUE(ValidateSocialInsuranceCode(code).ok());
  }
}

TEST(SocialInsuranceCodeTest, RejectsEveryBadShapeNamingFieldAndReason) {
  const BadCase cases[] = {
      {"", "social_insurance_code: is required (10 digits)"},
      {"790000123", "social_insurance_code: must be exactly 10 digits, got 9"},
      {"79000012345", "social_insurance_code: must be exactly 10 digits, got 11"},
      {"79000x1234", "social_insurance_code: must contain only digits, found 'x' at position 6"},
      {" 790001234", "social_insurance_code: must contain only digits, found ' ' at position 1"},
      {"790001234-", "social_insurance_code: must contain only digits, found '-' at position 10"},
      {"0300001234",
       "social_insurance_code: \"0300001234\" starts with 03, which is not the 2-digit code of "
       "a province"},
      {"0000001234",
       "social_insurance_code: \"0000001234\" starts with 00, which is not the 2-digit code of "
       "a province"},
      {"9900001234",
       "social_insurance_code: \"9900001234\" starts with 99, which is not the 2-digit code of "
       "a province"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.code);
    absl::Status status = ValidateSocialInsuranceCode(c.code);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), c.message);
  }
  EXPECT_EQ(ValidateSocialInsuranceCode("12", "codes[3]").message(),
            "codes[3]: must be exactly 10 digits, got 2");
}

TEST(SocialInsuranceCodeTest, MakesCodesAndNamesBadArguments) {
  EXPECT_EQ(*MakeSocialInsuranceCode("079", 1234), "7900001234");
  EXPECT_EQ(*MakeSocialInsuranceCode("001", 99999999), "0199999999");
  EXPECT_EQ(*MakeSocialInsuranceCode("096", 0), "9600000000");
  const struct {
    std::string province;
    int serial;
    std::string message;
  } cases[] = {
      {"003", 1, "province_code: unknown province code \"003\""},
      {"79", 1, "province_code: unknown province code \"79\""},
      {"079", -1, "serial: -1 is not in 0-99999999"},
      {"079", 100000000, "serial: 100000000 is not in 0-99999999"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    absl::StatusOr<std::string> code = MakeSocialInsuranceCode(c.province, c.serial);
    EXPECT_EQ(code.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(code.status().message(), c.message);
  }
}

TEST(HealthInsuranceCardCodeTest, ParsesWellFormedCodes) {
  absl::StatusOr<HealthInsuranceCardParts> parts =
      ParseHealthInsuranceCardCode("TE1790123456789");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->category->code, "TE");
  EXPECT_EQ(parts->benefit_level, 1);
  EXPECT_EQ(parts->issuing_province->code, "079");
  EXPECT_EQ(parts->social_insurance_code, "0123456789");
  for (const char* code : {"DN4010100000001", "HT2967900001234", "GD5450100000000"}) {
    SCOPED_TRACE(code);
    EXPECT_TRUE(ValidateHealthInsuranceCardCode(code).ok());
  }
}

TEST(HealthInsuranceCardCodeTest, RejectsEveryBadShapeNamingFieldAndReason) {
  const BadCase cases[] = {
      {"", "card_code: is required (15 characters)"},
      {"TE179012345678", "card_code: must be exactly 15 characters, got 14"},
      {"TE17901234567890", "card_code: must be exactly 15 characters, got 16"},
      {"ZZ1790123456789",
       "card_code: participant category \"ZZ\" (characters 1-2) is not a known category"},
      {"te1790123456789",
       "card_code: participant category \"te\" (characters 1-2) is not a known category"},
      {"TE0790123456789", "card_code: benefit level '0' (character 3) is not 1-5"},
      {"TE6790123456789", "card_code: benefit level '6' (character 3) is not 1-5"},
      {"TEx790123456789", "card_code: benefit level 'x' (character 3) is not 1-5"},
      {"TE1030123456789",
       "card_code: issuing province \"03\" (characters 4-5) is not the 2-digit code of a "
       "province"},
      {"TE17a0123456789",
       "card_code: issuing province \"7a\" (characters 4-5) is not the 2-digit code of a "
       "province"},
      {"TE17901234x6789",
       "card_code: social insurance code (characters 6-15) must be digits, found 'x' at "
       "position 11"},
      {"TE1790312345678",
       "card_code: social insurance code 0312345678 (characters 6-15) starts with 03, which is "
       "not the 2-digit code of a province"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.code);
    absl::Status status = ValidateHealthInsuranceCardCode(c.code);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), c.message);
  }
}

TEST(HealthInsuranceCardCodeTest, MakesCodesAndNamesBadArguments) {
  absl::StatusOr<std::string> code = MakeHealthInsuranceCardCode("TE", 1, "079", "0123456789");
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, "TE1790123456789");
  EXPECT_TRUE(ValidateHealthInsuranceCardCode(*code).ok());
  const struct {
    std::string category;
    int level;
    std::string province;
    std::string social;
    std::string message;
  } cases[] = {
      {"XX", 1, "079", "0123456789", "category: \"XX\" is not a known participant category"},
      {"TE", 0, "079", "0123456789", "benefit_level: 0 is not 1-5"},
      {"TE", 6, "079", "0123456789", "benefit_level: 6 is not 1-5"},
      {"TE", 1, "079x", "0123456789", "issuing_province_code: unknown province code \"079x\""},
      {"TE", 1, "079", "012345678",
       "social_insurance_code: must be exactly 10 digits, got 9"},
      {"TE", 1, "079", "0323456789",
       "social_insurance_code: \"0323456789\" starts with 03, which is not the 2-digit code of "
       "a province"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    absl::StatusOr<std::string> made =
        MakeHealthInsuranceCardCode(c.category, c.level, c.province, c.social);
    EXPECT_EQ(made.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(made.status().message(), c.message);
  }
}

}  // namespace
}  // namespace ndxp::identifiers
