#include "gateway/transport/h1_codec.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ndxp::gateway::transport {
namespace {

struct RefusalInfo {
  H1Refusal refusal;
  int status;
  const char* name;
  const char* reason;
};

// The one table of refusals. Reasons are fixed text: never the request's.
constexpr RefusalInfo kRefusals[] = {
    {H1Refusal::kMalformed, 400, "malformed", "malformed request"},
    {H1Refusal::kBareLineFeed, 400, "bare_line_feed", "lines must end with CRLF"},
    {H1Refusal::kObsFold, 400, "obs_fold", "field lines must not be folded (obs-fold)"},
    {H1Refusal::kControlByte, 400, "control_byte", "control byte in the request head"},
    {H1Refusal::kBadFieldName, 400, "bad_field_name", "invalid field name"},
    {H1Refusal::kHeadTooLarge, 431, "head_too_large", "request head too large"},
    {H1Refusal::kTooManyFields, 431, "too_many_fields", "too many header fields"},
    {H1Refusal::kTargetTooLong, 414, "target_too_long", "request target too long"},
    {H1Refusal::kBodyTooLarge, 413, "body_too_large", "request body too large"},
    {H1Refusal::kAmbiguousLength, 400, "ambiguous_length",
     "Content-Length repeated or with Transfer-Encoding"},
    {H1Refusal::kBadContentLength, 400, "bad_content_length", "invalid Content-Length"},
    {H1Refusal::kBadTransferEncoding, 400, "bad_transfer_encoding",
     "Transfer-Encoding must be exactly chunked, in HTTP/1.1"},
    {H1Refusal::kBadChunk, 400, "bad_chunk", "invalid chunked framing"},
    {H1Refusal::kBadHost, 400, "bad_host", "exactly one valid Host field is required"},
    {H1Refusal::kForeignTarget, 400, "foreign_target", "request target names another authority"},
    {H1Refusal::kUnsupportedTarget, 400, "unsupported_target", "unsupported request target form"},
    {H1Refusal::kUnsupportedVersion, 505, "unsupported_version", "only versions 1.0 and 1.1 are served"},
    {H1Refusal::kUnsupportedMethod, 400, "unsupported_method", "method not served"},
    {H1Refusal::kExpectationFailed, 417, "expectation_failed", "only Expect: 100-continue"},
    {H1Refusal::kHeadTimeout, 408, "head_timeout", "request head not received in time"},
    {H1Refusal::kIncomplete, 0, "incomplete", "connection ended mid-request"},
};

const RefusalInfo& InfoOf(H1Refusal refusal) {
  for (const RefusalInfo& info : kRefusals) {
    if (info.refusal == refusal) return info;
  }
  return kRefusals[0];
}

// RFC 9110 section 5.6.2.
bool IsTchar(unsigned char c) {
  return absl::ascii_isalnum(c) || (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

// Host: uri-host [ ":" port ] (RFC 3986): letters, digits, the unreserved
// and sub-delims, '%' of pct-encoding, '[' ']' ':' of IP literals and port.
bool IsHostValue(absl::string_view value) {
  for (unsigned char c : value) {
    if (!absl::ascii_isalnum(c) && std::strchr("-._~!$&'()*+,;=%:[]", c) == nullptr) return false;
  }
  return true;
}

// Fields the codec writes itself: a handler's would frame the body twice.
bool IsConnectionField(absl::string_view lower_name) {
  return lower_name == "content-length" || lower_name == "transfer-encoding" ||
         lower_name == "connection" || lower_name == "keep-alive" || lower_name == "upgrade";
}

bool IsFieldValue(absl::string_view value) {
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

absl::string_view ReasonPhrase(int status) {
  const char* phrase = http_status_str(static_cast<enum http_status>(status));
  // http-parser's answer for a status it does not know; the phrase may be empty.
  if (std::strcmp(phrase, "<unknown>") == 0) return "";
  return phrase;
}

constexpr absl::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

int H1RefusalStatus(H1Refusal refusal) { return InfoOf(refusal).status; }
absl::string_view H1RefusalName(H1Refusal refusal) { return InfoOf(refusal).name; }
absl::string_view H1RefusalReason(H1Refusal refusal) { return InfoOf(refusal).reason; }

std::optional<absl::string_view> H1RequestHead::Field(absl::string_view name) const {
  for (const auto& [field_name, value] : fields) {
    if (field_name == name) return absl::string_view(value);
  }
  return std::nullopt;
}

// ---- HeadScanner ----
//
// RFC 9112's grammar for the bytes http-parser 2.9.4 takes too leniently:
//   request-line CRLF *( field-name ":" OWS field-value OWS CRLF ) CRLF
// with CRLF exactly (no bare LF or CR), a field name of tchars right before
// its colon, no line starting with whitespace (obs-fold, or whitespace
// before the first field: both 400, RFC 9112 sections 5.2 and 2.2), no
// control byte but HTAB in a value, and the empty lines a client may send
// before a request line (section 2.2) counted with the head. A trailer
// section is the same without the request line. http-parser then parses
// what the scanner passed: the two agree where the head ends.

void H1ServerCodec::HeadScanner::Reset(bool trailers) {
  state_ = trailers ? State::kLineStart : State::kBeforeLine;
  first_field_ = !trailers;
  spaces_ = 0;
  target_bytes_ = 0;
  previous_ = 0;
  bytes_ = 0;
  fields_ = 0;
}

H1ServerCodec::HeadScanner::Result H1ServerCodec::HeadScanner::Refuse(H1Refusal refusal) {
  refusal_ = refusal;
  return Result::kRefused;
}

H1ServerCodec::HeadScanner::Result H1ServerCodec::HeadScanner::Scan(const char* data, size_t n,
                                                                    const H1Limits& limits,
                                                                    size_t* used) {
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    *used = i + 1;
    if (++bytes_ > limits.max_head_bytes) return Refuse(H1Refusal::kHeadTooLarge);
    switch (state_) {
      case State::kBeforeLine:
        if (c == '\r') {
          state_ = State::kBeforeLineCr;
        } else if (c == '\n') {
          return Refuse(H1Refusal::kBareLineFeed);
        } else if (c > 0x20 && c < 0x7f) {
          state_ = State::kRequestLine;
          previous_ = c;
        } else {
          return Refuse(c == ' ' ? H1Refusal::kMalformed : H1Refusal::kControlByte);
        }
        break;
      case State::kBeforeLineCr:
        if (c != '\n') return Refuse(H1Refusal::kBareLineFeed);
        state_ = State::kBeforeLine;
        break;
      case State::kRequestLine:
        // method SP request-target SP HTTP-version, single spaces (RFC 9112
        // section 3; http-parser takes runs of them). Bytes of a target
        // outside US-ASCII are not a URI (RFC 3986): 400.
        if (c == '\r') {
          if (spaces_ != 2 || previous_ == ' ') return Refuse(H1Refusal::kMalformed);
          state_ = State::kRequestLineCr;
        } else if (c == '\n') {
          return Refuse(H1Refusal::kBareLineFeed);
        } else if (c == ' ') {
          if (previous_ == ' ' || ++spaces_ > 2) return Refuse(H1Refusal::kMalformed);
        } else if (c < 0x20 || c >= 0x7f) {
          return Refuse(H1Refusal::kControlByte);
        } else if (spaces_ == 1 && ++target_bytes_ > limits.max_target_bytes) {
          // Here, not in http-parser's URL callback: at the same byte
          // however reads cut the line, before http-parser judges the URL.
          return Refuse(H1Refusal::kTargetTooLong);
        }
        previous_ = c;
        break;
      case State::kRequestLineCr:
      case State::kValueCr:
        if (c != '\n') return Refuse(H1Refusal::kBareLineFeed);
        state_ = State::kLineStart;
        break;
      case State::kLineStart:
        if (c == '\r') {
          state_ = State::kEndCr;
        } else if (c == '\n') {
          return Refuse(H1Refusal::kBareLineFeed);
        } else if (c == ' ' || c == '\t') {
          return Refuse(first_field_ ? H1Refusal::kMalformed : H1Refusal::kObsFold);
        } else if (IsTchar(c)) {
          if (++fields_ > limits.max_fields) return Refuse(H1Refusal::kTooManyFields);
          first_field_ = false;
          state_ = State::kName;
        } else {
          return Refuse(H1Refusal::kBadFieldName);
        }
        break;
      case State::kName:
        if (c == ':') {
          state_ = State::kValue;
        } else if (!IsTchar(c)) {
          return Refuse(c < 0x20 && c != '\t' && c != '\r' && c != '\n' ? H1Refusal::kControlByte
                                                                          : H1Refusal::kBadFieldName);
        }
        break;
      case State::kValue:
        if (c == '\r') {
          state_ = State::kValueCr;
        } else if (c == '\n') {
          return Refuse(H1Refusal::kBareLineFeed);
        } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
          return Refuse(H1Refusal::kControlByte);
        }
        break;
      case State::kEndCr:
        if (c != '\n') return Refuse(H1Refusal::kBareLineFeed);
        return Result::kDone;
    }
  }
  return Result::kMore;
}

// ---- ChunkScanner ----
//
// RFC 9112 section 7.1, strictly:
//   chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk = 1*"0" [ chunk-ext ] CRLF
// with chunk-ext as whitespace, ';' and visible bytes (their grammar is not
// checked further: the hub ignores extensions), no bare LF or CR. Sizes and
// extensions count against max_body_bytes as they are read, so a chunk
// announced past the limit is refused before a byte of it.

void H1ServerCodec::ChunkScanner::Reset() {
  state_ = State::kSizeStart;
  size_ = 0;
  data_left_ = 0;
  body_bytes_ = 0;
}

H1ServerCodec::ChunkScanner::Result H1ServerCodec::ChunkScanner::Refuse(H1Refusal refusal) {
  refusal_ = refusal;
  return Result::kRefused;
}

H1ServerCodec::ChunkScanner::Result H1ServerCodec::ChunkScanner::Scan(const char* data, size_t n,
                                                                      const H1Limits& limits,
                                                                      size_t* used) {
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    *used = i + 1;
    switch (state_) {
      case State::kSizeStart:
      case State::kSize: {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit >= 0) {
          if (state_ == State::kSizeStart) size_ = 0;
          state_ = State::kSize;
          if (size_ > (UINT64_MAX >> 4)) return Refuse(H1Refusal::kBodyTooLarge);
          size_ = size_ * 16 + static_cast<uint64_t>(digit);
          if (size_ > limits.max_body_bytes - body_bytes_) return Refuse(H1Refusal::kBodyTooLarge);
        } else if (state_ == State::kSizeStart) {
          return Refuse(H1Refusal::kBadChunk);
        } else if (c == ';') {
          state_ = State::kExtension;
        } else if (c == ' ' || c == '\t') {
          state_ = State::kSizeSpace;
        } else if (c == '\r') {
          state_ = State::kSizeCr;
        } else {
          return Refuse(H1Refusal::kBadChunk);
        }
        break;
      }
      case State::kSizeSpace:
        if (c == ';') {
          state_ = State::kExtension;
        } else if (c != ' ' && c != '\t') {
          return Refuse(H1Refusal::kBadChunk);
        }
        break;
      case State::kExtension:
        if (c == '\r') {
          state_ = State::kSizeCr;
        } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
          return Refuse(H1Refusal::kBadChunk);
        } else if (++body_bytes_ > limits.max_body_bytes - size_) {
          return Refuse(H1Refusal::kBodyTooLarge);
        }
        break;
      case State::kSizeCr:
        if (c != '\n') return Refuse(H1Refusal::kBadChunk);
        if (size_ == 0) {
          state_ = State::kSizeStart;
          return Result::kLastChunk;
        }
        body_bytes_ += size_;
        data_left_ = size_;
        state_ = State::kData;
        break;
      case State::kData: {
        const uint64_t take = std::min<uint64_t>(data_left_, n - i);
        data_left_ -= take;
        i += take - 1;
        *used = i + 1;
        if (data_left_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (c != '\r') return Refuse(H1Refusal::kBadChunk);
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (c != '\n') return Refuse(H1Refusal::kBadChunk);
        state_ = State::kSizeStart;
        break;
    }
  }
  return Result::kMore;
}

// ---- H1ServerCodec ----

H1ServerCodec::H1ServerCodec(H1CodecOptions options, H1RequestHandler* handler)
    : options_(std::move(options)), handler_(handler) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = &H1ServerCodec::OnMessageBegin;
  settings_.on_url = &H1ServerCodec::OnUrl;
  settings_.on_header_field = &H1ServerCodec::OnHeaderField;
  settings_.on_header_value = &H1ServerCodec::OnHeaderValue;
  settings_.on_headers_complete = &H1ServerCodec::OnHeadersComplete;
  settings_.on_body = &H1ServerCodec::OnBody;
  settings_.on_message_complete = &H1ServerCodec::OnMessageComplete;
  scanner_.Reset(/*trailers=*/false);
}

bool H1ServerCodec::WantsInput() const {
  if (phase_ == Phase::kStopped) return false;
  return !(phase_ == Phase::kHead && !scanner_.started() &&
           slots_.size() >= std::max<size_t>(1, options_.limits.max_pipelined_requests));
}

bool H1ServerCodec::InHead() const {
  return phase_ == Phase::kHead && scanner_.started();
}

bool H1ServerCodec::Idle() const {
  return phase_ == Phase::kHead && !scanner_.started() && slots_.empty();
}

bool H1ServerCodec::Finished() const { return finished_; }

size_t H1ServerCodec::Feed(const char* data, size_t n) {
  size_t used = 0;
  while (used < n) {
    if (phase_ == Phase::kStopped) return n;  // read and dropped
    if (!WantsInput()) break;
    // http-parser sees only what a scanner passed: up to the end of a head,
    // a trailer section or the last chunk's size line, or up to a refused
    // byte (not included).
    size_t chunk = n - used;
    std::optional<H1Refusal> refused;
    bool last_chunk = false;
    if (phase_ == Phase::kHead || phase_ == Phase::kTrailers) {
      if (scanner_.Scan(data + used, n - used, options_.limits, &chunk) ==
          HeadScanner::Result::kRefused) {
        refused = scanner_.refusal();
      }
    } else if (phase_ == Phase::kChunks) {
      const ChunkScanner::Result result = chunks_.Scan(data + used, n - used, options_.limits, &chunk);
      if (result == ChunkScanner::Result::kRefused) refused = chunks_.refusal();
      last_chunk = result == ChunkScanner::Result::kLastChunk;
    }
    if (refused.has_value()) --chunk;
    // A length of 0 would tell http-parser the peer ended its side.
    const size_t parsed = chunk == 0 ? 0 : http_parser_execute(&parser_, &settings_, data + used, chunk);
    used += parsed;
    const enum http_errno error = HTTP_PARSER_ERRNO(&parser_);
    if (phase_ == Phase::kStopped) return n;  // a callback refused, or the answer ended it
    if (error == HPE_PAUSED) {  // a message ended
      http_parser_pause(&parser_, 0);
      continue;
    }
    if (error != HPE_OK) {
      Refuse(RefusalOf(error));
      return n;
    }
    if (refused.has_value() || parsed < chunk) {
      // parsed < chunk: http-parser returns early without an error only
      // after an Upgrade or CONNECT message, which the codec refuses or
      // ignores before: not reached, and refused rather than guessed at.
      Refuse(refused.value_or(H1Refusal::kMalformed));
      return n;
    }
    if (last_chunk) {
      phase_ = Phase::kTrailers;
      scanner_.Reset(/*trailers=*/true);
    }
  }
  return used;
}

H1Refusal H1ServerCodec::RefusalOf(enum http_errno error) const {
  const bool in_body = phase_ == Phase::kBody || phase_ == Phase::kChunks;
  switch (error) {
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      return H1Refusal::kAmbiguousLength;
    case HPE_INVALID_CONTENT_LENGTH:  // also a chunk size that overflows
      return in_body ? H1Refusal::kBadChunk : H1Refusal::kBadContentLength;
    case HPE_INVALID_TRANSFER_ENCODING:
      return H1Refusal::kBadTransferEncoding;
    case HPE_INVALID_CHUNK_SIZE:
      return H1Refusal::kBadChunk;
    case HPE_INVALID_VERSION:
      return H1Refusal::kUnsupportedVersion;
    case HPE_HEADER_OVERFLOW:
      return H1Refusal::kHeadTooLarge;
    default:
      return in_body ? H1Refusal::kBadChunk : H1Refusal::kMalformed;
  }
}

void H1ServerCodec::FeedEof() {
  if (phase_ == Phase::kStopped) return;
  const bool mid_request = phase_ != Phase::kHead || scanner_.started();
  const bool reported = phase_ != Phase::kHead;
  phase_ = Phase::kStopped;
  if (mid_request) {
    std::optional<H1RequestId> id;
    if (reported) {
      id = current_id_;
      // Nothing more is written of an answer to a request the peer did not
      // finish: its slot is the last one, dropped with what it holds.
      if (SlotOf(current_id_) != nullptr) slots_.pop_back();
    }
    handler_->OnBadRequest(id, H1Refusal::kIncomplete);
  }
  Advance();
}

void H1ServerCodec::HeadTimedOut() {
  if (InHead()) Refuse(H1Refusal::kHeadTimeout);
}

// ---- http-parser callbacks ----

int H1ServerCodec::OnMessageBegin(http_parser* parser) {
  auto* codec = static_cast<H1ServerCodec*>(parser->data);
  codec->head_ = H1RequestHead();
  codec->last_was_value_ = false;
  return 0;
}

int H1ServerCodec::OnUrl(http_parser* parser, const char* at, size_t n) {
  auto* codec = static_cast<H1ServerCodec*>(parser->data);
  codec->head_.target.append(at, n);  // the scanner bounded it
  return 0;
}

int H1ServerCodec::OnHeaderField(http_parser* parser, const char* at, size_t n) {
  auto* codec = static_cast<H1ServerCodec*>(parser->data);
  if (codec->phase_ == Phase::kTrailers) return 0;  // trailer fields are discarded
  // The scanner refused obs-fold, so a field callback after a value starts
  // a new field, and consecutive callbacks are pieces of one read.
  if (codec->last_was_value_ || codec->head_.fields.empty()) {
    codec->head_.fields.emplace_back();
    codec->last_was_value_ = false;
  }
  codec->head_.fields.back().first.append(at, n);
  return 0;
}

int H1ServerCodec::OnHeaderValue(http_parser* parser, const char* at, size_t n) {
  auto* codec = static_cast<H1ServerCodec*>(parser->data);
  if (codec->phase_ == Phase::kTrailers || codec->head_.fields.empty()) return 0;
  codec->last_was_value_ = true;
  codec->head_.fields.back().second.append(at, n);
  return 0;
}

int H1ServerCodec::OnHeadersComplete(http_parser* parser) {
  auto* codec = static_cast<H1ServerCodec*>(parser->data);
  if (codec->phase_ == Phase::kTrailers) return 0;
  return codec->FinishHead();
}

int H1ServerCodec::FinishHead() {
  H1RequestHead& head = head_;
  if (parser_.http_major != 1 || parser_.http_minor > 1) {
    Refuse(H1Refusal::kUnsupportedVersion);
    return -1;
  }
  head.version_minor = parser_.http_minor;
  const bool http10 = head.version_minor == 0;
  if (parser_.method == HTTP_CONNECT) {
    Refuse(H1Refusal::kUnsupportedMethod);
    return -1;
  }
  head.method = http_method_str(static_cast<enum http_method>(parser_.method));

  int content_lengths = 0, transfer_encodings = 0, hosts = 0;
  absl::string_view content_length, transfer_encoding, host, expect;
  for (auto& [name, value] : head.fields) {
    absl::AsciiStrToLower(&name);
    absl::string_view trimmed = absl::StripAsciiWhitespace(value);
    if (trimmed.size() != value.size()) value = std::string(trimmed);
    if (name == "content-length") {
      ++content_lengths;
      content_length = value;
    } else if (name == "transfer-encoding") {
      ++transfer_encodings;
      transfer_encoding = value;
    } else if (name == "host") {
      ++hosts;
      host = value;
    } else if (name == "expect") {
      expect = value;
    }
  }

  // Framing (RFC 9112 section 6.3). http-parser already refuses two
  // Content-Lengths or one with Transfer-Encoding; the codec does not rely
  // on it. Two equal Content-Lengths are refused too: RFC 9110 section 8.6
  // allows either, and a peer that merges them differently is what
  // smuggling needs.
  if (content_lengths > 1 || (content_lengths > 0 && transfer_encodings > 0)) {
    Refuse(H1Refusal::kAmbiguousLength);
    return -1;
  }
  if (transfer_encodings > 0) {
    // Only "chunked", alone, once (coding names are case-insensitive); in
    // HTTP/1.0, Transfer-Encoding is faulty framing (RFC 9112 section 6.1).
    if (transfer_encodings > 1 || http10 || !absl::EqualsIgnoreCase(transfer_encoding, "chunked") ||
        !(parser_.flags & F_CHUNKED)) {
      Refuse(H1Refusal::kBadTransferEncoding);
      return -1;
    }
    head.chunked = true;
  }
  if (content_lengths == 1) {
    uint64_t length = 0;
    const bool digits = !content_length.empty() &&
                        content_length.find_first_not_of("0123456789") == absl::string_view::npos;
    if (!digits || !absl::SimpleAtoi(content_length, &length)) {
      Refuse(H1Refusal::kBadContentLength);
      return -1;
    }
    if (length > options_.limits.max_body_bytes) {  // before a byte of it is read
      Refuse(H1Refusal::kBodyTooLarge);
      return -1;
    }
    head.content_length = length;
  }

  // Host (RFC 9112 section 3.2): exactly one in HTTP/1.1, at most one in 1.0.
  if (hosts > 1 || (hosts == 0 && !http10) || !IsHostValue(host)) {
    Refuse(H1Refusal::kBadHost);
    return -1;
  }

  // The target: origin-form, or absolute-form naming the hub (then the
  // authority in it wins over Host, RFC 9112 section 3.2.2).
  if (head.target.find('#') != std::string::npos) {
    Refuse(H1Refusal::kUnsupportedTarget);
    return -1;
  }
  if (head.target.empty() || head.target[0] != '/') {
    http_parser_url url;
    http_parser_url_init(&url);
    if (head.target == "*" ||
        http_parser_parse_url(head.target.data(), head.target.size(), 0, &url) != 0 ||
        !(url.field_set & (1 << UF_SCHEMA)) || !(url.field_set & (1 << UF_HOST)) ||
        (url.field_set & (1 << UF_USERINFO))) {
      Refuse(H1Refusal::kUnsupportedTarget);
      return -1;
    }
    auto field = [&](http_parser_url_fields f) {
      return absl::string_view(head.target).substr(url.field_data[f].off, url.field_data[f].len);
    };
    const absl::string_view scheme = field(UF_SCHEMA);
    // The authority as written: host (with brackets for IPv6) to the path.
    const size_t authority_begin = scheme.size() + 3;  // "https://"
    const size_t authority_end = (url.field_set & (1 << UF_PATH)) ? url.field_data[UF_PATH].off
                                 : (url.field_set & (1 << UF_QUERY))
                                     ? url.field_data[UF_QUERY].off - 1
                                     : head.target.size();
    const std::string authority = absl::AsciiStrToLower(
        absl::string_view(head.target).substr(authority_begin, authority_end - authority_begin));
    bool ours = false;
    for (const std::string& hub : options_.authorities) ours = ours || hub == authority;
    if (!ours || !(absl::EqualsIgnoreCase(scheme, "https") || absl::EqualsIgnoreCase(scheme, "http"))) {
      Refuse(H1Refusal::kForeignTarget);
      return -1;
    }
    std::string origin_form = (url.field_set & (1 << UF_PATH)) ? std::string(field(UF_PATH)) : "/";
    if (url.field_set & (1 << UF_QUERY)) absl::StrAppend(&origin_form, "?", field(UF_QUERY));
    head.target = std::move(origin_form);
  }

  // Expect (RFC 9110 section 10.1.1): ignored in HTTP/1.0.
  if (!expect.empty() && !http10) {
    if (!absl::EqualsIgnoreCase(expect, "100-continue")) {
      Refuse(H1Refusal::kExpectationFailed);
      return -1;
    }
    head.expect_continue = true;
  }
  head.keep_alive = http_should_keep_alive(&parser_) != 0;

  head.id = next_id_++;
  Slot slot;
  slot.id = head.id;
  slot.keep_alive = head.keep_alive;
  slot.http10 = http10;
  slot.head_method = parser_.method == HTTP_HEAD;
  slot.expect_continue = head.expect_continue;
  // Without a body the request is all read: an answer from inside
  // OnRequestHead keeps the connection.
  slot.request_complete = !head.chunked && head.content_length.value_or(0) == 0;
  slots_.push_back(std::move(slot));
  current_id_ = head.id;
  current_keep_alive_ = head.keep_alive;
  phase_ = head.chunked ? Phase::kChunks : Phase::kBody;
  if (head.chunked) chunks_.Reset();
  handler_->OnRequestHead(head);
  return phase_ == Phase::kStopped ? -1 : 0;
}

int H1ServerCodec::OnBody(http_parser* parser, const char* at, size_t n) {
  auto* codec = static_cast<H1ServerCodec*>(parser->data);
  codec->handler_->OnRequestBody(codec->current_id_, at, n);
  return codec->phase_ == Phase::kStopped ? -1 : 0;
}

int H1ServerCodec::OnMessageComplete(http_parser* parser) {
  auto* codec = static_cast<H1ServerCodec*>(parser->data);
  const H1RequestId id = codec->current_id_;
  // The slot may be gone already: answered from a callback and written.
  Slot* slot = codec->SlotOf(id);
  if (slot != nullptr) slot->request_complete = true;
  // No request is read after one whose connection ends with its answer.
  const bool last = !codec->current_keep_alive_ || (slot != nullptr && slot->close_after) ||
                    codec->phase_ == Phase::kStopped;
  codec->phase_ = last ? Phase::kStopped : Phase::kHead;
  codec->scanner_.Reset(/*trailers=*/false);
  http_parser_pause(parser, 1);
  codec->handler_->OnRequestEnd(id);
  return 0;
}

// ---- Refusals and responses ----

void H1ServerCodec::Refuse(H1Refusal refusal) {
  if (phase_ == Phase::kStopped) return;
  const bool reported = phase_ != Phase::kHead;  // refused in its body or trailers
  phase_ = Phase::kStopped;
  Slot* slot = nullptr;
  if (reported) {
    // Still queued (else its answer was written, which stopped the reading).
    slot = SlotOf(current_id_);
  } else {
    slots_.emplace_back();
    slot = &slots_.back();
    slot->id = next_id_++;
  }
  if (slot != nullptr) {
    slot->close_after = true;
    slot->request_complete = true;
    if (!slot->head_written) {
      const std::string body = absl::StrCat(H1RefusalReason(refusal), "\n");
      const int status = H1RefusalStatus(refusal);
      absl::StrAppend(&SinkOf(*slot), "HTTP/1.1 ", status, " ", ReasonPhrase(status),
                      "\r\ncontent-type: text/plain\r\ncontent-length: ", body.size(),
                      "\r\nconnection: close\r\n\r\n", body);
      slot->head_written = true;
    }
    slot->ended = true;  // a begun answer is cut short where it is
  }
  handler_->OnBadRequest(reported ? std::optional<H1RequestId>(current_id_) : std::nullopt, refusal);
  Advance();
}

H1ServerCodec::Slot* H1ServerCodec::SlotOf(H1RequestId id) {
  if (slots_.empty() || id < slots_.front().id || id > slots_.back().id) return nullptr;
  return &slots_[id - slots_.front().id];
}

H1ServerCodec::Slot* H1ServerCodec::OpenSlot(H1RequestId id) {
  Slot* slot = SlotOf(id);
  return slot != nullptr && !slot->ended ? slot : nullptr;
}
std::string& H1ServerCodec::SinkOf(Slot& slot) {
  return &slot == &slots_.front() ? output_ : slot.held;
}

void H1ServerCodec::Advance() {
  while (!slots_.empty() && slots_.front().ended) {
    const bool last = slots_.front().close_after || !slots_.front().keep_alive;
    slots_.pop_front();
    if (last) {
      // Requests after it, if any were read, are never answered.
      phase_ = Phase::kStopped;
      slots_.clear();
    }
    if (!slots_.empty()) {
      output_.append(slots_.front().held);
      slots_.front().held.clear();
      slots_.front().held.shrink_to_fit();
    }
  }
  if (phase_ == Phase::kStopped && slots_.empty()) finished_ = true;
}

absl::Status H1ServerCodec::ContinueBody(H1RequestId id) {
  Slot* slot = OpenSlot(id);
  if (slot == nullptr) return absl::FailedPreconditionError("no such request open");
  if (slot->head_written) return absl::FailedPreconditionError("the response has begun");
  if (!slot->expect_continue || slot->continue_sent || slot->request_complete) return absl::OkStatus();
  SinkOf(*slot).append(kContinue.data(), kContinue.size());
  slot->continue_sent = true;
  return absl::OkStatus();
}

absl::Status H1ServerCodec::WriteResponseHead(H1RequestId id, int status, const H1Fields& fields,
                                              std::optional<uint64_t> content_length) {
  Slot* slot = OpenSlot(id);
  if (slot == nullptr) return absl::FailedPreconditionError("no such request open");
  if (slot->head_written) return absl::FailedPreconditionError("the response has begun");
  if (status < 200 || status > 999) {
    return absl::InvalidArgumentError("a final status (200 to 999); 100 is ContinueBody");
  }
  if (!content_length.has_value() && slot->http10) {
    return absl::InvalidArgumentError("an HTTP/1.0 request needs a Content-Length response");
  }
  for (const auto& [name, value] : fields) {
    bool token = !name.empty();
    for (unsigned char c : name) token = token && IsTchar(c) && !absl::ascii_isupper(c);
    if (!token || !IsFieldValue(value)) {
      return absl::InvalidArgumentError("a field name must be a lower-case token, its value "
                                        "without control bytes");
    }
    if (IsConnectionField(name)) {
      return absl::InvalidArgumentError("the codec writes the framing and connection fields");
    }
  }
  // A request whose body is not all read: ending the connection after the
  // answer is the only way to stay in step with the peer (RFC 9112 section
  // 9.3, and 9110 section 10.1.1 for a refused 100-continue).
  if (!slot->request_complete) slot->close_after = true;
  slot->body_allowed = !slot->head_method && status != 204 && status != 304;

  std::string& sink = SinkOf(*slot);
  absl::StrAppend(&sink, "HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\n");
  for (const auto& [name, value] : fields) absl::StrAppend(&sink, name, ": ", value, "\r\n");
  if (status == 204 || status == 304) {
    content_length = 0;  // no framing field (RFC 9110 sections 8.6, 15.3.5)
  } else if (content_length.has_value()) {
    absl::StrAppend(&sink, "content-length: ", *content_length, "\r\n");
  } else {
    absl::StrAppend(&sink, "transfer-encoding: chunked\r\n");
  }
  if (slot->close_after || !slot->keep_alive) {
    absl::StrAppend(&sink, "connection: close\r\n");
  } else if (slot->http10) {
    absl::StrAppend(&sink, "connection: keep-alive\r\n");
  }
  sink.append("\r\n");
  slot->content_length = content_length;
  slot->head_written = true;
  return absl::OkStatus();
}

absl::Status H1ServerCodec::WriteBody(H1RequestId id, absl::string_view data) {
  Slot* slot = OpenSlot(id);
  if (slot == nullptr || !slot->head_written) {
    return absl::FailedPreconditionError("no response head written for this request");
  }
  if (slot->content_length.has_value() && data.size() > *slot->content_length - slot->body_written) {
    return absl::InvalidArgumentError("more body than the declared Content-Length");
  }
  slot->body_written += data.size();
  if (!slot->body_allowed || data.empty()) return absl::OkStatus();
  std::string& sink = SinkOf(*slot);
  if (slot->content_length.has_value()) {
    sink.append(data.data(), data.size());
  } else {
    absl::StrAppend(&sink, absl::Hex(data.size()), "\r\n", data, "\r\n");
  }
  return absl::OkStatus();
}

absl::Status H1ServerCodec::WriteEnd(H1RequestId id) {
  Slot* slot = OpenSlot(id);
  if (slot == nullptr || !slot->head_written) {
    return absl::FailedPreconditionError("no response head written for this request");
  }
  absl::Status status;
  if (!slot->body_allowed) {
    // HEAD, 204, 304: a declared length describes a body never sent.
  } else if (slot->content_length.has_value() && slot->body_written != *slot->content_length) {
    slot->close_after = true;  // the peer sees the answer cut short
    status = absl::FailedPreconditionError("less body than the declared Content-Length");
  } else if (!slot->content_length.has_value()) {
    SinkOf(*slot).append("0\r\n\r\n");
  }
  slot->ended = true;
  if (slot->close_after && !slot->request_complete) {
    // Its body will not be read: nothing after it can be framed.
    phase_ = Phase::kStopped;
  }
  Advance();
  return status;
}

size_t H1ServerCodec::held_bytes() const {
  size_t bytes = output_.size();
  for (const Slot& slot : slots_) bytes += slot.held.size();
  return bytes;
}

std::string H1ServerCodec::TakeOutput() {
  std::string out;
  out.swap(output_);
  return out;
}

}  // namespace ndxp::gateway::transport
