#include "connectors/land/land_identifiers.h"

#include <map>
#include <string>

#include "connectors/land/land_prices.h"
#include "gtest/gtest.h"

namespace ndxp::land {
namespace {

TEST(ParcelIdTest, ParsesAndMakes) {
  absl::StatusOr<ParcelNumberParts> parts = ParseParcelId("003760120045");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->commune_code, "00376");
  EXPECT_EQ(parts->map_sheet, 12);
  EXPECT_EQ(parts->parcel_number, 45);
  EXPECT_EQ(MakeParcelId(*parts), "003760120045");
}

TEST(ParcelIdTest, RejectsEveryBadShape) {
  struct Case {
    std::string id;
    const char* message;
  };
  const Case cases[] = {
      {"", "parcel_id: is required (12 digits)"},
      {"00376012004", "parcel_id: must be exactly 12 digits, got 11"},
      {"0037601200450", "parcel_id: must be exactly 12 digits, got 13"},
      {"00376-120045", "parcel_id: must be a digit at position 6, found '-'"},
      {"0037601200A5", "parcel_id: must be a digit at position 11, found 'A'"},
      {std::string("00376012004\0", 12), "parcel_id: must be a digit at position 12, found '\\x00'"},
      {"000000120045", "parcel_id: commune code 00000 is not a commune"},
      {"003760000045", "parcel_id: map sheet 000 does not exist"},
      {"003760120000", "parcel_id: parcel number 0000 does not exist"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    absl::StatusOr<ParcelNumberParts> parts = ParseParcelId(c.id);
    ASSERT_FALSE(parts.ok());
    EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(parts.status().message(), c.message);
  }
}

TEST(ParcelNumberTest, ReportsEveryBadPart) {
  struct Case {
    ParcelNumberParts parts;
    std::map<std::string, std::string> violations;
  };
  const Case cases[] = {
      {{"00376", 12, 45}, {}},
      {{"0376", 12, 45}, {{"p.commune_code", "p.commune_code: must be exactly 5 digits, got 4"}}},
      {{"00000", 12, 45}, {{"p.commune_code", "p.commune_code: 00000 is not a commune"}}},
      {{"0037a", 12, 45},
       {{"p.commune_code", "p.commune_code: must be a digit at position 5, found 'a'"}}},
      {{"00376", 0, 10000},
       {{"p.map_sheet", "p.map_sheet: must be 1..999, got 0"},
        {"p.parcel_number", "p.parcel_number: must be 1..9999, got 10000"}}},
      {{"", 1000, -1},
       {{"p.commune_code", "p.commune_code: must be exactly 5 digits, got 0"},
        {"p.map_sheet", "p.map_sheet: must be 1..999, got 1000"},
        {"p.parcel_number", "p.parcel_number: must be 1..9999, got -1"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(MakeParcelId(c.parts));
    std::map<std::string, std::string> reported;
    const bool ok = CheckParcelNumber(c.parts, "p", [&](absl::string_view f, const absl::Status& s) {
      reported[std::string(f)] = std::string(s.message());
    });
    EXPECT_EQ(ok, c.violations.empty());
    EXPECT_EQ(reported, c.violations);
  }
}

TEST(CertificateSerialTest, AcceptsAndRejects) {
  EXPECT_TRUE(ValidateCertificateSerial("CS123456").ok());
  EXPECT_TRUE(ValidateCertificateSerial("AA000001").ok());
  struct Case {
    const char* serial;
    const char* message;
  };
  const Case cases[] = {
      {"", "certificate_serial: is required (2 letters and 6 digits)"},
      {"CS12345", "certificate_serial: must be 2 letters and 6 digits (8 characters), got 7"},
      {"CS1234567", "certificate_serial: must be 2 letters and 6 digits (8 characters), got 9"},
      {"cs123456", "certificate_serial: must be an upper-case letter A-Z at position 1, found 'c'"},
      {"C5123456", "certificate_serial: must be an upper-case letter A-Z at position 2, found '5'"},
      {"CS12 456", "certificate_serial: must be a digit at position 5, found ' '"},
      {"CS000000", "certificate_serial: number 000000 is never issued"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.serial);
    absl::Status s = ValidateCertificateSerial(c.serial);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(LandPricesTest, ReferenceTableFollowsTheDocumentedFormula) {
  struct Case {
    const char* province;
    const char* purpose;
    int64_t price;
  };
  const Case cases[] = {
      {"001", "ODT", 60000000},  // 20 000 000 * 300%
      {"079", "TMD", 38400000},  // 12 000 000 * 320%
      {"070", "LUC", 175000},    // 250 000 * 70%
      {"070", "ONT", 2100000},
      {"022", "CLN", 440000},    // 400 000 * 110%
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.province, " ", c.purpose));
    const LandPurpose* purpose = FindLandPurpose(c.purpose);
    ASSERT_NE(purpose, nullptr);
    EXPECT_EQ(ReferenceLandPrice(c.province, *purpose), c.price);
  }
  EXPECT_EQ(FindLandPurpose("XYZ"), nullptr);
}

}  // namespace
}  // namespace ndxp::land
