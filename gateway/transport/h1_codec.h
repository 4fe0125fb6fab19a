// The server side of HTTP/1.1 (RFC 9112) for the JSON door, without I/O:
// H1ServerCodec takes the bytes a connection read, reports requests to an
// H1RequestHandler and serialises the handler's responses, in request order,
// into bytes for the connection to write.
//
// Parsing is Debian's http-parser 2.9.4, built lenient (it takes bare LF,
// obs-fold, a space before a field's colon, "Transfer-Encoding: gzip,
// chunked", any HTTP/x.y). The codec holds each request head and trailer
// section to RFC 9112's strict grammar itself, byte by byte before
// http-parser sees it, and checks the framing headers once the head is
// parsed, so that no request can be framed one way here and another way by
// a peer in front of or behind the hub (request smuggling). Every refusal is
// one H1Refusal (status, name for counters, fixed reason text: a refusal
// never quotes the request, which may carry personal data in its path).
//
// Example (a connection on its loop thread; the codec's unit test runs it):
//   H1ServerCodec codec(options, &handler);
//   ... bytes read:  size_t used = codec.Feed(data, n);  // keep data+used..n
//   ... handler answers request `id`:
//   codec.WriteResponseHead(id, 200, {{"content-type", "application/json"}}, body.size());
//   codec.WriteBody(id, body);
//   codec.WriteEnd(id);
//   ... then: write codec.TakeOutput(); read again while codec.WantsInput();
//   close once codec.Finished() and the output is flushed.
//
// Not thread-safe: one codec per connection, on its loop thread.
#ifndef NDXP_GATEWAY_TRANSPORT_H1_CODEC_H_
#define NDXP_GATEWAY_TRANSPORT_H1_CODEC_H_

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ndxp::gateway::transport {

// A request on one connection: 1 for the first, then in order of arrival.
using H1RequestId = uint64_t;

// Header fields in order of arrival, names lower-cased, values without
// leading or trailing whitespace. Repeated names stay repeated.
using H1Fields = std::vector<std::pair<std::string, std::string>>;

// A request head, parsed and checked once.
struct H1RequestHead {
  H1RequestId id = 0;
  std::string method;  // as sent ("POST"); http-parser knows the methods
  // The raw path and query ("/v1/citizens/123?x=1"), never decoded. An
  // absolute-form target naming the hub is reduced to this form.
  std::string target;
  int version_minor = 1;  // HTTP/1.0 or HTTP/1.1: the codec refuses others
  H1Fields fields;
  std::optional<uint64_t> content_length;  // set when the body has one
  bool chunked = false;                    // the body is chunked (never both)
  bool keep_alive = true;  // false: the connection closes after the response
  bool expect_continue = false;  // see H1ServerCodec::ContinueBody

  // The first field named `name` (lower case), or nullopt.
  std::optional<absl::string_view> Field(absl::string_view name) const;
};

// Why the codec refused a request; one table in h1_codec.cc gives each its
// status, counter name and reason text.
enum class H1Refusal {
  kMalformed,             // 400: http-parser refused the syntax
  kBareLineFeed,          // 400: LF without CR, or CR without LF
  kObsFold,               // 400: a field line continued with SP or HTAB
  kControlByte,           // 400: NUL or another control byte in the head
  kBadFieldName,          // 400: empty name, or whitespace before the colon
  kHeadTooLarge,          // 431: head (request line and fields) over the limit
  kTooManyFields,         // 431: more field lines than the limit
  kTargetTooLong,         // 414: request target over the limit
  kBodyTooLarge,          // 413: Content-Length, or chunks so far, over the limit
  kAmbiguousLength,       // 400: Content-Length twice, or with Transfer-Encoding
  kBadContentLength,      // 400: not a decimal number
  kBadTransferEncoding,   // 400: anything but exactly "chunked", or in HTTP/1.0
  kBadChunk,              // 400: invalid chunk size or chunk framing
  kBadHost,               // 400: Host missing (HTTP/1.1), repeated or invalid
  kForeignTarget,         // 400: absolute-form naming another authority
  kUnsupportedTarget,     // 400: asterisk- or authority-form, or a fragment
  kUnsupportedVersion,    // 505: not HTTP/1.0 or HTTP/1.1
  kUnsupportedMethod,     // 400: CONNECT (the hub is no tunnel)
  kExpectationFailed,     // 417: an Expect other than 100-continue
  kHeadTimeout,           // 408: the head did not arrive in time (HeadTimedOut)
  kIncomplete,            // none written: the peer ended mid-request
};

// The status a refusal is answered with (0: none is written), its name for
// counters and logs ("obs_fold"), and its fixed reason text.
int H1RefusalStatus(H1Refusal refusal);
absl::string_view H1RefusalName(H1Refusal refusal);
absl::string_view H1RefusalReason(H1Refusal refusal);

// What the codec reports. Calls come from inside H1ServerCodec::Feed (and
// FeedEof, HeadTimedOut); during them the handler may call the codec's
// Write*, ContinueBody and TakeOutput, never Feed, FeedEof or HeadTimedOut.
class H1RequestHandler {
 public:
  virtual ~H1RequestHandler() = default;
  // A request whose head passed every check. The body, if any, follows.
  virtual void OnRequestHead(const H1RequestHead& head) = 0;
  // Body bytes (chunk framing removed); `data` is valid during the call only.
  // They may still come after the handler answered the request early.
  virtual void OnRequestBody(H1RequestId id, const char* data, size_t n) = 0;
  // The body is complete (trailer fields, if any, are discarded).
  virtual void OnRequestEnd(H1RequestId id) = 0;
  // A refusal. With `id`, a request already reported is abandoned: the
  // handler writes nothing more for it. The codec writes the answer itself
  // (but for kIncomplete), with Connection: close, and reads no more.
  virtual void OnBadRequest(std::optional<H1RequestId> id, H1Refusal refusal) = 0;
};

struct H1Limits {
  // The request line and header fields, CRLFs included (and a trailer section).
  size_t max_head_bytes = 8 * 1024;
  size_t max_fields = 100;
  size_t max_target_bytes = 4 * 1024;
  // A request body: the hub's limits.max_message_bytes (4 MiB by default).
  uint64_t max_body_bytes = 4 * 1024 * 1024;
  // Requests reported and not yet answered (HTTP/1.1 pipelining). At the
  // bound the codec reads no further (WantsInput() is false) until the
  // oldest is answered: back-pressure, not a refusal. At least 1.
  size_t max_pipelined_requests = 16;
};

struct H1CodecOptions {
  H1Limits limits;
  // The hub's own authorities ("hub.example.gov:443", lower case): the only
  // ones an absolute-form target may name. Empty: absolute-form is refused.
  std::vector<std::string> authorities;
};

// Responses that carry no Content-Length but chunked framing.
inline constexpr std::optional<uint64_t> kH1Chunked = std::nullopt;

class H1ServerCodec {
 public:
  // `handler` must outlive the codec.
  H1ServerCodec(H1CodecOptions options, H1RequestHandler* handler);
  H1ServerCodec(const H1ServerCodec&) = delete;
  H1ServerCodec& operator=(const H1ServerCodec&) = delete;

  // Parses bytes the peer sent and reports what they complete. Returns how
  // many it took: fewer than `n` only while WantsInput() is false because
  // max_pipelined_requests are unanswered; the caller keeps the rest and
  // feeds it again once WantsInput(). Once the codec stopped reading (a
  // refusal, Connection: close) it takes and drops every byte.
  size_t Feed(const char* data, size_t n);
  // The peer ended its side, and every byte it sent was fed (bytes held
  // back by a full pipeline first: feed them as the answers go out). A
  // request it left incomplete is abandoned (OnBadRequest kIncomplete, no
  // answer); complete ones are still answered.
  void FeedEof();

  // The connection's header timeout fired (see H1Deadlines): a head that
  // began is not complete. Answers 408 after the answers owed before it and
  // reads no more. No effect unless InHead().
  void HeadTimedOut();

  // False while the pipeline is full or once the codec reads no more.
  bool WantsInput() const;
  // A request head has begun and is not complete: the connection's header
  // timeout runs (slowloris).
  bool InHead() const;
  // No request open or unanswered: the connection's idle timeout runs.
  bool Idle() const;
  // Nothing more will be read or written: close once the output is flushed.
  bool Finished() const;

  // For a request with expect_continue, before its final response: writes
  // "HTTP/1.1 100 Continue" (the handler admitted the request and wants the
  // body). A request answered without it has its connection closed after the
  // answer (RFC 9110 section 10.1.1: the client may not send the body, or
  // may). No effect for a request without expect_continue.
  absl::Status ContinueBody(H1RequestId id);

  // The response to request `id`: `content_length`, or kH1Chunked (refused
  // for an HTTP/1.0 request, which cannot read chunks). `fields` must not
  // hold framing or connection fields (content-length, transfer-encoding,
  // connection, keep-alive, upgrade): the codec writes those, Connection:
  // close when the connection ends after this response (the request asked
  // for it, or its body was not complete yet). It never writes a Server or
  // Date field. No body is written for HEAD or status 204 and 304.
  // Field names are lower-case tokens, values without control bytes.
  // Errors (FailedPrecondition, InvalidArgument) mean the call wrote nothing.
  absl::Status WriteResponseHead(H1RequestId id, int status, const H1Fields& fields,
                                 std::optional<uint64_t> content_length);
  // Body bytes, at most the declared length in total.
  absl::Status WriteBody(H1RequestId id, absl::string_view data);
  // The response is complete; with a Content-Length, all of it must have
  // been written (if not: FailedPrecondition, and the connection closes at
  // this response, which the peer sees cut short).
  absl::Status WriteEnd(H1RequestId id);

  // Bytes to write to the peer, in order; the codec keeps none of them.
  std::string TakeOutput();
  size_t output_bytes() const { return output_.size(); }
  // Answer bytes the codec holds: the output not yet taken, and the answers
  // to later requests waiting behind an earlier one (up to
  // max_pipelined_requests answers). The connection counts them with what
  // it holds for a caller that does not read (limits.max_held_bytes_per_connection).
  size_t held_bytes() const;

 private:
  // One request reported and not yet fully answered, oldest first. The
  // oldest writes into output_; later ones into `held` until they are first.
  struct Slot {
    H1RequestId id = 0;
    bool keep_alive = true;
    bool http10 = false;
    bool head_method = false;
    bool expect_continue = false;
    bool request_complete = false;  // its body read to the end
    bool continue_sent = false;
    bool head_written = false;
    bool ended = false;
    bool close_after = false;  // the connection ends with this response
    bool body_allowed = true;  // not HEAD, 204 or 304
    std::optional<uint64_t> content_length;
    uint64_t body_written = 0;
    std::string held;
  };
  // kHead: the head scanner and http-parser read a head; kBody: http-parser
  // reads a Content-Length body; kChunks: the chunk scanner and http-parser
  // read chunks; kTrailers: the head scanner reads the trailer section.
  enum class Phase { kHead, kBody, kChunks, kTrailers, kStopped };

  // Checks a request head at each byte, before http-parser: see h1_codec.cc.
  class HeadScanner {
   public:
    enum class Result { kMore, kDone, kRefused };
    void Reset(bool trailers);
    // Scans up to the end of the head (included); `*used` is how far.
    Result Scan(const char* data, size_t n, const H1Limits& limits, size_t* used);
    bool started() const { return bytes_ > 0; }
    H1Refusal refusal() const { return refusal_; }

   private:
    enum class State { kBeforeLine, kBeforeLineCr, kRequestLine, kRequestLineCr, kLineStart,
                       kEndCr, kName, kValue, kValueCr };
    Result Refuse(H1Refusal refusal);
    State state_ = State::kBeforeLine;
    bool first_field_ = true;
    int spaces_ = 0;  // in the request line: exactly two, single
    size_t target_bytes_ = 0;
    unsigned char previous_ = 0;
    size_t bytes_ = 0;
    size_t fields_ = 0;
    H1Refusal refusal_ = H1Refusal::kMalformed;
  };

  // Checks chunked framing at each byte, before http-parser (which, built
  // lenient, takes any two bytes for the CRLF after a chunk's data and reads
  // a chunk extension up to a CR, bare LFs included): see h1_codec.cc.
  class ChunkScanner {
   public:
    enum class Result { kMore, kLastChunk, kRefused };
    void Reset();
    // Scans up to the end of the last chunk's size line (included).
    Result Scan(const char* data, size_t n, const H1Limits& limits, size_t* used);
    H1Refusal refusal() const { return refusal_; }

   private:
    enum class State { kSizeStart, kSize, kSizeSpace, kExtension, kSizeCr, kData, kDataCr, kDataLf };
    Result Refuse(H1Refusal refusal);
    State state_ = State::kSizeStart;
    uint64_t size_ = 0;        // of the chunk whose size line is read
    uint64_t data_left_ = 0;   // of the chunk whose data is read
    uint64_t body_bytes_ = 0;  // data and extensions so far, against max_body_bytes
    H1Refusal refusal_ = H1Refusal::kBadChunk;
  };

  static int OnMessageBegin(http_parser* parser);
  static int OnUrl(http_parser* parser, const char* at, size_t n);
  static int OnHeaderField(http_parser* parser, const char* at, size_t n);
  static int OnHeaderValue(http_parser* parser, const char* at, size_t n);
  static int OnHeadersComplete(http_parser* parser);
  static int OnBody(http_parser* parser, const char* at, size_t n);
  static int OnMessageComplete(http_parser* parser);

  // Checks the parsed head; reports it or refuses. Returns 0 or -1 for http-parser.
  int FinishHead();
  // The refusal for an error of http-parser's.
  H1Refusal RefusalOf(enum http_errno error) const;
  // Refuses what is being parsed: stops reading, answers, tells the handler.
  void Refuse(H1Refusal refusal);
  // The request's slot, answered or not, or nullptr once it left the queue.
  Slot* SlotOf(H1RequestId id);
  // The request's slot if its response is not complete, else nullptr.
  Slot* OpenSlot(H1RequestId id);
  // Where a slot's bytes go: the output if it is the oldest, else its own.
  std::string& SinkOf(Slot& slot);
  // Moves finished responses out of the queue, oldest first.
  void Advance();

  const H1CodecOptions options_;
  H1RequestHandler* const handler_;
  http_parser parser_;
  http_parser_settings settings_;
  HeadScanner scanner_;
  ChunkScanner chunks_;
  Phase phase_ = Phase::kHead;
  bool finished_ = false;  // reads and writes nothing more
  // The request being parsed: its head, then (once reported) its id.
  H1RequestHead head_;
  bool last_was_value_ = false;
  H1RequestId current_id_ = 0;
  bool current_keep_alive_ = true;
  H1RequestId next_id_ = 1;
  std::deque<Slot> slots_;
  std::string output_;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_H1_CODEC_H_
