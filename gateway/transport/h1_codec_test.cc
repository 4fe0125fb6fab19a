#include "gateway/transport/h1_codec.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::transport {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Records what the codec reports as lines ("head 1 POST /x", "end 1 hello",
// "bad - obs_fold") and, with `answer_at_end`, answers each request when its
// body ends: 200, "ok <id>".
class RecordingHandler : public H1RequestHandler {
 public:
  void OnRequestHead(const H1RequestHead& head) override {
    heads.push_back(head);
    events.push_back(absl::StrCat("head ", head.id, " ", head.method, " ", head.target));
  }
  void OnRequestBody(H1RequestId id, const char* data, size_t n) override {
    bodies[id].append(data, n);
  }
  void OnRequestEnd(H1RequestId id) override {
    events.push_back(absl::StrCat("end ", id, " ", bodies[id]));
    if (answer_at_end) Answer(id);
  }
  void OnBadRequest(std::optional<H1RequestId> id, H1Refusal refusal) override {
    events.push_back(
        absl::StrCat("bad ", id.has_value() ? absl::StrCat(*id) : "-", " ", H1RefusalName(refusal)));
  }

  void Answer(H1RequestId id) {
    const std::string body = absl::StrCat("ok ", id);
    ASSERT_TRUE(codec->WriteResponseHead(id, 200, {{"content-type", "text/plain"}}, body.size()).ok());
    ASSERT_TRUE(codec->WriteBody(id, body).ok());
    ASSERT_TRUE(codec->WriteEnd(id).ok());
  }

  H1ServerCodec* codec = nullptr;
  bool answer_at_end = true;
  std::vector<std::string> events;
  std::vector<H1RequestHead> heads;
  std::map<H1RequestId, std::string> bodies;
};

H1CodecOptions SmallLimits() {
  H1CodecOptions options;
  options.limits.max_head_bytes = 512;
  options.limits.max_target_bytes = 64;
  options.limits.max_body_bytes = 16;
  options.limits.max_pipelined_requests = 4;
  options.authorities = {"hub.example.gov", "hub.example.gov:443"};
  return options;
}

// A codec and its handler; Feed hands bytes over `step` at a time, as reads
// that cut anywhere would, and keeps what the codec did not take.
struct Connection {
  explicit Connection(H1CodecOptions options = SmallLimits()) : codec(std::move(options), &handler) {
    handler.codec = &codec;
  }
  void Feed(const std::string& bytes, size_t step = SIZE_MAX) {
    unread += bytes;
    size_t at = 0;
    while (at < unread.size() && codec.WantsInput()) {
      const size_t n = std::min(step, unread.size() - at);
      const size_t used = codec.Feed(unread.data() + at, n);
      at += used;
      if (used < n) break;  // back-pressure
    }
    if (!codec.WantsInput() && codec.Finished()) at = unread.size();
    unread.erase(0, at);
    output += codec.TakeOutput();
  }
  RecordingHandler handler;
  H1ServerCodec codec;
  std::string unread;
  std::string output;
};

std::string Repeat(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

int Count(const std::string& text, const std::string& what) {
  int count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

TEST(H1ServerCodecTest, ReportsAGetAndWritesItsAnswer) {
  Connection c;
  c.Feed("GET /v1/things?x=1 HTTP/1.1\r\nHost: hub.example.gov\r\nX-Request-Id: r1\r\n\r\n");
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 GET /v1/things?x=1", "end 1 "));
  const H1RequestHead& head = c.handler.heads[0];
  EXPECT_EQ(head.version_minor, 1);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_FALSE(head.content_length.has_value());
  EXPECT_FALSE(head.chunked);
  EXPECT_EQ(head.Field("x-request-id"), "r1");  // names lower-cased
  EXPECT_EQ(head.Field("host"), "hub.example.gov");
  EXPECT_EQ(c.output,
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 4\r\n\r\nok 1");
  EXPECT_TRUE(c.codec.WantsInput());
  EXPECT_TRUE(c.codec.Idle());
  EXPECT_FALSE(c.codec.Finished());
}

TEST(H1ServerCodecTest, ReportsAPostWithItsBody) {
  Connection c;
  c.Feed("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 POST /a", "end 1 hello"));
  EXPECT_EQ(c.handler.heads[0].content_length, 5u);
}

TEST(H1ServerCodecTest, ReportsAChunkedBodyAndDropsTrailers) {
  Connection c;
  c.Feed("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5;name=value\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n"
         "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 POST /a", "end 1 hello!", "head 2 GET /b", "end 2 "));
  EXPECT_TRUE(c.handler.heads[0].chunked);
  EXPECT_FALSE(c.handler.heads[0].Field("x-trailer").has_value());
  EXPECT_EQ(Count(c.output, "HTTP/1.1 200 OK"), 2);
}

TEST(H1ServerCodecTest, FramingFieldsInTrailersFrameNothing) {
  Connection c;
  c.Feed("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n"
         "0\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n"
         "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 POST /a", "end 1 x", "head 2 GET /b", "end 2 "));
}

TEST(H1ServerCodecTest, KeepsAnHttp10ConnectionWithABody) {
  Connection c;
  c.Feed("POST /a HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi"
         "\r\nGET /b HTTP/1.0\r\n\r\n");  // a CRLF after a body, as old clients send
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 POST /a", "end 1 hi", "head 2 GET /b", "end 2 "));
  EXPECT_THAT(c.output, HasSubstr("connection: keep-alive\r\n\r\nok 1HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(c.codec.Finished());  // the second asked for no keep-alive
}

TEST(H1ServerCodecTest, AContinueForALaterRequestWaitsForTheEarlierAnswers) {
  Connection c;
  c.handler.answer_at_end = false;
  c.Feed("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
         "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(c.codec.ContinueBody(2).ok());
  EXPECT_EQ(c.codec.TakeOutput(), "");
  c.handler.Answer(1);
  EXPECT_THAT(c.codec.TakeOutput(), testing::EndsWith("ok 1HTTP/1.1 100 Continue\r\n\r\n"));
}

TEST(H1ServerCodecTest, TransferCodingNamesAreCaseInsensitive) {
  Connection c;
  c.Feed("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 POST /a", "end 1 hi"));
}

TEST(H1ServerCodecTest, SkipsEmptyLinesBeforeARequest) {
  Connection c;
  c.Feed("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 GET /", "end 1 "));
}

// Every case fed whole and one byte at a time must give the same events and
// the same bytes out.
TEST(H1ServerCodecTest, ByteAtATimeIsTheSameAsWhole) {
  const std::vector<std::string> inputs = {
      "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n",
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: h\r\n\r\n",
      "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
      "GET / HTTP/1.1\nHost: h\n\n",
      "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n",
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 99\r\n\r\n",
      "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n9\r\n",
      "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
  };
  for (const std::string& input : inputs) {
    SCOPED_TRACE(input);
    Connection whole, bytewise;
    whole.Feed(input);
    for (char byte : input) bytewise.Feed(std::string(1, byte), 1);
    EXPECT_EQ(whole.handler.events, bytewise.handler.events);
    EXPECT_EQ(whole.output, bytewise.output);
    EXPECT_EQ(whole.codec.Finished(), bytewise.codec.Finished());
  }
}

TEST(H1ServerCodecTest, KeepAliveFollowsTheVersionAndConnection) {
  struct Case {
    std::string request;
    bool keep_alive;
    std::string connection_field;  // in the answer, or "" for none
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true, ""},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false, "connection: close\r\n"},
      {"GET / HTTP/1.0\r\n\r\n", false, "connection: close\r\n"},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, "connection: keep-alive\r\n"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.request);
    Connection c;
    c.Feed(test.request + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(c.handler.heads[0].keep_alive, test.keep_alive);
    EXPECT_EQ(c.handler.heads.size(), test.keep_alive ? 2u : 1u);  // nothing read after a close
    EXPECT_EQ(c.codec.Finished(), !test.keep_alive);
    if (test.connection_field.empty()) {
      EXPECT_THAT(c.output, Not(HasSubstr("connection:")));
    } else {
      EXPECT_THAT(c.output, HasSubstr(test.connection_field));
    }
  }
}

TEST(H1ServerCodecTest, PipelinedAnswersGoOutInRequestOrder) {
  Connection c;
  c.handler.answer_at_end = false;
  c.Feed("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
         "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(c.handler.heads.size(), 3u);
  c.handler.Answer(3);
  c.handler.Answer(2);
  c.output += c.codec.TakeOutput();
  EXPECT_EQ(c.output, "");  // held until the first is answered
  const size_t answer_bytes = c.codec.held_bytes() / 2;
  EXPECT_GT(answer_bytes, 0u);
  c.handler.Answer(1);
  EXPECT_EQ(c.codec.held_bytes(), 3 * answer_bytes);
  c.output += c.codec.TakeOutput();
  EXPECT_EQ(c.codec.held_bytes(), 0u);
  const size_t first = c.output.find("ok 1"), second = c.output.find("ok 2"),
               third = c.output.find("ok 3");
  ASSERT_NE(third, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_TRUE(c.codec.Idle());
}

TEST(H1ServerCodecTest, AFullPipelineStopsReadingWithoutRefusing) {
  H1CodecOptions options = SmallLimits();
  options.limits.max_pipelined_requests = 2;
  Connection c(options);
  c.handler.answer_at_end = false;
  const std::string request = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  c.Feed(request + request + request);
  EXPECT_EQ(c.handler.heads.size(), 2u);
  EXPECT_FALSE(c.codec.WantsInput());
  EXPECT_EQ(c.unread, request);  // back-pressure: left for later, not refused
  c.handler.Answer(1);
  EXPECT_TRUE(c.codec.WantsInput());
  c.Feed("");
  EXPECT_EQ(c.handler.heads.size(), 3u);
  EXPECT_THAT(c.handler.events, Not(testing::Contains(StartsWith("bad"))));
}

// What the codec refuses, fed whole and one byte at a time: the status,
// Connection: close, no request reported past it, and nothing read after it.
TEST(H1ServerCodecTest, RefusesAmbiguousOrMalformedRequests) {
  struct Case {
    std::string name;
    std::string request;
    int status;
    std::string refusal;
  };
  const std::string host = "Host: h\r\n";
  const Case cases[] = {
      {"content-length and transfer-encoding",
       "POST / HTTP/1.1\r\n" + host + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       400, "ambiguous_length"},
      {"transfer-encoding and content-length",
       "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
       400, "ambiguous_length"},
      {"two equal content-lengths",
       "POST / HTTP/1.1\r\n" + host + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400,
       "ambiguous_length"},
      {"two content-lengths", "POST / HTTP/1.1\r\n" + host + "Content-Length: 3\r\nContent-Length: 4\r\n\r\n",
       400, "ambiguous_length"},
      {"a content-length list", "POST / HTTP/1.1\r\n" + host + "Content-Length: 3, 3\r\n\r\nabc", 400,
       "bad_content_length"},
      {"a signed content-length", "POST / HTTP/1.1\r\n" + host + "Content-Length: +3\r\n\r\nabc", 400,
       "bad_content_length"},
      {"gzip, chunked", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
       400, "bad_transfer_encoding"},
      {"chunked twice",
       "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       400, "bad_transfer_encoding"},
      {"identity", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: identity\r\n\r\n", 400,
       "bad_transfer_encoding"},
      {"transfer-encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400, "bad_transfer_encoding"},
      {"space before the colon", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding : chunked\r\n\r\n",
       400, "bad_field_name"},
      {"obs-fold", "GET / HTTP/1.1\r\n" + host + "X-A: a\r\n b\r\n\r\n", 400, "obs_fold"},
      {"obs-fold with a tab", "GET / HTTP/1.1\r\n" + host + "X-A: a\r\n\tb\r\n\r\n", 400, "obs_fold"},
      {"obs-fold hiding transfer-encoding",
       "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n",
       400, "obs_fold"},
      {"whitespace before the first field", "GET / HTTP/1.1\r\n " + host + "\r\n", 400, "malformed"},
      {"bare LF", "GET / HTTP/1.1\n" + host + "\n", 400, "bare_line_feed"},
      {"bare LF in a field", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400, "bare_line_feed"},
      {"bare CR", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400, "bare_line_feed"},
      {"NUL in a value", std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 34), 400,
       "control_byte"},
      {"escape in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x1b" "b\r\n\r\n", 400, "control_byte"},
      {"empty field name", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400, "bad_field_name"},
      {"missing host", "GET / HTTP/1.1\r\n\r\n", 400, "bad_host"},
      {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "bad_host"},
      {"a host with a slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "bad_host"},
      {"absolute-form elsewhere", "GET https://evil.example/x HTTP/1.1\r\n" + host + "\r\n", 400,
       "foreign_target"},
      {"asterisk-form", "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", 400, "unsupported_target"},
      {"a fragment", "GET /a#b HTTP/1.1\r\n" + host + "\r\n", 400, "unsupported_target"},
      {"CONNECT", "CONNECT hub.example.gov:443 HTTP/1.1\r\n" + host + "\r\n", 400,
       "unsupported_method"},
      {"HTTP/2.0", "GET / HTTP/2.0\r\n" + host + "\r\n", 505, "unsupported_version"},
      {"two spaces", "GET  / HTTP/1.1\r\n" + host + "\r\n", 400, "malformed"},
      {"an unknown method", "BREW / HTTP/1.1\r\n" + host + "\r\n", 400, "malformed"},
      {"expect something else", "POST / HTTP/1.1\r\n" + host + "Expect: 200-ok\r\n\r\n", 417,
       "expectation_failed"},
      {"a negative chunk size",
       "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400,
       "bad_chunk"},
      {"a hex prefix", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n",
       400, "bad_chunk"},
      {"chunk data longer than its size",
       "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n", 400,
       "bad_chunk"},
      {"a chunk size line with a bare LF",
       "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n3;x\nabc\r\n0\r\n\r\n", 400,
       "bad_chunk"},
      {"a space after a chunk size",
       "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n", 400,
       "bad_chunk"},
      {"obs-fold in trailers",
       "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n0\r\nT: a\r\n b\r\n\r\n", 400,
       "obs_fold"},
      {"a head over the limit", "GET / HTTP/1.1\r\n" + host + "X: " + std::string(600, 'a') + "\r\n\r\n",
       431, "head_too_large"},
      {"endless empty lines", Repeat("\r\n", 300), 431, "head_too_large"},
      {"a target over the limit", "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n" + host + "\r\n",
       414, "target_too_long"},
      {"a content-length over the limit",
       "POST / HTTP/1.1\r\n" + host + "Content-Length: 17\r\n\r\n", 413, "body_too_large"},
      {"a chunk over the limit",
       "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n11\r\n", 413, "body_too_large"},
      {"chunks over the limit",
       "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n9\r\n", 413,
       "body_too_large"},
      {"a chunk size that overflows",
       "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n1000000000000000000000001\r\n",
       413, "body_too_large"},
  };
  const std::string next = "GET /after HTTP/1.1\r\nHost: h\r\n\r\n";
  for (const Case& test : cases) {
    for (size_t step : {SIZE_MAX, size_t{1}}) {
      SCOPED_TRACE(absl::StrCat(test.name, step == 1 ? ", byte at a time" : ""));
      Connection c;
      c.handler.answer_at_end = false;
      c.Feed(test.request + next, step);
      EXPECT_THAT(c.output, StartsWith(absl::StrCat("HTTP/1.1 ", test.status, " ")));
      EXPECT_THAT(c.output, HasSubstr("connection: close\r\n"));
      EXPECT_EQ(Count(c.output, "HTTP/1.1 "), 1);
      ASSERT_FALSE(c.handler.events.empty());
      EXPECT_THAT(c.handler.events.back(), testing::EndsWith(" " + test.refusal));
      for (const std::string& event : c.handler.events) EXPECT_THAT(event, Not(HasSubstr("/after")));
      EXPECT_TRUE(c.codec.Finished());
      EXPECT_FALSE(c.codec.WantsInput());
    }
  }
}

TEST(H1ServerCodecTest, AcceptsAnAbsoluteFormTargetNamingTheHub) {
  Connection c;
  c.Feed("GET https://HUB.example.gov:443/v1/x?y=1 HTTP/1.1\r\nHost: other\r\n\r\n");
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 GET /v1/x?y=1", "end 1 "));
}

TEST(H1ServerCodecTest, ARefusalAnswersEarlierRequestsFirst) {
  Connection c;
  c.handler.answer_at_end = false;
  c.Feed("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n");
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 GET /1", "end 1 ", "bad - obs_fold"));
  EXPECT_EQ(c.output, "");  // the refusal waits for the first answer
  EXPECT_FALSE(c.codec.Finished());
  c.handler.Answer(1);
  c.output += c.codec.TakeOutput();
  EXPECT_THAT(c.output, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(c.output, HasSubstr("ok 1HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_TRUE(c.codec.Finished());
}

TEST(H1ServerCodecTest, AChunkedBodyOverTheLimitAbandonsItsRequest) {
  Connection c;
  c.Feed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n9\r\n");
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 POST /", "bad 1 body_too_large"));
  EXPECT_EQ(c.handler.bodies[1], "12345678");  // never more than the limit
  EXPECT_THAT(c.output, StartsWith("HTTP/1.1 413 Payload Too Large\r\n"));
  EXPECT_EQ(c.codec.WriteResponseHead(1, 200, {}, 0).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(H1ServerCodecTest, ContinueIsWrittenOnlyWhenTheHandlerAdmits) {
  Connection c;
  c.Feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(c.handler.heads.size(), 1u);
  EXPECT_TRUE(c.handler.heads[0].expect_continue);
  EXPECT_EQ(c.codec.TakeOutput(), "");
  ASSERT_TRUE(c.codec.ContinueBody(1).ok());
  EXPECT_EQ(c.codec.TakeOutput(), "HTTP/1.1 100 Continue\r\n\r\n");
  c.Feed("hello");
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 POST /", "end 1 hello"));
  EXPECT_THAT(c.output, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(c.output, Not(HasSubstr("connection")));  // kept
}

TEST(H1ServerCodecTest, ARefusedContinueClosesAfterTheAnswer) {
  Connection c;
  c.handler.answer_at_end = false;
  c.Feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(c.codec.WriteResponseHead(1, 403, {}, 0).ok());
  ASSERT_TRUE(c.codec.WriteEnd(1).ok());
  c.output += c.codec.TakeOutput();
  EXPECT_EQ(c.output, "HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  EXPECT_TRUE(c.codec.Finished());
  c.Feed("helloGET / HTTP/1.1\r\nHost: h\r\n\r\n");  // the body, if it comes, is dropped
  EXPECT_EQ(c.handler.heads.size(), 1u);
}

TEST(H1ServerCodecTest, ExpectIsIgnoredInHttp10) {
  Connection c;
  c.Feed("POST / HTTP/1.0\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\nx");
  EXPECT_FALSE(c.handler.heads[0].expect_continue);
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 POST /", "end 1 x"));
}

TEST(H1ServerCodecTest, WritesChunkedAnswers) {
  Connection c;
  c.handler.answer_at_end = false;
  c.Feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(c.codec.WriteResponseHead(1, 200, {{"content-type", "application/json"}}, kH1Chunked).ok());
  ASSERT_TRUE(c.codec.WriteBody(1, "{\"a\":").ok());
  ASSERT_TRUE(c.codec.WriteBody(1, "").ok());  // no empty chunk: that one ends the body
  ASSERT_TRUE(c.codec.WriteBody(1, std::string(16, 'x')).ok());
  ASSERT_TRUE(c.codec.WriteEnd(1).ok());
  EXPECT_EQ(c.codec.TakeOutput(),
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            "5\r\n{\"a\":\r\n10\r\nxxxxxxxxxxxxxxxx\r\n0\r\n\r\n");
}

TEST(H1ServerCodecTest, WritesNoBodyForHeadAnd204) {
  Connection c;
  c.handler.answer_at_end = false;
  c.Feed("HEAD / HTTP/1.1\r\nHost: h\r\n\r\nDELETE / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(c.codec.WriteResponseHead(1, 200, {}, 3).ok());
  ASSERT_TRUE(c.codec.WriteBody(1, "abc").ok());
  ASSERT_TRUE(c.codec.WriteEnd(1).ok());
  ASSERT_TRUE(c.codec.WriteResponseHead(2, 204, {}, 0).ok());
  ASSERT_TRUE(c.codec.WriteEnd(2).ok());
  EXPECT_EQ(c.codec.TakeOutput(),
            "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
}

TEST(H1ServerCodecTest, AnswersHeadWithoutBodyOrChunkTerminator) {
  Connection c;
  c.handler.answer_at_end = false;
  c.Feed("HEAD / HTTP/1.1\r\nHost: h\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(c.codec.WriteResponseHead(1, 200, {}, 10).ok());
  ASSERT_TRUE(c.codec.WriteEnd(1).ok());  // the GET's length, no body
  ASSERT_TRUE(c.codec.WriteResponseHead(2, 200, {}, kH1Chunked).ok());
  ASSERT_TRUE(c.codec.WriteEnd(2).ok());
  EXPECT_EQ(c.codec.TakeOutput(),
            "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n"
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
  EXPECT_FALSE(c.codec.Finished());
}

TEST(H1ServerCodecTest, IgnoresUpgrade) {
  // The hub switches to no other protocol (RFC 9110 section 7.8 lets a
  // server ignore Upgrade); the next request is read as HTTP/1.1.
  Connection c;
  c.Feed("GET /1 HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n"
         "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 GET /1", "end 1 ", "head 2 GET /2", "end 2 "));
  EXPECT_EQ(Count(c.output, "HTTP/1.1 200 OK"), 2);
  EXPECT_THAT(c.output, Not(HasSubstr("101")));
  c.Feed("POST /3 HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
         "Content-Length: 2\r\n\r\nhiGET /4 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_THAT(c.handler.events, testing::IsSupersetOf({"end 3 hi", "end 4 "}));
}

TEST(H1ServerCodecTest, RefusesResponsesItCannotFrame) {
  Connection c;
  c.handler.answer_at_end = false;
  c.Feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(c.codec.WriteResponseHead(1, 200, {}, kH1Chunked).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.codec.WriteResponseHead(1, 200, {{"content-length", "3"}}, 3).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.codec.WriteResponseHead(1, 200, {{"x-a", "b\r\nset-cookie: c"}}, 3).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.codec.WriteResponseHead(1, 100, {}, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.codec.WriteResponseHead(7, 200, {}, 0).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c.codec.TakeOutput(), "");  // none wrote anything
  ASSERT_TRUE(c.codec.WriteResponseHead(1, 200, {}, 3).ok());
  EXPECT_EQ(c.codec.WriteBody(1, "abcd").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(c.codec.WriteBody(1, "ab").ok());
  // Short of its Content-Length: the peer sees it cut short, then the close.
  EXPECT_EQ(c.codec.WriteEnd(1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(c.codec.Finished());
}

TEST(H1ServerCodecTest, AnAnswerBeforeTheBodyEndsClosesTheConnection) {
  Connection c;
  c.handler.answer_at_end = false;
  c.Feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhello");
  ASSERT_TRUE(c.codec.WriteResponseHead(1, 200, {}, 0).ok());
  EXPECT_THAT(c.codec.TakeOutput(), HasSubstr("connection: close\r\n"));
  c.Feed("world");
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 POST /", "end 1 helloworld"));
  ASSERT_TRUE(c.codec.WriteEnd(1).ok());
  EXPECT_TRUE(c.codec.Finished());
}

TEST(H1ServerCodecTest, AnswersFromInsideTheHeadCallbackKeepTheConnection) {
  // A refusal written at once, as admission may: the request had no body.
  struct Refuser : RecordingHandler {
    void OnRequestHead(const H1RequestHead& head) override {
      RecordingHandler::OnRequestHead(head);
      ASSERT_TRUE(codec->WriteResponseHead(head.id, 403, {}, 0).ok());
      ASSERT_TRUE(codec->WriteEnd(head.id).ok());
    }
  } handler;
  H1ServerCodec codec(SmallLimits(), &handler);
  handler.codec = &codec;
  handler.answer_at_end = false;
  const std::string input = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(codec.Feed(input.data(), input.size()), input.size());
  EXPECT_THAT(handler.events, ElementsAre("head 1 GET /1", "end 1 ", "head 2 GET /2", "end 2 "));
  EXPECT_EQ(Count(codec.TakeOutput(), "HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n"), 2);
  EXPECT_FALSE(codec.Finished());
}

TEST(H1ServerCodecTest, APeerThatEndsMidRequestAbandonsIt) {
  Connection c;
  c.Feed("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nabc");
  c.codec.FeedEof();
  c.output += c.codec.TakeOutput();
  EXPECT_THAT(c.handler.events, ElementsAre("head 1 GET /1", "end 1 ", "head 2 POST /2", "bad 2 incomplete"));
  EXPECT_EQ(Count(c.output, "HTTP/1.1 "), 1);  // the complete request is still answered
  EXPECT_TRUE(c.codec.Finished());
}

TEST(H1ServerCodecTest, TimeoutStatesFollowTheHead) {
  Connection c;
  c.handler.answer_at_end = false;
  EXPECT_TRUE(c.codec.Idle());
  c.Feed("GET / HT");
  EXPECT_TRUE(c.codec.InHead());
  EXPECT_FALSE(c.codec.Idle());
  c.Feed("TP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_FALSE(c.codec.InHead());
  EXPECT_FALSE(c.codec.Idle());  // answer owed
  c.handler.Answer(1);
  EXPECT_TRUE(c.codec.Idle());
}

TEST(H1RefusalTest, EveryRefusalHasANameAndAReason) {
  for (int i = 0; i <= static_cast<int>(H1Refusal::kIncomplete); ++i) {
    const auto refusal = static_cast<H1Refusal>(i);
    EXPECT_FALSE(H1RefusalName(refusal).empty());
    EXPECT_FALSE(H1RefusalReason(refusal).empty());
    if (i > 0) {
      EXPECT_NE(H1RefusalName(refusal), "malformed") << i;
    }
  }
}

}  // namespace
}  // namespace ndxp::gateway::transport
