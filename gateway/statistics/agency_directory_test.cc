#include "gateway/statistics/agency_directory.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::statistics {
namespace {

hub::v1::Agency MakeAgency(const std::string& code, const std::string& vi,
                           const std::string& en) {
  hub::v1::Agency agency;
  agency.set_code(code);
  agency.set_name_vi(vi);
  agency.set_name_en(en);
  return agency;
}

AgencyDirectory Directory() {
  google::protobuf::RepeatedPtrField<hub::v1::Agency> agencies;
  *agencies.Add() =
      MakeAgency("000.00.00.G04", "Cơ sở dữ liệu quốc gia về dân cư", "Population registry");
  *agencies.Add() = MakeAgency("000.00.00.G12", "", "Tax office");
  *agencies.Add() = MakeAgency("000.01.01.H29", "UBND xã (hộ tịch)", "");
  *agencies.Add() = MakeAgency("", "nobody", "nobody");
  return AgencyDirectory(agencies);
}

TEST(AgencyDirectoryTest, NamesByCodeOrConsumerInEitherLanguage) {
  const AgencyDirectory directory = Directory();
  struct Case {
    std::string key;
    NameLanguage language;
    std::string name;
  };
  const std::vector<Case> cases = {
      {"000.00.00.G04", NameLanguage::kEnglish, "Population registry"},
      {"000.00.00.G04", NameLanguage::kVietnamese, "Cơ sở dữ liệu quốc gia về dân cư"},
      // A consumer or peer hub ("agency/subsystem") by its agency.
      {"000.00.00.G04/residents", NameLanguage::kEnglish, "Population registry"},
      // One name only: shown in either language.
      {"000.00.00.G12/tax-lookup", NameLanguage::kVietnamese, "Tax office"},
      {"000.01.01.H29", NameLanguage::kEnglish, "UBND xã (hộ tịch)"},
      // Not named, or no agency at all (a refused caller without identity).
      {"000.00.00.Z99", NameLanguage::kEnglish, ""},
      {"", NameLanguage::kEnglish, ""},
      {"000.00.00.G0", NameLanguage::kEnglish, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    EXPECT_EQ(directory.Name(c.key, c.language), c.name);
  }
  EXPECT_EQ(directory.size(), 3u);  // the entry without a code is left out
}

TEST(AgencyDirectoryTest, MergeReplacesByCodeAndTheResponseIsByCode) {
  AgencyDirectory directory = Directory();
  google::protobuf::RepeatedPtrField<hub::v1::Agency> local;
  *local.Add() = MakeAgency("000.00.00.G12", "Cục Thuế", "General Department of Taxation");
  *local.Add() = MakeAgency("000.00.00.A01", "", "Hub operator");
  directory.Merge(AgencyDirectory(local));
  EXPECT_EQ(directory.Name("000.00.00.G12", NameLanguage::kVietnamese), "Cục Thuế");
  std::vector<std::string> codes;
  const hub::v1::ListAgenciesResponse response = directory.ToResponse();
  for (const hub::v1::Agency& agency : response.agencies()) {
    codes.push_back(agency.code());
  }
  EXPECT_THAT(codes, ::testing::ElementsAre("000.00.00.A01", "000.00.00.G04", "000.00.00.G12",
                                            "000.01.01.H29"));
}

}  // namespace
}  // namespace ndxp::gateway::statistics
