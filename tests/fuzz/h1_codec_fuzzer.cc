// Fuzzes the JSON door's HTTP/1.1 codec with what a peer may send. Input:
// byte 0 picks the read size (1 to 64 bytes), byte 1 how the handler
// answers (when a body ends, at once from the head, or never); the rest is
// the byte stream. Properties: a stream cut into reads gives the same
// reports and the same bytes out as the stream in one read; a reported head
// is checked (origin-form target, lower-case names, values without control
// bytes, one framing, a length within the limit); no request reports more
// body than the limit; nothing is reported after a refusal; every byte out
// belongs to a response ("HTTP/1.1 " first).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/transport/h1_codec.h"
#include "tests/fuzz/fuzz_check.h"

using ndxp::fuzz::Check;
using ndxp::gateway::transport::H1CodecOptions;
using ndxp::gateway::transport::H1Refusal;
using ndxp::gateway::transport::H1RefusalName;
using ndxp::gateway::transport::H1RequestHandler;
using ndxp::gateway::transport::H1RequestHead;
using ndxp::gateway::transport::H1RequestId;
using ndxp::gateway::transport::H1ServerCodec;

namespace {

constexpr uint64_t kMaxBody = 64;

enum class Answer { kAtEnd, kFromHead, kNever };

class Handler : public H1RequestHandler {
 public:
  explicit Handler(Answer answer) : answer_(answer) {}

  void OnRequestHead(const H1RequestHead& head) override {
    Check(!refused_);
    Check(!head.target.empty() && head.target[0] == '/');
    Check(!(head.chunked && head.content_length.has_value()));
    Check(head.content_length.value_or(0) <= kMaxBody);
    for (const auto& [name, value] : head.fields) {
      Check(!name.empty());
      for (unsigned char c : name) Check(c > 0x20 && c < 0x7f && !(c >= 'A' && c <= 'Z'));
      for (unsigned char c : value) Check((c >= 0x20 && c != 0x7f) || c == '\t');
    }
    log_ += absl::StrCat("head ", head.id, " ", head.method, " ", head.target, "\n");
    body_.clear();
    if (answer_ == Answer::kFromHead) Respond(head.id);
  }
  void OnRequestBody(H1RequestId id, const char* data, size_t n) override {
    Check(!refused_);
    body_.append(data, n);  // logged whole: reads cut it anywhere
    Check(body_.size() <= kMaxBody);
  }
  void OnRequestEnd(H1RequestId id) override {
    Check(!refused_);
    log_ += absl::StrCat("end ", id, " ", body_, "\n");
    if (answer_ == Answer::kAtEnd) Respond(id);
  }
  void OnBadRequest(std::optional<H1RequestId> id, H1Refusal refusal) override {
    Check(!refused_);
    refused_ = true;
    log_ += absl::StrCat("bad ", id.value_or(0), " ", H1RefusalName(refusal), " ", body_, "\n");
  }

  H1ServerCodec* codec = nullptr;
  const std::string& log() const { return log_; }

 private:
  void Respond(H1RequestId id) {
    Check(codec->WriteResponseHead(id, 200, {}, 2).ok());
    Check(codec->WriteBody(id, "ok").ok());
    Check(codec->WriteEnd(id).ok());
  }

  const Answer answer_;
  bool refused_ = false;
  std::string body_;  // of the last request reported
  std::string log_;
};

struct Run {
  std::string log;
  std::string output;
  bool finished = false;
};

Run Feed(const std::string& bytes, size_t read_size, Answer answer) {
  H1CodecOptions options;
  options.limits.max_head_bytes = 256;
  options.limits.max_target_bytes = 64;
  options.limits.max_body_bytes = kMaxBody;
  options.limits.max_pipelined_requests = 4;
  options.authorities = {"hub.example.gov"};
  Handler handler(answer);
  H1ServerCodec codec(options, &handler);
  handler.codec = &codec;
  Run run;
  size_t at = 0;
  while (at < bytes.size() && codec.WantsInput()) {
    const size_t n = std::min(read_size, bytes.size() - at);
    const size_t used = codec.Feed(bytes.data() + at, n);
    Check(used <= n);
    at += used;
    run.output += codec.TakeOutput();
    if (used < n) Check(!codec.WantsInput());  // only back-pressure leaves bytes
  }
  codec.FeedEof();
  run.output += codec.TakeOutput();
  run.log = handler.log();
  run.finished = codec.Finished();
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t read_size = 1 + data[0] % 64;
  const Answer answer = static_cast<Answer>(data[1] % 3);
  const std::string bytes(reinterpret_cast<const char*>(data + 2), size - 2);

  const Run whole = Feed(bytes, bytes.size() + 1, answer);
  const Run cut = Feed(bytes, read_size, answer);
  Check(whole.log == cut.log);
  Check(whole.output == cut.output);
  Check(whole.finished == cut.finished);
  Check(whole.output.empty() || whole.output.rfind("HTTP/1.1 ", 0) == 0);
  return 0;
}
