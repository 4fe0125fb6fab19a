#include "gateway/admin_http/catalogue.h"

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/test_config.h"

namespace ndxp::gateway::admin_http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CatalogueTest : public ::testing::Test {
 protected:
  // TestHubConfig's route (residents, by 000.00.00.H49; GetCitizen and
  // ListRelatives personal) and `grants`.
  std::string Render(const std::string& agency_name) {
    TestHubConfig hub;
    auto* agency = hub.config.add_agencies();
    agency->set_code("000.00.00.G12");
    agency->set_name_en(agency_name);
    for (const char* method : {"GetCitizen", "VerifyCitizen"}) {
      auto* grant = hub.config.add_grants();
      grant->set_consumer("000.00.00.G12/tax-lookup");
      grant->set_service("ndxp.residents.v1.ResidentRegistry");
      grant->set_method(method);
    }
    HubSettings settings;
    settings.config = hub.config;
    settings.services = std::move(hub.pool);
    absl::StatusOr<std::shared_ptr<const HubContext>> context =
        BuildHubContext(std::move(settings), HubParts());
    EXPECT_TRUE(context.ok()) << context.status();
    return context.ok() ? RenderCatalogue(**context) : "";
  }

  // The row of `method` on the page.
  static std::string Row(const std::string& page, const std::string& method) {
    size_t start = page.find("<tr data-method=\"" + method + "\"");
    if (start == std::string::npos) return "";
    return page.substr(start, page.find("</tr>", start) - start);
  }
};

TEST_F(CatalogueTest, ListsMethodsWithPurposeEndpointsAndGrants) {
  const std::string page = Render("Tax office");
  EXPECT_THAT(page, HasSubstr("<section data-service=\"ndxp.residents.v1.ResidentRegistry\">"));
  EXPECT_THAT(page, HasSubstr("data-provider=\"000.00.00.H49\">000.00.00.H49</span>"));
  const std::string get = Row(page, "GetCitizen");
  EXPECT_THAT(get, HasSubstr("data-personal=\"yes\""));
  EXPECT_THAT(get, HasSubstr("<code>POST /ndxp.residents.v1.ResidentRegistry/GetCitizen</code>"));
  EXPECT_THAT(get, HasSubstr("<code>GET /v1/citizens/{personal_id}</code>"));
  EXPECT_THAT(get, HasSubstr("<li data-member=\"000.00.00.G12/tax-lookup\">"));
  EXPECT_THAT(get, HasSubstr("Tax office"));
  const std::string issue = Row(page, "IssuePersonalId");
  EXPECT_THAT(issue, HasSubstr("data-personal=\"no\""));
  EXPECT_THAT(issue, HasSubstr("nobody"));
  // A client-streaming method has no JSON endpoint.
  EXPECT_THAT(Row(page, "BatchVerifyCitizens"), HasSubstr("gRPC only"));
  EXPECT_THAT(page, Not(HasSubstr("grpc.health")));
}

TEST_F(CatalogueTest, EscapesWhatTheConfigurationNames) {
  const std::string page = Render("<script>alert(\"x\")</script> & co");
  EXPECT_THAT(page, Not(HasSubstr("<script>")));
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"));
}

}  // namespace
}  // namespace ndxp::gateway::admin_http
