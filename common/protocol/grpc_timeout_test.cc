#include "common/protocol/grpc_timeout.h"

#include <optional>

#include <gtest/gtest.h>

namespace ndxp::protocol {
namespace {

TEST(GrpcTimeoutTest, ParsesEveryUnit) {
  EXPECT_EQ(ParseGrpcTimeout("1H"), absl::Hours(1));
  EXPECT_EQ(ParseGrpcTimeout("2M"), absl::Minutes(2));
  EXPECT_EQ(ParseGrpcTimeout("30S"), absl::Seconds(30));
  EXPECT_EQ(ParseGrpcTimeout("250m"), absl::Milliseconds(250));
  EXPECT_EQ(ParseGrpcTimeout("99999999u"), absl::Microseconds(99999999));
  EXPECT_EQ(ParseGrpcTimeout("7n"), absl::Nanoseconds(7));
  for (const char* bad : {"", "S", "1", "1s", "-1S", "123456789S", "1.5S", "1 S"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseGrpcTimeout(bad).has_value());
  }
}

TEST(GrpcTimeoutTest, FormatsRoundingUpAndRoundTrips) {
  EXPECT_EQ(FormatGrpcTimeout(absl::Milliseconds(1500)), "1500000u");
  EXPECT_EQ(FormatGrpcTimeout(absl::Nanoseconds(1)), "1u");
  EXPECT_EQ(FormatGrpcTimeout(absl::Seconds(200)), "200000m");
  EXPECT_EQ(FormatGrpcTimeout(absl::Hours(100000)), "100000H") << "beyond eight digits of seconds";
  for (absl::Duration d : {absl::Milliseconds(1), absl::Seconds(30), absl::Hours(30)}) {
    SCOPED_TRACE(absl::FormatDuration(d));
    std::optional<absl::Duration> back = ParseGrpcTimeout(FormatGrpcTimeout(d));
    ASSERT_TRUE(back.has_value());
    EXPECT_GE(*back, d);
  }
}

}  // namespace
}  // namespace ndxp::protocol
