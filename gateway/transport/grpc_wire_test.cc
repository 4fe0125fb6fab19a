#include "gateway/transport/grpc_wire.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ndxp::gateway::transport {
namespace {

using ::testing::HasSubstr;

std::string Frame(uint8_t flag, uint32_t length, std::string payload = "") {
  std::string frame = {static_cast<char>(flag), static_cast<char>(length >> 24),
                       static_cast<char>(length >> 16), static_cast<char>(length >> 8),
                       static_cast<char>(length)};
  return frame + payload;
}

TEST(GrpcMessageScannerTest, CountsMessagesInAnyChunking) {
  std::string stream = Frame(0, 3, "abc") + Frame(1, 0) + Frame(0, 5, "hello");
  for (size_t chunk : {1u, 2u, 3u, 7u, 100u}) {
    SCOPED_TRACE(chunk);
    GrpcMessageScanner scanner(16);
    for (size_t i = 0; i < stream.size(); i += chunk) {
      ASSERT_TRUE(scanner.Feed(absl::string_view(stream).substr(i, chunk)).ok());
    }
    EXPECT_EQ(scanner.messages(), 3);
    EXPECT_EQ(scanner.payload_bytes(), 8);
    EXPECT_TRUE(scanner.at_boundary());
  }
}

TEST(GrpcMessageScannerTest, RefusesAnOversizeMessageByItsPrefixAlone) {
  GrpcMessageScanner scanner(1024);
  // Only the prefix arrives: the limit is known before any payload is held.
  absl::Status status = scanner.Feed(Frame(1, 256u << 20));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("268435456 bytes"));
  EXPECT_EQ(scanner.Feed("more").code(), absl::StatusCode::kResourceExhausted) << "stays failed";
  GrpcMessageScanner exact(1024);
  EXPECT_TRUE(exact.Feed(Frame(0, 1024)).ok()) << "the limit itself is allowed";
}

TEST(GrpcMessageScannerTest, RefusesAnUnknownFlag) {
  GrpcMessageScanner scanner(1024);
  EXPECT_EQ(scanner.Feed(Frame(2, 1, "x")).code(), absl::StatusCode::kInvalidArgument);
}

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
}  // namespace ndxp::gateway::transport
