#include "gateway/identity/provider_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ndxp::gateway {
namespace {

using ::testing::HasSubstr;

TEST(ProviderIdentityTest, TheRoutesProviderIsAccepted) {
  EXPECT_TRUE(CheckProviderIdentity({"spiffe://ndxp.gov.vn/agency/000.00.00.G04/residents"},
                                    "ndxp.gov.vn", "000.00.00.G04")
                  .ok());
  // Any subsystem of the provider agency, among other URIs.
  EXPECT_TRUE(CheckProviderIdentity({"https://example.org/x",
                                     "spiffe://ndxp.gov.vn/agency/000.00.00.G04/replica-2"},
                                    "ndxp.gov.vn", "000.00.00.G04")
                  .ok());
}

TEST(ProviderIdentityTest, AnythingElseIsRefusedNamingWhatWasPresented) {
  struct Case {
    const char* name;
    std::vector<std::string> uris;
  };
  const Case cases[] = {
      {"another agency", {"spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup"}},
      {"another trust domain", {"spiffe://other.gov.vn/agency/000.00.00.G04/residents"}},
      {"a prefix of the code", {"spiffe://ndxp.gov.vn/agency/000.00.00.G0/residents"}},
      {"no URI SAN", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status status = CheckProviderIdentity(c.uris, "ndxp.gov.vn", "000.00.00.G04");
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(std::string(status.message()), HasSubstr("provider 000.00.00.G04"));
    if (!c.uris.empty()) {
      EXPECT_THAT(std::string(status.message()), HasSubstr(c.uris[0]));
    }
  }
}

}  // namespace
}  // namespace ndxp::gateway
