#include "common/identifiers/enterprise_code.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "gtest/gtest.h"

namespace ndxp::identifiers {
namespace {

TEST(EnterpriseCheckDigitTest, WorkedExample) {
  // 0·31 + 1·29 + 0·23 + 0·19 + 2·17 + 3·13 + 3·7 + 4·5 + 8·3 = 167; 167 mod 11 = 2.
  EXPECT_EQ(EnterpriseCheckDigit("010023348"), 8);
  // 1·29 + 5·3 = 44, divisible by 11: no check digit.
  EXPECT_EQ(EnterpriseCheckDigit("010000005"), -1);
}

TEST(ParseEnterpriseCodeTest, AcceptsBothForms) {
  struct Case {
    const char* code;
    const char* province;
    int sequence;
    const char* enterprise_code;
    int unit;
  };
  const Case cases[] = {
      {"0100233488", "001", 23348, "0100233488", 0},
      {"0100233488-001", "001", 23348, "0100233488", 1},
      {"0100233488-999", "001", 23348, "0100233488", 999},
      {"7900000012", "079", 1, "7900000012", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    absl::StatusOr<EnterpriseCodeParts> parts = ParseEnterpriseCode(c.code);
    ASSERT_TRUE(parts.ok()) << parts.status();
    EXPECT_EQ(parts->province->code, c.province);
    EXPECT_EQ(parts->sequence, c.sequence);
    EXPECT_EQ(parts->enterprise_code, c.enterprise_code);
    EXPECT_EQ(parts->dependent_unit, c.unit);
    EXPECT_EQ(parts->is_dependent_unit(), c.unit != 0);
  }
}

TEST(ParseEnterpriseCodeTest, RejectsEveryBadShape) {
  struct Case {
    std::string code;
    const char* message;
  };
  const Case cases[] = {
      {"", "tax_code: is required (10 digits, or 10 digits-3 digits for a dependent unit)"},
      {"010023348", "tax_code: must be 10 digits or 14 characters (NNNNNNNNNN-NNN), got 9"},
      {"01002334881", "tax_code: must be 10 digits or 14 characters (NNNNNNNNNN-NNN), got 11"},
      {"0100233488-01", "tax_code: must be 10 digits or 14 characters (NNNNNNNNNN-NNN), got 13"},
      {"0100233480", "tax_code: check digit is 0, expected 8"},
      {"0100233487", "tax_code: check digit is 7, expected 8"},
      {"010023348A", "tax_code: must contain only digits, found 'A' at position 10"},
      {" 100233488", "tax_code: must contain only digits, found ' ' at position 1"},
      {std::string("01002\0003488", 10),
       "tax_code: must contain only digits, found '\\x00' at position 6"},
      {"0100233488-0a1", "tax_code: must contain only digits, found 'a' at position 13"},
      {"0100233488/001", "tax_code: a dependent unit's code has '-' at position 11, found '/'"},
      {"01002334881001", "tax_code: a dependent unit's code has '-' at position 11, found '1'"},
      {"0100233488-000", "tax_code: dependent unit number 000 is never assigned"},
      {"0100233480-001", "tax_code: check digit is 0, expected 8"},
      {"0300233488", "tax_code: unknown province code 03"},
      {"9900000012", "tax_code: unknown province code 99"},
      {"0100000000", "tax_code: sequence 0000000 is never assigned"},
      {"0100000050", "tax_code: prefix 010000005 has no valid check digit"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    absl::StatusOr<EnterpriseCodeParts> parts = ParseEnterpriseCode(c.code, "tax_code");
    ASSERT_FALSE(parts.ok());
    EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(parts.status().message(), c.message);
  }
}

TEST(ValidateEnterpriseCodeTest, AcceptsOnlyTheEnterpriseForm) {
  EXPECT_TRUE(ValidateEnterpriseCode("0100233488").ok());
  absl::Status unit = ValidateEnterpriseCode("0100233488-001");
  EXPECT_EQ(unit.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unit.message(),
            "enterprise_code: must be an enterprise's 10-digit code, not a dependent unit's");
  EXPECT_EQ(ValidateEnterpriseCode("0100233480").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MakeEnterpriseCodeTest, MakesValidCodes) {
  absl::StatusOr<std::string> code = MakeEnterpriseCode("001", 23348);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, "0100233488");
  // Every code made for a range of sequences parses back to its parts.
  for (const char* province : {"001", "079", "096"}) {
    for (int sequence = 1; sequence < 200; ++sequence) {
      SCOPED_TRACE(absl::StrCat(province, " ", sequence));
      absl::StatusOr<std::string> made = MakeEnterpriseCode(province, sequence);
      if (absl::IsNotFound(made.status())) continue;
      ASSERT_TRUE(made.ok()) << made.status();
      absl::StatusOr<EnterpriseCodeParts> parts = ParseEnterpriseCode(*made);
      ASSERT_TRUE(parts.ok()) << parts.status();
      EXPECT_EQ(parts->province->code, province);
      EXPECT_EQ(parts->sequence, sequence);
    }
  }
}

TEST(MakeEnterpriseCodeTest, RejectsBadArguments) {
  struct Case {
    const char* province;
    int sequence;
    absl::StatusCode code;
    const char* message;
  };
  const Case cases[] = {
      {"003", 1, absl::StatusCode::kInvalidArgument,
       "province_code: unknown province code \"003\""},
      {"01", 1, absl::StatusCode::kInvalidArgument,
       "province_code: unknown province code \"01\""},
      {"001", 0, absl::StatusCode::kInvalidArgument, "sequence: 0 is not in 1..9999999"},
      {"001", 10000000, absl::StatusCode::kInvalidArgument,
       "sequence: 10000000 is not in 1..9999999"},
      {"001", 5, absl::StatusCode::kNotFound,
       "sequence: prefix 010000005 has no valid check digit"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.province, " ", c.sequence));
    absl::StatusOr<std::string> made = MakeEnterpriseCode(c.province, c.sequence);
    EXPECT_EQ(made.status().code(), c.code);
    EXPECT_EQ(made.status().message(), c.message);
  }
}

TEST(MakeDependentUnitCodeTest, MakesAndRejects) {
  absl::StatusOr<std::string> unit = MakeDependentUnitCode("0100233488", 7);
  ASSERT_TRUE(unit.ok()) << unit.status();
  EXPECT_EQ(*unit, "0100233488-007");
  EXPECT_EQ(MakeDependentUnitCode("0100233488", 0).status().message(),
            "unit: 0 is not in 1..999");
  EXPECT_EQ(MakeDependentUnitCode("0100233488", 1000).status().message(),
            "unit: 1000 is not in 1..999");
  EXPECT_EQ(MakeDependentUnitCode("0100233480", 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeDependentUnitCode("0100233488-001", 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ndxp::identifiers
