#include "gateway/transport/h1_deadlines.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::transport {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Answers every request at once: 200, no body.
class Answering : public H1RequestHandler {
 public:
  void OnRequestHead(const H1RequestHead&) override {}
  void OnRequestBody(H1RequestId, const char*, size_t) override {}
  void OnRequestEnd(H1RequestId id) override {
    if (!answer) return;
    ASSERT_TRUE(codec->WriteResponseHead(id, 200, {}, 0).ok());
    ASSERT_TRUE(codec->WriteEnd(id).ok());
  }
  void OnBadRequest(std::optional<H1RequestId>, H1Refusal) override {}
  H1ServerCodec* codec = nullptr;
  bool answer = true;
};

class H1DeadlinesTest : public ::testing::Test {
 protected:
  H1DeadlinesTest() : codec_(H1CodecOptions(), &handler_) { handler_.codec = &codec_; }

  // What the connection does for each read: feed, then look at the timer.
  H1Deadlines::Deadline Read(const std::string& bytes) {
    EXPECT_EQ(codec_.Feed(bytes.data(), bytes.size()), bytes.size());
    return deadlines_.Update(codec_, now_);
  }

  const absl::Time start_ = absl::FromUnixSeconds(1'800'000'000);
  absl::Time now_ = start_;
  Answering handler_;
  H1ServerCodec codec_;
  H1Deadlines deadlines_{absl::Seconds(10), absl::Minutes(5)};
};

TEST_F(H1DeadlinesTest, ASlowlorisHeadIsAnswered408AtItsDeadline) {
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX-Padding: " + std::string(100, 'a');
  H1Deadlines::Deadline deadline = Read(head.substr(0, 1));
  EXPECT_EQ(deadline.reason, H1Deadlines::Reason::kHead);
  EXPECT_EQ(deadline.at, start_ + absl::Seconds(10));
  // One byte a second: each byte moves the deadline no further.
  for (size_t i = 1; i < head.size() && now_ + absl::Seconds(1) < deadline.at; ++i) {
    now_ += absl::Seconds(1);
    EXPECT_EQ(Read(head.substr(i, 1)).at, start_ + absl::Seconds(10));
  }
  now_ = deadline.at;  // the timer fires
  codec_.HeadTimedOut();
  const std::string output = codec_.TakeOutput();
  EXPECT_THAT(output, StartsWith("HTTP/1.1 408 Request Timeout\r\n"));
  EXPECT_THAT(output, HasSubstr("connection: close\r\n"));
  EXPECT_TRUE(codec_.Finished());
  EXPECT_EQ(deadlines_.Update(codec_, now_).reason, H1Deadlines::Reason::kNone);
}

TEST_F(H1DeadlinesTest, AHeadInTimeThenIdleUntilTheNextRequest) {
  EXPECT_EQ(deadlines_.Update(codec_, now_).reason, H1Deadlines::Reason::kIdle);
  now_ += absl::Seconds(1);
  Read("GET / HTTP/1.1\r\n");
  now_ += absl::Seconds(9);
  // Complete and answered: idle from the answer on.
  const H1Deadlines::Deadline deadline = Read("Host: h\r\n\r\n");
  EXPECT_EQ(deadline.reason, H1Deadlines::Reason::kIdle);
  EXPECT_EQ(deadline.at, now_ + absl::Minutes(5));
  EXPECT_THAT(codec_.TakeOutput(), StartsWith("HTTP/1.1 200 OK\r\n"));
  codec_.HeadTimedOut();  // late: no head open, no effect
  EXPECT_FALSE(codec_.Finished());
  // The next head has its own 10 s.
  now_ += absl::Minutes(1);
  EXPECT_EQ(Read("G").at, now_ + absl::Seconds(10));
}

TEST_F(H1DeadlinesTest, NoneRunsWhileARequestIsAnswered) {
  handler_.answer = false;
  EXPECT_EQ(Read("GET / HTTP/1.1\r\nHost: h\r\n\r\n").reason, H1Deadlines::Reason::kNone);
  // A pipelined head that trickles in meanwhile has its deadline all the same.
  now_ += absl::Seconds(30);
  EXPECT_EQ(Read("GET /2 HT").at, now_ + absl::Seconds(10));
}

// A pipelining caller whose next head the hub holds back (the pipeline is
// full, so the connection does not read) is not timed out for the hub's
// wait: the head's time starts again when reading resumes (failed before:
// 408 for a head the hub itself had not read).
TEST_F(H1DeadlinesTest, TheHeadTimeStopsWhileTheConnectionDoesNotRead) {
  handler_.answer = false;
  Read("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HT");
  EXPECT_EQ(deadlines_.Update(codec_, now_).reason, H1Deadlines::Reason::kHead);
  now_ += absl::Seconds(5);
  EXPECT_EQ(deadlines_.Update(codec_, now_, /*reading=*/false).reason,
            H1Deadlines::Reason::kNone);
  now_ += absl::Minutes(1);  // long past the head's 10 s
  const H1Deadlines::Deadline resumed = deadlines_.Update(codec_, now_, /*reading=*/true);
  EXPECT_EQ(resumed.reason, H1Deadlines::Reason::kHead);
  EXPECT_EQ(resumed.at, now_ + absl::Seconds(10));
}

}  // namespace
}  // namespace ndxp::gateway::transport
