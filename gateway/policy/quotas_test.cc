#include "gateway/policy/quotas.h"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/test_config.h"

namespace ndxp::gateway {
namespace {

using ::testing::HasSubstr;

constexpr char kService[] = "ndxp.residents.v1.ResidentRegistry";
const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

class QuotasTest : public ::testing::Test {
 protected:
  void AddQuota(const std::string& consumer, double rate, uint32_t burst, uint32_t max_open,
                const std::string& method = "") {
    auto* quota = hub_.config.add_quotas();
    quota->set_consumer(consumer);
    if (!method.empty()) {
      quota->set_service(kService);
      quota->set_method(method);
    }
    quota->set_calls_per_second(rate);
    quota->set_burst(burst);
    quota->set_max_concurrent(max_open);
  }

  void Build() {
    routes_ = *RouteTable::Build(hub_.config, *hub_.pool);
    table_ = QuotaTable::Build(hub_.config, *routes_);
  }

  const MethodRoute& Method(const std::string& name) {
    return *routes_->Find(absl::StrCat("/", kService, "/", name));
  }

  ConsumerIdentity Consumer(const std::string& subsystem_of_g12) {
    names_ = std::make_unique<std::string>("000.00.00.G12/" + subsystem_of_g12);
    return {"", "000.00.00.G12", subsystem_of_g12, *names_};
  }

  absl::Status Call(const ConsumerIdentity& who, const std::string& method, absl::Time at,
                    QuotaTicket* ticket, absl::Duration* retry = nullptr) {
    absl::Duration ignored;
    return table_->Acquire(who, Method(method), at, ticket, retry ? retry : &ignored);
  }

  TestHubConfig hub_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<QuotaTable> table_;
  std::unique_ptr<std::string> names_;
};

TEST_F(QuotasTest, ABurstThenTheRateWithARetryHint) {
  AddQuota("000.00.00.G12", /*rate=*/2, /*burst=*/3, /*max_open=*/0);
  Build();
  ConsumerIdentity caller = Consumer("tax");
  for (int i = 0; i < 3; ++i) {
    QuotaTicket ticket;
    EXPECT_TRUE(Call(caller, "GetCitizen", kStart, &ticket).ok()) << "burst call " << i;
  }
  QuotaTicket refused;
  absl::Duration retry;
  absl::Status status = Call(caller, "GetCitizen", kStart, &refused, &retry);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("quota of 000.00.00.G12 on every routed service: "
                                          "2 calls per second, burst 3"));
  EXPECT_EQ(retry, absl::Milliseconds(500));
  EXPECT_THAT(status.message(), HasSubstr("retry in 500 ms"));
  QuotaTicket later;
  EXPECT_TRUE(Call(caller, "GetCitizen", kStart + absl::Milliseconds(500), &later).ok())
      << "one token back after one interval";
  EXPECT_FALSE(Call(caller, "GetCitizen", kStart + absl::Milliseconds(500), &later).ok());
}

TEST_F(QuotasTest, TheSlowestRateWithTheLargestBurstAdmitsItsBurst) {
  // (burst - 1) intervals of 1e15 ns would overflow 64 bits: the tolerance
  // is bounded instead (3 years), so the burst is admitted.
  AddQuota("000.00.00.G12", /*rate=*/1e-6, /*burst=*/4'000'000'000u, /*max_open=*/0);
  Build();
  ConsumerIdentity caller = Consumer("tax");
  for (int i = 0; i < 3; ++i) {
    QuotaTicket ticket;
    EXPECT_TRUE(Call(caller, "GetCitizen", kStart, &ticket).ok()) << "burst call " << i;
  }
}

TEST_F(QuotasTest, OpenCallsAreCappedAndReleasedWithTheTicket) {
  AddQuota("000.00.00.G12/tax", 0, 0, /*max_open=*/2);
  Build();
  ConsumerIdentity caller = Consumer("tax");
  {
    QuotaTicket first, second, third;
    EXPECT_TRUE(Call(caller, "GetCitizen", kStart, &first).ok());
    EXPECT_TRUE(Call(caller, "VerifyCitizen", kStart, &second).ok());
    absl::Status status = Call(caller, "GetCitizen", kStart, &third);
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_THAT(status.message(), HasSubstr("at most 2 calls open at once"));
    QuotaTicket moved = std::move(first);  // the slot goes with the ticket
  }
  QuotaTicket again;
  EXPECT_TRUE(Call(caller, "GetCitizen", kStart, &again).ok()) << "the slots were released";
}

TEST_F(QuotasTest, OtherConsumersAndOtherMethodsAreUntouched) {
  AddQuota("000.00.00.G12/tax", 0, 0, /*max_open=*/1, "GetCitizen");
  Build();
  QuotaTicket held, other_method, other_subsystem;
  EXPECT_TRUE(Call(Consumer("tax"), "GetCitizen", kStart, &held).ok());
  EXPECT_TRUE(Call(Consumer("tax"), "VerifyCitizen", kStart, &other_method).ok());
  EXPECT_TRUE(Call(Consumer("health"), "GetCitizen", kStart, &other_subsystem).ok());
  QuotaTicket over;
  EXPECT_FALSE(Call(Consumer("tax"), "GetCitizen", kStart, &over).ok());
}

TEST_F(QuotasTest, EveryCoveringQuotaMustPassAndARefusalTakesNothing) {
  AddQuota("000.00.00.G12", /*rate=*/1, /*burst=*/1, 0);       // the agency, 1/s
  AddQuota("000.00.00.G12/tax", 0, 0, /*max_open=*/1);         // its subsystem, 1 open
  Build();
  ConsumerIdentity tax = Consumer("tax");
  QuotaTicket open;
  ASSERT_TRUE(Call(tax, "GetCitizen", kStart, &open).ok());
  QuotaTicket refused;
  absl::Status status = Call(tax, "GetCitizen", kStart + absl::Seconds(5), &refused);
  EXPECT_THAT(status.message(), HasSubstr("at most 1 calls open at once"));
  // The agency's token taken before the subsystem's cap refused came back.
  QuotaTicket health;
  EXPECT_TRUE(Call(Consumer("health"), "GetCitizen", kStart + absl::Seconds(5), &health).ok());
}

TEST_F(QuotasTest, NoQuotasNoCost) {
  Build();
  EXPECT_TRUE(table_->empty());
  QuotaTicket ticket;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(Call(Consumer("tax"), "GetCitizen", kStart, &ticket).ok());
}

TEST_F(QuotasTest, ACapOnOneConsumersOpenCallsToOneService) {
  hub_.config.mutable_limits()->set_max_calls_per_consumer_route(2);
  Build();
  ConsumerIdentity tax = Consumer("tax");
  absl::Duration retry;
  QuotaTicket first, second, third;
  ASSERT_TRUE(table_->AcquireOpenCall(tax, Method("GetCitizen"), &first, &retry).ok());
  ASSERT_TRUE(table_->AcquireOpenCall(tax, Method("VerifyCitizen"), &second, &retry).ok())
      << "another method of the same service counts against the same cap";
  absl::Status refused = table_->AcquireOpenCall(tax, Method("GetCitizen"), &third, &retry);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(),
              HasSubstr("000.00.00.G12/tax has 2 calls open to " + std::string(kService)));
  EXPECT_THAT(refused.message(), HasSubstr("limits.max_calls_per_consumer_route"));
  EXPECT_EQ(retry, absl::Milliseconds(100));

  std::string other_name = "000.00.00.G12/claims";
  ConsumerIdentity claims{"", "000.00.00.G12", "claims", other_name};
  QuotaTicket theirs;
  EXPECT_TRUE(table_->AcquireOpenCall(claims, Method("GetCitizen"), &theirs, &retry).ok())
      << "another subsystem has a cap of its own";

  first = QuotaTicket();  // the call ended: its slot is back
  EXPECT_TRUE(table_->AcquireOpenCall(tax, Method("GetCitizen"), &third, &retry).ok());
}

TEST_F(QuotasTest, TheDefaultCapAndAQuotaThatReplacesIt) {
  AddQuota("000.00.00.G12/tax", /*rate=*/0, /*burst=*/0, /*max_open=*/300);
  Build();
  EXPECT_EQ(table_->max_calls_per_consumer_route(), kDefaultMaxCallsPerConsumerRoute);
  absl::Duration retry;
  std::vector<QuotaTicket> tickets(kDefaultMaxCallsPerConsumerRoute + 1);
  ConsumerIdentity tax = Consumer("tax");
  for (auto& ticket : tickets) {
    ASSERT_TRUE(table_->AcquireOpenCall(tax, Method("GetCitizen"), &ticket, &retry).ok())
        << "its quota's max_concurrent caps it instead";
  }
  std::string other_name = "000.00.00.G12/claims";
  ConsumerIdentity claims{"", "000.00.00.G12", "claims", other_name};
  std::vector<QuotaTicket> theirs(kDefaultMaxCallsPerConsumerRoute);
  for (auto& ticket : theirs) {
    ASSERT_TRUE(table_->AcquireOpenCall(claims, Method("GetCitizen"), &ticket, &retry).ok());
  }
  QuotaTicket over;
  EXPECT_EQ(table_->AcquireOpenCall(claims, Method("GetCitizen"), &over, &retry).code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace ndxp::gateway
