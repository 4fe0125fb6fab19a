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

ndxp::config::v1::Grant* Grant(ndxp::config::v1::HubConfig* config, const std::string& consumer,
                                const std::string& method) {
  auto* grant = config->add_grants();
  grant->set_consumer(consumer);
  grant->set_service("ndxp.residents.v1.ResidentRegistry");
  grant->set_method(method);
  return grant;
}

void DeferNotice(ndxp::config::v1::Grant* grant, int64_t days) {
  grant->mutable_defer_subject_notice()->set_seconds(days * 86400);
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

TEST(AccessPolicyTest, TheLongestDeferralOfTheGrantsThatAdmitTheConsumerHolds) {
  TestHubConfig hub;
  DeferNotice(Grant(&hub.config, "000.00.00.G12/investigation", "GetCitizen"), 90);
  DeferNotice(Grant(&hub.config, "000.00.00.G12", "GetCitizen"), 30);
  Grant(&hub.config, "000.00.00.B05", "GetCitizen");
  DeferNotice(Grant(&hub.config, "*", "VerifyCitizen"), 7);
  std::unique_ptr<RouteTable> routes = *RouteTable::Build(hub.config, *hub.pool);
  std::unique_ptr<AccessPolicy> policy = *AccessPolicy::Build(hub.config, *routes);
  const MethodRoute& get = *routes->Find("/ndxp.residents.v1.ResidentRegistry/GetCitizen");
  const MethodRoute& verify = *routes->Find("/ndxp.residents.v1.ResidentRegistry/VerifyCitizen");
  auto identity = [](const char* agency, const char* subsystem, const char* both) {
    return ConsumerIdentity{"", agency, subsystem, both};
  };
  const ConsumerIdentity investigation =
      identity("000.00.00.G12", "investigation", "000.00.00.G12/investigation");
  const ConsumerIdentity tax = identity("000.00.00.G12", "tax", "000.00.00.G12/tax");
  const ConsumerIdentity police = identity("000.00.00.B05", "app", "000.00.00.B05/app");
  EXPECT_EQ(policy->NoticeDeferral(investigation, get), absl::Hours(90 * 24));
  EXPECT_EQ(policy->NoticeDeferral(tax, get), absl::Hours(30 * 24));
  EXPECT_EQ(policy->NoticeDeferral(police, get), absl::ZeroDuration());
  EXPECT_EQ(policy->NoticeDeferral(police, verify), absl::Hours(7 * 24));
  EXPECT_EQ(policy->NoticeDeferral(investigation, verify), absl::Hours(7 * 24));
}

TEST(AccessPolicyTest, ADeferralIsForwardAndOfARoutedService) {
  TestHubConfig negative;
  Grant(&negative.config, "000.00.00.G12", "")->mutable_defer_subject_notice()->set_seconds(-1);
  std::unique_ptr<RouteTable> routes = *RouteTable::Build(negative.config, *negative.pool);
  absl::StatusOr<std::unique_ptr<AccessPolicy>> refused =
      AccessPolicy::Build(negative.config, *routes);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("defer_subject_notice is negative"));

  TestHubConfig own;
  auto* grant = own.config.add_grants();
  grant->set_consumer("*");
  grant->set_service("grpc.health.v1.Health");
  grant->mutable_defer_subject_notice()->set_seconds(60);
  routes = *RouteTable::Build(own.config, *own.pool);
  refused = AccessPolicy::Build(own.config, *routes);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(),
              ::testing::HasSubstr("defer_subject_notice applies to routed services"));
}

}  // namespace
}  // namespace ndxp::gateway
