#include "gateway/routing/route_table.h"

#include <gtest/gtest.h>

#include "gateway/policy/access_policy.h"
#include "gateway/test_config.h"

namespace ndxp::gateway {
namespace {

TEST(RouteTableTest, RoutesEveryMethodOfARoutedService) {
  TestHubConfig hub;
  auto table = RouteTable::Build(hub.config, *hub.pool);
  ASSERT_TRUE(table.ok()) << table.status();

  const MethodRoute* get = (*table)->Find("/ndxp.residents.v1.ResidentRegistry/GetCitizen");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->method, "GetCitizen");
  EXPECT_EQ(get->service->provider, "000.00.00.H49");
  EXPECT_EQ(get->service->endpoints, std::vector<std::string>{"127.0.0.1:1"});
  EXPECT_TRUE(get->personal_data);
  EXPECT_TRUE(get->unary);

  const MethodRoute* verify =
      (*table)->Find("/ndxp.residents.v1.ResidentRegistry/VerifyCitizen");
  ASSERT_NE(verify, nullptr);
  EXPECT_FALSE(verify->personal_data);

  const MethodRoute* relatives =
      (*table)->Find("/ndxp.residents.v1.ResidentRegistry/ListRelatives");
  ASSERT_NE(relatives, nullptr);
  EXPECT_FALSE(relatives->unary) << "server streaming takes the streaming path";
  EXPECT_FALSE((*table)->Find("/ndxp.residents.v1.ResidentRegistry/BatchVerifyCitizens")->unary);
  EXPECT_EQ(get->service->max_deadline, absl::ZeroDuration()) << "the hub's limit";

  // A route may allow its calls a longer deadline than the hub's limit.
  hub.config.mutable_routes(0)->set_max_deadline_ms(3'600'000);
  auto long_lived = RouteTable::Build(hub.config, *hub.pool);
  ASSERT_TRUE(long_lived.ok()) << long_lived.status();
  EXPECT_EQ((*long_lived)->Find("/ndxp.residents.v1.ResidentRegistry/GetCitizen")->service
                ->max_deadline,
            absl::Hours(1));
}

TEST(RouteTableTest, UnknownNamesHaveNoRoute) {
  TestHubConfig hub;
  auto table = RouteTable::Build(hub.config, *hub.pool);
  ASSERT_TRUE(table.ok());
  for (const char* name : {"", "/", "/ndxp.residents.v1.ResidentRegistry/",
                           "/ndxp.residents.v1.ResidentRegistry/getcitizen",
                           "ndxp.residents.v1.ResidentRegistry/GetCitizen",
                           "/ndxp.residents.v1.ResidentRegistry/GetCitizen/",
                           "/ndxp.bench.v1.Echo/Echo"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ((*table)->Find(name), nullptr);
  }
}

struct AccessCase {
  const char* consumer;  // spiffe ID
  const char* method;
  bool allowed;
};

TEST(AccessPolicyTest, DenyByDefaultGrantPerAgencySubsystemServiceOrMethod) {
  TestHubConfig hub;
  auto* g = hub.config.add_grants();  // whole agency, whole service
  g->set_consumer("000.00.00.G12");
  g->set_service("ndxp.residents.v1.ResidentRegistry");
  g = hub.config.add_grants();  // one subsystem, one method
  g->set_consumer("000.00.18.H49/claims");
  g->set_service("ndxp.residents.v1.ResidentRegistry");
  g->set_method("VerifyCitizen");
  auto table = RouteTable::Build(hub.config, *hub.pool);
  ASSERT_TRUE(table.ok());
  auto policy = AccessPolicy::Build(hub.config, **table);
  ASSERT_TRUE(policy.ok()) << policy.status();

  constexpr char kGet[] = "/ndxp.residents.v1.ResidentRegistry/GetCitizen";
  constexpr char kVerify[] = "/ndxp.residents.v1.ResidentRegistry/VerifyCitizen";
  const AccessCase cases[] = {
      {"spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup", kGet, true},
      {"spiffe://ndxp.gov.vn/agency/000.00.00.G12/other", kVerify, true},
      {"spiffe://ndxp.gov.vn/agency/000.00.18.H49/claims", kVerify, true},
      {"spiffe://ndxp.gov.vn/agency/000.00.18.H49/claims", kGet, false},
      {"spiffe://ndxp.gov.vn/agency/000.00.18.H49/other", kVerify, false},
      {"spiffe://ndxp.gov.vn/agency/000.00.00.G1/tax-lookup", kGet, false},
      {"spiffe://ndxp.gov.vn/agency/000.00.00.G99/nobody", kVerify, false},
  };
  for (const AccessCase& c : cases) {
    SCOPED_TRACE(std::string(c.consumer) + " " + c.method);
    auto consumer = ParseSpiffeId(c.consumer, "ndxp.gov.vn");
    ASSERT_TRUE(consumer.ok());
    const MethodRoute* method = (*table)->Find(c.method);
    ASSERT_NE(method, nullptr);
    EXPECT_EQ((*policy)->Allows(*consumer, *method), c.allowed);
  }
}

TEST(AccessPolicyTest, OperatorsByAgencyOrSubsystem) {
  TestHubConfig hub;
  hub.config.add_operators("000.00.00.A01/ops");
  auto table = RouteTable::Build(hub.config, *hub.pool);
  auto policy = AccessPolicy::Build(hub.config, **table);
  ASSERT_TRUE(policy.ok());
  EXPECT_TRUE((*policy)->IsOperator(
      *ParseSpiffeId("spiffe://ndxp.gov.vn/agency/000.00.00.A01/ops", "ndxp.gov.vn")));
  EXPECT_FALSE((*policy)->IsOperator(
      *ParseSpiffeId("spiffe://ndxp.gov.vn/agency/000.00.00.A01/web", "ndxp.gov.vn")));
}

}  // namespace
}  // namespace ndxp::gateway
