#include "gateway/transport/grpc_wire.h"

#include <zlib.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

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

// `text` compressed as grpc-encoding `encoding` ("gzip" or "deflate").
std::string Compress(const std::string& text, absl::string_view encoding) {
  z_stream stream{};
  deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, encoding == "gzip" ? 31 : 15, 8,
               Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, text.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST(GrpcMessageScannerTest, ACompressedMessageWithinTheLimitPassesInAnyChunking) {
  for (absl::string_view encoding : {"gzip", "deflate"}) {
    const std::string compressed = Compress(std::string(1024, 'a'), encoding);
    const std::string stream = Frame(1, compressed.size(), compressed) + Frame(0, 3, "abc");
    for (size_t chunk : {1u, 7u, 100u, 100000u}) {
      SCOPED_TRACE(absl::StrCat(encoding, " in chunks of ", chunk));
      GrpcMessageScanner scanner(1024);  // inflates to exactly the limit
      scanner.MeterInflatedSize(encoding);
      for (size_t i = 0; i < stream.size(); i += chunk) {
        ASSERT_TRUE(scanner.Feed(absl::string_view(stream).substr(i, chunk)).ok());
      }
      EXPECT_EQ(scanner.messages(), 2);
      EXPECT_TRUE(scanner.at_boundary());
    }
  }
}

// What a FirstMessageReader was given.
struct KeptFirstMessage : FirstMessageReader {
  void OnPayload(absl::string_view bytes) override { payload.append(bytes.data(), bytes.size()); }
  void OnMessageEnd(bool is_readable) override {
    ++ends;
    readable = is_readable;
  }
  std::string payload;
  int ends = 0;
  bool readable = false;
};

TEST(GrpcMessageScannerTest, PassesTheFirstMessageOnlyToItsReaderInAnyChunking) {
  const std::string first = "\x0a\x0c" "079201001234";
  const std::string stream = Frame(0, first.size(), first) + Frame(0, 5, "other");
  for (size_t chunk : {1u, 2u, 3u, 7u, 100u}) {
    SCOPED_TRACE(chunk);
    GrpcMessageScanner scanner(64);
    KeptFirstMessage kept;
    scanner.ReadFirstMessage(&kept);
    for (size_t i = 0; i < stream.size(); i += chunk) {
      ASSERT_TRUE(scanner.Feed(absl::string_view(stream).substr(i, chunk)).ok());
    }
    EXPECT_EQ(kept.payload, first);
    EXPECT_EQ(kept.ends, 1);
    EXPECT_TRUE(kept.readable);
  }
  GrpcMessageScanner empty(64);
  KeptFirstMessage nothing;
  empty.ReadFirstMessage(&nothing);
  ASSERT_TRUE(empty.Feed(Frame(0, 0)).ok());
  EXPECT_EQ(nothing.ends, 1);
  EXPECT_TRUE(nothing.readable);
  EXPECT_EQ(nothing.payload, "");
}

TEST(GrpcMessageScannerTest, PassesACompressedFirstMessageInflatedOrSaysItIsUnreadable) {
  const std::string first(40000, 'p');  // inflates into more than one scratch buffer
  for (absl::string_view encoding : {"gzip", "deflate"}) {
    const std::string compressed = Compress(first, encoding);
    const std::string stream = Frame(1, compressed.size(), compressed);
    for (size_t chunk : {1u, 7u, 100000u}) {
      SCOPED_TRACE(absl::StrCat(encoding, " in chunks of ", chunk));
      GrpcMessageScanner scanner(65536);
      scanner.MeterInflatedSize(encoding);
      KeptFirstMessage kept;
      scanner.ReadFirstMessage(&kept);
      for (size_t i = 0; i < stream.size(); i += chunk) {
        ASSERT_TRUE(scanner.Feed(absl::string_view(stream).substr(i, chunk)).ok());
      }
      EXPECT_EQ(kept.payload, first);
      EXPECT_EQ(kept.ends, 1);
      EXPECT_TRUE(kept.readable);
    }
  }
  // An encoding the scanner does not inflate, or bytes zlib cannot: unreadable.
  for (absl::string_view encoding : {"snappy", "gzip"}) {
    SCOPED_TRACE(encoding);
    GrpcMessageScanner scanner(4096);
    scanner.MeterInflatedSize(encoding);
    KeptFirstMessage kept;
    scanner.ReadFirstMessage(&kept);
    ASSERT_TRUE(scanner.Feed(Frame(1, 40, std::string(40, 'x'))).ok());
    EXPECT_EQ(kept.ends, 1);
    EXPECT_FALSE(kept.readable);
  }
}

TEST(GrpcMessageScannerTest, RefusesAGzipBombBeforeItsLastByte) {
  for (absl::string_view encoding : {"gzip", "deflate"}) {
    SCOPED_TRACE(encoding);
    // 64 MiB of zeros in ~64 KiB, far under the 1 MiB limit on the wire.
    const std::string bomb = Compress(std::string(64 << 20, '\0'), encoding);
    ASSERT_LT(bomb.size(), 1u << 20);
    const std::string stream = Frame(1, bomb.size(), bomb);
    GrpcMessageScanner scanner(1 << 20);
    scanner.MeterInflatedSize(encoding);
    absl::Status status;
    size_t fed = 0;
    while (status.ok() && fed < stream.size()) {
      status = scanner.Feed(absl::string_view(stream).substr(fed, 16384));
      fed += 16384;
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_THAT(status.message(), HasSubstr("inflates to more than the limit of 1048576 bytes"));
    EXPECT_LT(fed, stream.size()) << "refused before the connector could have it all";
  }
}

TEST(GrpcMessageScannerTest, CountsEveryGzipMemberOfAMessage) {
  // Two members of 600 bytes each: 1,200 inflated, over a limit of 1,000.
  const std::string members = Compress(std::string(600, 'a'), "gzip") +
                              Compress(std::string(600, 'b'), "gzip");
  GrpcMessageScanner scanner(1000);
  scanner.MeterInflatedSize("gzip");
  EXPECT_EQ(scanner.Feed(Frame(1, members.size(), members)).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(GrpcMessageScannerTest, LeavesWhatItCannotInflateToTheConnector) {
  // Not gzip at all: the connector answers its own error.
  GrpcMessageScanner scanner(64);
  scanner.MeterInflatedSize("gzip");
  EXPECT_TRUE(scanner.Feed(Frame(1, 40, std::string(40, 'x'))).ok());
  EXPECT_TRUE(scanner.Feed(Frame(0, 3, "abc")).ok()) << "and the next message is scanned";
  // Without grpc-encoding (or identity) nothing is inflated: no bound to keep.
  const std::string bomb = Compress(std::string(1 << 20, '\0'), "gzip");
  GrpcMessageScanner identity(bomb.size());
  identity.MeterInflatedSize("identity");
  EXPECT_TRUE(identity.Feed(Frame(1, bomb.size(), bomb)).ok());
}

}  // namespace
}  // namespace ndxp::gateway::transport
