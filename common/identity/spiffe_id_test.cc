#include "common/identity/spiffe_id.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ndxp {
namespace {

using ::testing::HasSubstr;

TEST(ParseSpiffeIdTest, SplitsAgencyAndSubsystem) {
  auto identity = ParseSpiffeId("spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup",
                                "ndxp.gov.vn");
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->agency, "000.00.00.G12");
  EXPECT_EQ(identity->subsystem, "tax-lookup");
  EXPECT_EQ(identity->agency_subsystem, "000.00.00.G12/tax-lookup");
  EXPECT_EQ(identity->spiffe_id, "spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup");
}

TEST(ParseSpiffeIdTest, RejectsEveryMalformedIdentity) {
  struct Case {
    const char* id;
    const char* reason;
  };
  const Case cases[] = {
      {"", "not in trust domain"},
      {"https://ndxp.gov.vn/agency/000.00.00.G12/x", "not in trust domain"},
      {"spiffe://evil.example/agency/000.00.00.G12/x", "not in trust domain"},
      {"spiffe://ndxp.gov.vn.evil/agency/000.00.00.G12/x", "not in trust domain"},
      {"spiffe://ndxp.gov.vn/service/000.00.00.G12/x", "not of the form"},
      {"spiffe://ndxp.gov.vn/agency/000.00.00.G12", "names no subsystem"},
      {"spiffe://ndxp.gov.vn/agency/000.00.00.G12/", "malformed subsystem"},
      {"spiffe://ndxp.gov.vn/agency/000.00.00.G12/a/b", "malformed subsystem"},
      {"spiffe://ndxp.gov.vn/agency/000.00.00.G12/Tax", "malformed subsystem"},
      {"spiffe://ndxp.gov.vn/agency/000.00.00.G12/-x", "malformed subsystem"},
      {"spiffe://ndxp.gov.vn/agency/not-a-code/x", "malformed agency code"},
      {"spiffe://ndxp.gov.vn/agency/000..00.G12/x", "malformed agency code"},
      {"spiffe://ndxp.gov.vn/agency//x", "malformed agency code"},
      {"spiffe://ndxp.gov.vn/agency/000.00.00.g12/x", "malformed agency code"},
      {"spiffe://ndxp.gov.vn/agency/0000000000.0000000000.0000000000.000/x",
       "malformed agency code"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    auto identity = ParseSpiffeId(c.id, "ndxp.gov.vn");
    ASSERT_FALSE(identity.ok());
    EXPECT_EQ(identity.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(std::string(identity.status().message()), HasSubstr(c.reason));
  }
}

TEST(SubsystemNameTest, AcceptsLowerCaseNamesUpTo63) {
  EXPECT_TRUE(IsValidSubsystemName("a"));
  EXPECT_TRUE(IsValidSubsystemName("tax-lookup.v2_x"));
  EXPECT_TRUE(IsValidSubsystemName(std::string(63, 'a')));
  EXPECT_FALSE(IsValidSubsystemName(std::string(64, 'a')));
  EXPECT_FALSE(IsValidSubsystemName(""));
  EXPECT_FALSE(IsValidSubsystemName(".a"));
}

}  // namespace
}  // namespace ndxp
