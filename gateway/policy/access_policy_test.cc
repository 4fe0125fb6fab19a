#include "gateway/policy/access_policy.h"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/test_config.h"

namespace ndxp::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

void Grant(ndxp::config::v1::HubConfig* config, const std::string& consumer,
           const std::string& method) {
  auto* grant = config->add_grants();
  grant->set_consumer(consumer);
  grant->set_service("ndxp.residents.v1.ResidentRegistry");
  grant->set_method(method);
}

TEST(AccessPolicyTest, GrantedToListsEachMethodsConsumersSorted) {
  TestHubConfig hub;
  Grant(&hub.config, "000.00.00.G12/tax-lookup", "");
  Grant(&hub.config, "000.00.00.B05", "GetCitizen");
  Grant(&hub.config, "*", "VerifyCitizen");
  std::unique_ptr<RouteTable> routes = *RouteTable::Build(hub.config, *hub.pool);
  std::unique_ptr<AccessPolicy> policy = *AccessPolicy::Build(hub.config, *routes);
  auto granted = [&](const char* method) {
    const MethodRoute* route =
        routes->Find(std::string("/ndxp.residents.v1.ResidentRegistry/") + method);
    EXPECT_NE(route, nullptr) << method;
    return route == nullptr ? std::vector<std::string>() : policy->GrantedTo(*route);
  };
  EXPECT_THAT(granted("GetCitizen"), ElementsAre("000.00.00.B05", "000.00.00.G12/tax-lookup"));
  EXPECT_THAT(granted("VerifyCitizen"), ElementsAre("*", "000.00.00.G12/tax-lookup"));
  EXPECT_THAT(granted("IssuePersonalId"), ElementsAre("000.00.00.G12/tax-lookup"));

  TestHubConfig bare;
  std::unique_ptr<RouteTable> bare_routes = *RouteTable::Build(bare.config, *bare.pool);
  std::unique_ptr<AccessPolicy> nobody = *AccessPolicy::Build(bare.config, *bare_routes);
  EXPECT_THAT(nobody->GrantedTo(*bare_routes->methods().front()), IsEmpty());
}

}  // namespace
}  // namespace ndxp::gateway
