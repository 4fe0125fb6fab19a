#include "gateway/statistics/outcomes.h"

#include <string>
#include <vector>

#include "gateway/statistics/status_codes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::statistics {
namespace {

TEST(OutcomeOfTest, EveryStatusOfAForwardedCall) {
  struct Case {
    std::string status;
    Outcome outcome;
  };
  const std::vector<Case> cases = {
      {"OK", Outcome::kAnswered},
      // The caller went away: not a failure of the exchange.
      {"CANCELLED", Outcome::kCancelled},
      {"UNKNOWN", Outcome::kFailed},
      {"INVALID_ARGUMENT", Outcome::kRefused},
      {"DEADLINE_EXCEEDED", Outcome::kFailed},
      // Definite answers, not errors.
      {"NOT_FOUND", Outcome::kAnswered},
      {"ALREADY_EXISTS", Outcome::kAnswered},
      {"PERMISSION_DENIED", Outcome::kRefused},
      {"RESOURCE_EXHAUSTED", Outcome::kRefused},
      {"FAILED_PRECONDITION", Outcome::kRefused},
      {"ABORTED", Outcome::kFailed},
      {"OUT_OF_RANGE", Outcome::kRefused},
      {"UNIMPLEMENTED", Outcome::kRefused},
      {"INTERNAL", Outcome::kFailed},
      // The connector (or the way to it): the hub never records a caller's
      // cancel as UNAVAILABLE.
      {"UNAVAILABLE", Outcome::kFailed},
      {"DATA_LOSS", Outcome::kFailed},
      {"UNAUTHENTICATED", Outcome::kRefused},
      // A stray code is kept visible as a failure.
      {"42", Outcome::kFailed},
      {"", Outcome::kFailed},
  };
  ASSERT_EQ(cases.size(), static_cast<size_t>(kStatusCodeCount) + 2) << "a code is missing";
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status);
    EXPECT_EQ(OutcomeOf(hub::v1::FORWARDED, c.status), c.outcome);
    std::optional<int> code = ParseStatusCode(c.status);
    EXPECT_EQ(OutcomeOf(hub::v1::FORWARDED, code.has_value() ? *code : 99), c.outcome);
  }
}

TEST(OutcomeOfTest, TheHubsOwnRefusalsAreRefusedWhateverTheirStatus) {
  for (int code = -1; code <= kStatusCodeCount; ++code) {
    SCOPED_TRACE(code);
    EXPECT_EQ(OutcomeOf(hub::v1::REFUSED_BY_HUB, code), Outcome::kRefused);
    EXPECT_EQ(OutcomeOf(hub::v1::REFUSED_BY_HUB, StatusCodeName(code)), Outcome::kRefused);
  }
}

TEST(OutcomeOfTest, Names) {
  std::vector<std::string> names;
  for (Outcome outcome : kOutcomes) names.emplace_back(OutcomeName(outcome));
  EXPECT_THAT(names, ::testing::ElementsAre("answered", "refused", "failed", "cancelled"));
}

TEST(OutcomeCountsTest, SumsAndShares) {
  OutcomeCounts outcomes;
  outcomes.Add(hub::v1::FORWARDED, "OK", 900);
  outcomes.Add(hub::v1::FORWARDED, "NOT_FOUND", 30);
  outcomes.Add(hub::v1::FORWARDED, "INVALID_ARGUMENT", 10);
  outcomes.Add(hub::v1::FORWARDED, "UNAVAILABLE", 15);
  outcomes.Add(hub::v1::FORWARDED, "CANCELLED", 5);
  outcomes.Add(hub::v1::REFUSED_BY_HUB, "PERMISSION_DENIED", 30);
  outcomes.Add(hub::v1::REFUSED_BY_HUB, "INVALID_ARGUMENT", 10);
  EXPECT_EQ(outcomes[Outcome::kAnswered], 930);
  EXPECT_EQ(outcomes[Outcome::kRefused], 50);
  EXPECT_EQ(outcomes[Outcome::kFailed], 15);
  EXPECT_EQ(outcomes[Outcome::kCancelled], 5);
  EXPECT_EQ(outcomes.calls(), 1000);
  EXPECT_DOUBLE_EQ(*outcomes.Share(Outcome::kAnswered), 0.93);
  EXPECT_DOUBLE_EQ(*outcomes.Share(Outcome::kFailed), 0.015);
  EXPECT_DOUBLE_EQ(*outcomes.Share(Outcome::kCancelled), 0.005);
}

TEST(OutcomeCountsTest, NoCallsHaveNoShares) {
  OutcomeCounts outcomes;
  EXPECT_EQ(outcomes.calls(), 0);
  for (Outcome outcome : kOutcomes) {
    SCOPED_TRACE(OutcomeName(outcome));
    EXPECT_EQ(outcomes[outcome], 0);
    EXPECT_FALSE(outcomes.Share(outcome).has_value());
  }
}

}  // namespace
}  // namespace ndxp::gateway::statistics
