#include "gateway/peering/peers.h"

#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/tls/openssl_ptr.h"

namespace ndxp::gateway {
namespace {

using ::testing::HasSubstr;

constexpr char kProvince[] = "spiffe://ndxp.gov.vn/agency/000.00.00.H11/lgsp";
constexpr char kCommune[] = "spiffe://ndxp.gov.vn/agency/000.01.05.H11/commune-office";
constexpr char kMethod[] = "/ndxp.residents.v1.ResidentRegistry/GetCitizen";
const absl::Time kNow = absl::FromUnixSeconds(1'780'000'000);

std::unique_ptr<PeerTable> Table() {
  ndxp::config::v1::HubConfig config;
  auto* peer = config.add_peers();
  peer->set_spiffe_id(kProvince);
  peer->add_may_assert("*.*.*.H11");
  peer->add_may_assert("spiffe://lgsp.backan.gov.vn");
  absl::StatusOr<std::unique_ptr<PeerTable>> table = PeerTable::Build(config);
  EXPECT_TRUE(table.ok()) << table.status();
  return *std::move(table);
}

TEST(AssertionScopeTest, ValidatesEntries) {
  EXPECT_TRUE(CheckAssertionScope("spiffe://lgsp.backan.gov.vn").ok());
  EXPECT_TRUE(CheckAssertionScope("*.*.*.H11").ok());
  EXPECT_TRUE(CheckAssertionScope("000.00.00.H11").ok());
  EXPECT_FALSE(CheckAssertionScope("spiffe://").ok());
  EXPECT_FALSE(CheckAssertionScope("spiffe://a/agency").ok());
  EXPECT_FALSE(CheckAssertionScope("h11").ok());
  EXPECT_FALSE(CheckAssertionScope("*..H11").ok());
  EXPECT_FALSE(CheckAssertionScope("").ok());
}

TEST(PeerHubTest, ScopeByCodePatternOrTrustDomain) {
  std::unique_ptr<PeerTable> table = Table();
  const PeerHub* peer = table->Find(kProvince);
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(peer->agency_subsystem, "000.00.00.H11/lgsp");
  auto identity = [](const char* id, const char* domain) {
    absl::StatusOr<ConsumerIdentity> parsed = ParseSpiffeId(id, domain);
    EXPECT_TRUE(parsed.ok()) << id;
    return *parsed;
  };
  EXPECT_TRUE(peer->MayAssert(identity(kCommune, "ndxp.gov.vn"), "ndxp.gov.vn"));
  EXPECT_FALSE(peer->MayAssert(
      identity("spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup", "ndxp.gov.vn"),
      "ndxp.gov.vn"));
  EXPECT_FALSE(peer->MayAssert(  // another province's commune
      identity("spiffe://ndxp.gov.vn/agency/000.01.05.H12/commune-office", "ndxp.gov.vn"),
      "ndxp.gov.vn"));
  EXPECT_TRUE(peer->MayAssert(
      identity("spiffe://lgsp.backan.gov.vn/agency/000.00.00.G12/x", "lgsp.backan.gov.vn"),
      "lgsp.backan.gov.vn"));
  EXPECT_EQ(table->Find("spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup"), nullptr);
}

TEST(ReplayGuardTest, SecondUseIsAReplayUntilExpiry) {
  ReplayGuard guard(64);
  const std::string nonce(16, 'a');
  EXPECT_TRUE(guard.FirstUse(nonce, kNow + absl::Seconds(10), kNow).ok());
  absl::Status again = guard.FirstUse(nonce, kNow + absl::Seconds(10), kNow + absl::Seconds(1));
  EXPECT_EQ(again.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(again.message(), HasSubstr("replayed"));
  // Once it has expired the assertion is refused as expired anyway: forgotten.
  EXPECT_TRUE(guard.FirstUse(nonce, kNow + absl::Seconds(30), kNow + absl::Seconds(11)).ok());
}

TEST(ReplayGuardTest, FullGuardRefusesRatherThanForgets) {
  ReplayGuard guard(16);  // one nonce per shard
  std::string first(16, '\0');  // shard 0
  std::string second(16, '\0');
  second[15] = 1;  // shard 0 too: the first byte picks the shard
  EXPECT_TRUE(guard.FirstUse(first, kNow + absl::Seconds(10), kNow).ok());
  EXPECT_EQ(guard.FirstUse(second, kNow + absl::Seconds(10), kNow).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(guard.FirstUse(first, kNow + absl::Seconds(10), kNow).code(),
            absl::StatusCode::kUnauthenticated);  // still remembered
  EXPECT_TRUE(guard.FirstUse(second, kNow + absl::Seconds(30), kNow + absl::Seconds(10)).ok());
}

TEST(ReplayGuardTest, AFullGuardIsNotSweptAgainBeforeItsEarliestNonceExpires) {
  ReplayGuard guard(16);  // one nonce per shard
  std::string held(16, '\0'), refused(16, '\0');
  refused[15] = 1;  // the same shard
  ASSERT_TRUE(guard.FirstUse(held, kNow + absl::Seconds(10), kNow).ok());
  const int64_t before = guard.sweeps();
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(guard.FirstUse(refused, kNow + absl::Seconds(10), kNow + absl::Milliseconds(i))
                  .code(),
              absl::StatusCode::kUnavailable);
  }
  EXPECT_EQ(guard.sweeps(), before) << "nothing had expired: nothing to sweep";
  EXPECT_TRUE(guard.FirstUse(refused, kNow + absl::Seconds(20), kNow + absl::Seconds(10)).ok());
  EXPECT_EQ(guard.sweeps(), before + 1);
}

class AcceptAssertionTest : public ::testing::Test {
 protected:
  KeyPtr key_{EVP_EC_gen("P-256")};
  std::unique_ptr<PeerTable> table_ = Table();
  ReplayGuard replays_;

  std::string Signed(const std::string& consumer) {
    ConsumerAssertion a;
    a.set_consumer(consumer);
    a.set_method(kMethod);
    a.set_request_id("req-1");
    a.set_issued_at_ms(absl::ToUnixMillis(kNow));
    a.set_expires_at_ms(absl::ToUnixMillis(kNow + absl::Seconds(10)));
    a.set_nonce(consumer.substr(consumer.size() - 16));
    return *SignAssertion(a, key_.get());
  }
  absl::StatusOr<AssertedConsumer> Accept(const char* connection, const std::string& value) {
    absl::StatusOr<ConsumerIdentity> identity = ParseSpiffeId(connection, "ndxp.gov.vn");
    return AcceptAssertion(*table_, replays_, identity, {key_.get()}, value,
                           {kMethod, "req-1", "", kNow});
  }
};

TEST_F(AcceptAssertionTest, PeerAssertsItsCommuneOnce) {
  const std::string value = Signed(kCommune);
  absl::StatusOr<AssertedConsumer> asserted = Accept(kProvince, value);
  ASSERT_TRUE(asserted.ok()) << asserted.status();
  EXPECT_EQ(asserted->spiffe_id, kCommune);
  EXPECT_EQ(asserted->peer->agency_subsystem, "000.00.00.H11/lgsp");
  EXPECT_THAT(asserted->hubs_before, ::testing::ElementsAre(kProvince));
  absl::StatusOr<AssertedConsumer> replayed = Accept(kProvince, value);
  EXPECT_EQ(replayed.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(replayed.status().message(), HasSubstr("replayed"));
}

TEST_F(AcceptAssertionTest, OrdinaryMemberIsRefusedBeforeAnyCheck) {
  absl::StatusOr<AssertedConsumer> asserted =
      Accept("spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup", Signed(kCommune));
  EXPECT_EQ(asserted.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(asserted.status().message(),
              HasSubstr("000.00.00.G12/tax-lookup is not a peer hub of this hub"));
  absl::StatusOr<ConsumerIdentity> none = absl::UnauthenticatedError("no certificate");
  EXPECT_EQ(AcceptAssertion(*table_, replays_, none, {}, "x", {kMethod, "req-1", "", kNow})
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AcceptAssertionTest, ConsumerOutsideScopeIsRefused) {
  absl::StatusOr<AssertedConsumer> asserted =
      Accept(kProvince, Signed("spiffe://ndxp.gov.vn/agency/000.00.00.G12/tax-lookup-000001"));
  EXPECT_EQ(asserted.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(asserted.status().message(), HasSubstr("outside the scope"));
  asserted = Accept(kProvince, Signed("spiffe://ndxp.gov.vn/not-an-agency-path-00000001"));
  EXPECT_EQ(asserted.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(asserted.status().message(), HasSubstr("the asserted consumer"));
}

}  // namespace
}  // namespace ndxp::gateway
