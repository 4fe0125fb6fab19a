#include "gateway/transport/frame_guard.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::transport {
namespace {

using Stream = FrameGuard::Stream;
using Use = FrameGuard::Use;
using Verdict = FrameGuard::Verdict;

FrameHeader Header(uint8_t type, uint8_t flags, int32_t stream_id, uint32_t length = 0) {
  FrameHeader header;
  header.length = length;
  header.type = type;
  header.flags = flags;
  header.stream_id = stream_id;
  return header;
}

std::string Wire(const FrameHeader& header, const std::string& payload) {
  std::string out;
  out.push_back(static_cast<char>(header.length >> 16));
  out.push_back(static_cast<char>(header.length >> 8));
  out.push_back(static_cast<char>(header.length));
  out.push_back(static_cast<char>(header.type));
  out.push_back(static_cast<char>(header.flags));
  out.push_back(static_cast<char>((header.stream_id >> 24) | 0x80));  // the reserved bit set
  out.push_back(static_cast<char>(header.stream_id >> 16));
  out.push_back(static_cast<char>(header.stream_id >> 8));
  out.push_back(static_cast<char>(header.stream_id));
  return out + payload;
}

// Feeds `wire` to a splitter in pieces of `piece` bytes as the transport
// does; the headers it finds.
std::vector<FrameHeader> Split(const std::string& wire, size_t preface, size_t piece) {
  FrameSplitter splitter(preface);
  std::vector<FrameHeader> found;
  for (size_t at = 0; at < wire.size(); at += piece) {
    const auto* data = reinterpret_cast<const uint8_t*>(wire.data()) + at;
    size_t n = std::min(piece, wire.size() - at), pos = 0;
    while (pos < n) {
      if (size_t skip = std::min(splitter.payload_left(), n - pos); skip > 0) {
        splitter.SkipPayload(skip);
        pos += skip;
        continue;
      }
      size_t need = splitter.header_bytes_needed();
      if (n - pos < need) {
        splitter.HoldHeaderBytes(data + pos, n - pos);
        break;
      }
      found.push_back(splitter.CompleteHeader(data + pos));
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(splitter.header_data()), 5),
                wire.substr(at + pos + need - FrameSplitter::kHeaderBytes, 5))
          << "the whole header is kept, whatever the cut";
      pos += need;
    }
  }
  return found;
}

TEST(FrameSplitterTest, FindsEveryHeaderWhereverReadsCutTheStream) {
  const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  ASSERT_EQ(preface.size(), kClientPrefaceBytes);
  const std::vector<FrameHeader> sent = {
      Header(frame::kSettings, 0, 0, 6), Header(frame::kHeaders, 0x5, 1, 3),
      Header(0xfa, 0, 0, 0), Header(frame::kData, 0x1, 1, 40000),
      Header(frame::kWindowUpdate, 0, 0, 4), Header(frame::kContinuation, 0x4, 0x7fffffff, 1)};
  std::string wire = preface;
  for (const FrameHeader& header : sent) wire += Wire(header, std::string(header.length, 'x'));
  for (size_t piece : {1, 2, 8, 9, 10, 17, 16384, 100000}) {
    SCOPED_TRACE(piece);
    std::vector<FrameHeader> found = Split(wire, kClientPrefaceBytes, piece);
    ASSERT_EQ(found.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
      EXPECT_EQ(found[i].length, sent[i].length);
      EXPECT_EQ(found[i].type, sent[i].type);
      EXPECT_EQ(found[i].flags, sent[i].flags);
      EXPECT_EQ(found[i].stream_id, sent[i].stream_id) << "the reserved bit is cleared";
    }
  }
}

TEST(FrameGuardTest, ClassifiesWhatAFrameDoesForACall) {
  struct Case {
    const char* what;
    FrameHeader header;
    Stream stream;
    Use use;
  };
  const uint8_t end_stream = frame::kEndStream, end_headers = frame::kEndHeaders;
  const Case cases[] = {
      {"HEADERS opening a new stream", Header(frame::kHeaders, end_headers, 5), Stream::kNone,
       Use::kUseful},
      {"HEADERS on a closed stream", Header(frame::kHeaders, end_headers | end_stream, 3),
       Stream::kNone, Use::kUseless},
      {"HEADERS on an even (server) stream id", Header(frame::kHeaders, end_headers, 8),
       Stream::kNone, Use::kUseless},
      {"trailers", Header(frame::kHeaders, end_headers | end_stream, 3), Stream::kOpen,
       Use::kUseful},
      {"HEADERS without END_STREAM on an open stream", Header(frame::kHeaders, end_headers, 3),
       Stream::kOpen, Use::kUseless},
      {"HEADERS after the caller ended its side",
       Header(frame::kHeaders, end_headers | end_stream, 3), Stream::kCallerDone, Use::kUseless},
      {"DATA", Header(frame::kData, 0, 3, 100), Stream::kOpen, Use::kUseful},
      {"empty DATA with END_STREAM (a gRPC half-close)", Header(frame::kData, end_stream, 3),
       Stream::kOpen, Use::kUseful},
      {"empty DATA without END_STREAM", Header(frame::kData, 0, 3), Stream::kOpen,
       Use::kUseless},
      {"DATA on a closed stream", Header(frame::kData, 0, 3, 100), Stream::kNone, Use::kUseless},
      {"DATA after the caller ended its side", Header(frame::kData, 0, 3, 100),
       Stream::kCallerDone, Use::kUseless},
      {"RST_STREAM of an open stream", Header(frame::kRstStream, 0, 3, 4), Stream::kOpen,
       Use::kUseful},
      {"RST_STREAM of a stream being answered", Header(frame::kRstStream, 0, 3, 4),
       Stream::kCallerDone, Use::kUseful},
      {"RST_STREAM of a closed stream", Header(frame::kRstStream, 0, 3, 4), Stream::kNone,
       Use::kUseless},
      {"WINDOW_UPDATE on the connection", Header(frame::kWindowUpdate, 0, 0, 4), Stream::kNone,
       Use::kUseless},
      {"WINDOW_UPDATE on an open stream", Header(frame::kWindowUpdate, 0, 3, 4), Stream::kOpen,
       Use::kUseless},
      {"PRIORITY", Header(frame::kPriority, 0, 3, 5), Stream::kOpen, Use::kUseless},
      {"SETTINGS", Header(frame::kSettings, 0, 0, 6), Stream::kNone, Use::kUseless},
      {"PING", Header(frame::kPing, 0, 0, 8), Stream::kNone, Use::kUseless},
      {"GOAWAY", Header(frame::kGoaway, 0, 0, 8), Stream::kNone, Use::kUseless},
      {"PUSH_PROMISE", Header(frame::kPushPromise, end_headers, 3, 4), Stream::kOpen,
       Use::kUseless},
      {"an unknown type", Header(0xfa, 0, 0), Stream::kNone, Use::kUseless},
      {"CONTINUATION without HEADERS", Header(frame::kContinuation, end_headers, 3),
       Stream::kOpen, Use::kUseless},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    FrameGuard guard({});
    guard.Classify(Header(frame::kHeaders, end_headers, 3), Stream::kNone);  // stream 3 was opened
    EXPECT_EQ(guard.Classify(c.header, c.stream), c.use);
  }
}

TEST(FrameGuardTest, AContinuationIsWhatItsHeadersIs) {
  FrameGuard guard({});
  EXPECT_EQ(guard.Classify(Header(frame::kHeaders, 0, 1), Stream::kNone), Use::kUseful);
  EXPECT_EQ(guard.Classify(Header(frame::kContinuation, 0, 1), Stream::kOpen), Use::kNeutral);
  EXPECT_EQ(guard.Classify(Header(frame::kContinuation, frame::kEndHeaders, 1), Stream::kOpen),
            Use::kNeutral);
  // The block has ended: one more is a protocol error, and does nothing.
  EXPECT_EQ(guard.Classify(Header(frame::kContinuation, 0, 1), Stream::kOpen), Use::kUseless);

  EXPECT_EQ(guard.Classify(Header(frame::kHeaders, 0, 1), Stream::kNone), Use::kUseless)
      << "stream 1 is closed";
  EXPECT_EQ(guard.Classify(Header(frame::kContinuation, 0, 1), Stream::kNone), Use::kUseless);
  EXPECT_EQ(guard.Classify(Header(frame::kContinuation, 0, 3), Stream::kNone), Use::kUseless)
      << "another stream's";
}

TEST(FrameGuardTest, UselessFramesPastTheAllowanceAreAFlood) {
  FrameGuard::Limits limits;
  limits.useless_frames = 100;
  FrameGuard guard(limits);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(guard.OnFrame(Header(0xfa, 0, 0), Stream::kNone, 0.0), Verdict::kPass) << i;
  }
  EXPECT_EQ(guard.OnFrame(Header(0xfa, 0, 0), Stream::kNone, 0.0), Verdict::kUselessFrames);
  EXPECT_EQ(guard.useless(), 101u);
}

TEST(FrameGuardTest, EachUsefulFrameAllowsMore) {
  FrameGuard::Limits limits;
  limits.useless_frames = 10;
  limits.useless_per_useful = 4;
  FrameGuard guard(limits);
  // Five calls (HEADERS and DATA with END_STREAM each), and three DATA
  // frames of answers: 13 useful frames, 10 + 52 useless ones allowed.
  for (int32_t id = 1; id <= 9; id += 2) {
    ASSERT_EQ(guard.OnFrame(Header(frame::kHeaders, frame::kEndHeaders, id), Stream::kNone, 0),
              Verdict::kPass);
    ASSERT_EQ(guard.OnFrame(Header(frame::kData, frame::kEndStream, id, 5), Stream::kOpen, 0),
              Verdict::kPass);
  }
  for (int i = 0; i < 3; ++i) guard.OnDataSent(0);
  EXPECT_EQ(guard.useful(), 13u);
  for (int i = 0; i < 62; ++i) {
    ASSERT_EQ(guard.OnFrame(Header(frame::kWindowUpdate, 0, 0, 4), Stream::kNone, 1.0),
              Verdict::kPass)
        << i;
  }
  EXPECT_EQ(guard.OnFrame(Header(frame::kWindowUpdate, 0, 0, 4), Stream::kNone, 1.0),
            Verdict::kUselessFrames);
}

TEST(FrameGuardTest, CountsLastFromTheWindowBeforeAndAreForgottenAfterTwo) {
  FrameGuard::Limits limits;
  limits.useless_frames = 10;
  limits.useless_per_useful = 1;
  limits.window_seconds = 10;
  FrameGuard guard(limits);
  for (int i = 0; i < 10; ++i) guard.OnDataSent(0.0);  // a burst of answers starts a window
  // Late WINDOW_UPDATEs and resets of streams just closed, in the next
  // window: weighed against the burst of the window before.
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(guard.OnFrame(Header(frame::kRstStream, 0, 1, 4), Stream::kNone, 10.5),
              Verdict::kPass)
        << i;
  }
  EXPECT_EQ(guard.useful(), 10u);
  EXPECT_EQ(guard.useless(), 20u);
  // A window on, the burst no longer counts, and the late frames still do.
  EXPECT_EQ(guard.OnFrame(Header(frame::kPing, 0, 0, 8), Stream::kNone, 20.5),
            Verdict::kUselessFrames);
  EXPECT_EQ(guard.useful(), 0u);
  EXPECT_EQ(guard.useless(), 21u);
  // After a pause of two windows, both start afresh.
  EXPECT_EQ(guard.OnFrame(Header(frame::kPing, 0, 0, 8), Stream::kNone, 45.0), Verdict::kPass);
  EXPECT_EQ(guard.useless(), 1u);
}

TEST(FrameGuardTest, TheNinthContinuationOfABlockIsRefusedBeforeNghttp2FailsOnIt) {
  FrameGuard guard({});
  for (int block = 0; block < 3; ++block) {
    SCOPED_TRACE(block);
    const int32_t id = 1 + 2 * block;
    ASSERT_EQ(guard.OnFrame(Header(frame::kHeaders, 0, id, 100), Stream::kNone, 0),
              Verdict::kPass);
    for (int i = 0; i < 7; ++i) {
      ASSERT_EQ(guard.OnFrame(Header(frame::kContinuation, 0, id, 100), Stream::kOpen, 0),
                Verdict::kPass);
    }
    // The eighth ends the block: a block of 8 passes, and the count starts
    // again with the next HEADERS.
    ASSERT_EQ(guard.OnFrame(Header(frame::kContinuation, frame::kEndHeaders, id, 100),
                            Stream::kOpen, 0),
              Verdict::kPass);
  }
  ASSERT_EQ(guard.OnFrame(Header(frame::kHeaders, 0, 7, 100), Stream::kNone, 0), Verdict::kPass);
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(guard.OnFrame(Header(frame::kContinuation, 0, 7, 100), Stream::kOpen, 0),
              Verdict::kPass);
  }
  EXPECT_EQ(guard.OnFrame(Header(frame::kContinuation, frame::kEndHeaders, 7, 100),
                          Stream::kOpen, 0),
            Verdict::kContinuationFrames)
      << "nghttp2 counts the 9th before it looks at END_HEADERS";
  EXPECT_EQ(guard.continuations(), 9u);
}

TEST(FrameGuardTest, HeadersOnAClosedStreamAreAFloodLikeAnyUselessFrame) {
  // The attack of issue 18: one call, then HEADERS on its closed stream,
  // each a 16 KiB block nghttp2 decodes and drops (the count of such
  // blocks, below, out of reach).
  FrameGuard::Limits limits;
  limits.useless_frames = 100;
  limits.useless_per_useful = 4;
  limits.wasted_header_frames = 1000;
  FrameGuard guard(limits);
  ASSERT_EQ(guard.OnFrame(Header(frame::kSettings, 0, 0, 0), Stream::kNone, 0), Verdict::kPass);
  ASSERT_EQ(guard.OnFrame(Header(frame::kHeaders, frame::kEndHeaders, 1, 200), Stream::kNone, 0),
            Verdict::kPass);
  ASSERT_EQ(guard.OnFrame(Header(frame::kData, frame::kEndStream, 1, 10), Stream::kOpen, 0),
            Verdict::kPass);
  guard.OnDataSent(0);  // the refusal's trailers-only answer is HEADERS: no DATA; say one
  int passed = 0;
  while (guard.OnFrame(Header(frame::kHeaders, frame::kEndHeaders | frame::kEndStream, 1, 16384),
                       Stream::kNone, 1) == Verdict::kPass) {
    ASSERT_LT(++passed, 1000);
  }
  EXPECT_EQ(passed, 100 + 4 * 3 - 1) << "the SETTINGS counts as well";
}

TEST(FrameGuardTest, HeaderFramesDecodedForNothingPastTheLimitAreAFloodWhateverElseComes) {
  // Issue 18's HPACK amplification: each 16 KiB frame of references costs
  // the hub about 1 ms, so a handful ends the connection, however many
  // calls the caller makes besides (no allowance per useful frame).
  FrameGuard::Limits limits;
  limits.wasted_header_frames = 10;
  FrameGuard guard(limits);
  for (int32_t id = 1; id <= 99; id += 2) {  // 50 calls
    ASSERT_EQ(guard.OnFrame(Header(frame::kHeaders, frame::kEndHeaders | frame::kEndStream, id,
                                   100),
                            Stream::kNone, 0),
              Verdict::kPass);
  }
  // A block on a closed stream: its HEADERS and its CONTINUATION, 2.
  ASSERT_EQ(guard.OnFrame(Header(frame::kHeaders, frame::kEndStream, 1, 16384), Stream::kNone, 1),
            Verdict::kPass);
  ASSERT_EQ(guard.OnFrame(Header(frame::kContinuation, frame::kEndHeaders, 1, 16384),
                          Stream::kNone, 1),
            Verdict::kPass);
  EXPECT_EQ(guard.wasted_header_frames(), 2u);
  // A call whose block goes past the header list limit in its HEADERS (the
  // transport says so while nghttp2 decodes it): that frame and the block's
  // 3 CONTINUATION frames, 4.
  ASSERT_EQ(guard.OnFrame(Header(frame::kHeaders, frame::kEndStream, 101, 16384), Stream::kNone,
                          1),
            Verdict::kPass);
  ASSERT_EQ(guard.OnHeaderBlockOverLimit(1), Verdict::kPass);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(guard.OnFrame(Header(frame::kContinuation, i == 2 ? frame::kEndHeaders : 0, 101,
                                   16384),
                            Stream::kOpen, 1),
              Verdict::kPass);
  }
  EXPECT_EQ(guard.wasted_header_frames(), 6u);
  // The next call's block is within the limit: its CONTINUATION is not counted.
  ASSERT_EQ(guard.OnFrame(Header(frame::kHeaders, frame::kEndStream, 103, 100), Stream::kNone, 1),
            Verdict::kPass);
  ASSERT_EQ(guard.OnFrame(Header(frame::kContinuation, frame::kEndHeaders, 103, 100),
                          Stream::kOpen, 1),
            Verdict::kPass);
  EXPECT_EQ(guard.wasted_header_frames(), 6u);
  // A call whose block goes past the limit in its last frame: that one.
  ASSERT_EQ(guard.OnFrame(Header(frame::kHeaders, frame::kEndHeaders | frame::kEndStream, 105,
                                 16384),
                          Stream::kNone, 1),
            Verdict::kPass);
  ASSERT_EQ(guard.OnHeaderBlockOverLimit(1), Verdict::kPass);
  EXPECT_EQ(guard.wasted_header_frames(), 7u);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(guard.OnHeaderBlockOverLimit(1), Verdict::kPass);
  EXPECT_EQ(guard.OnHeaderBlockOverLimit(1), Verdict::kWastedHeaderFrames);
  EXPECT_EQ(guard.OnFrame(Header(frame::kHeaders, frame::kEndHeaders, 3, 16384), Stream::kNone,
                          1),
            Verdict::kWastedHeaderFrames)
      << "on a closed stream: judged before nghttp2 decodes it";
  EXPECT_EQ(guard.OnFrame(Header(frame::kHeaders, frame::kEndHeaders, 107, 16384),
                          Stream::kOpen, 1),
            Verdict::kWastedHeaderFrames)
      << "without END_STREAM on an open stream";
}

TEST(FrameGuardTest, WastedHeaderFramesAreForgottenAfterTwoWindows) {
  FrameGuard::Limits limits;
  limits.wasted_header_frames = 3;
  limits.window_seconds = 10;
  FrameGuard guard(limits);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(guard.OnHeaderBlockOverLimit(0), Verdict::kPass);
  EXPECT_EQ(guard.OnHeaderBlockOverLimit(15), Verdict::kWastedHeaderFrames)
      << "the window before still counts";
  EXPECT_EQ(guard.OnHeaderBlockOverLimit(40), Verdict::kPass);
  EXPECT_EQ(guard.wasted_header_frames(), 1u);
}

}  // namespace
}  // namespace ndxp::gateway::transport
