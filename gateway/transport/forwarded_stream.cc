#include "gateway/transport/forwarded_stream.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <grpcpp/support/byte_buffer.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "common/protocol/metadata.h"
#include "gateway/admission/admit_call.h"
#include "gateway/json/connect_unary.h"
#include "gateway/recording/audit_receipt.h"
#include "grpc/health/v1/health.pb.h"
#include "gateway/transport/downstream.h"
#include "gateway/transport/h2_caller_side.h"
#include "gateway/transport/transport_thread.h"
#include "gateway/transport/upstream.h"
#include "gateway/transport/upstream_connector.h"

namespace ndxp::gateway::transport {
namespace {

HeaderList StatusTrailers(const absl::Status& status) {
  HeaderList trailers = {{"grpc-status", absl::StrCat(static_cast<int>(status.code()))}};
  if (!status.message().empty()) {
    trailers.Add("grpc-message", EncodeGrpcMessage(status.message()));
  }
  return trailers;
}

int StatusCodeOf(const HeaderList& trailers) {
  for (const auto& [name, value] : trailers) {
    int code;
    if (name == "grpc-status" && absl::SimpleAtoi(value, &code)) return code;
  }
  return static_cast<int>(absl::StatusCode::kUnknown);
}

constexpr absl::string_view kHealthCheck = "/grpc.health.v1.Health/Check";

// A gRPC message frame (uncompressed) around `payload`.
// The 5-byte prefix of an uncompressed gRPC message of `length` bytes.
std::array<char, 5> MessagePrefix(size_t length) {
  return {0, static_cast<char>(length >> 24), static_cast<char>(length >> 16),
          static_cast<char>(length >> 8), static_cast<char>(length)};
}

void AppendMessage(absl::string_view payload, ByteQueue* out) {
  const std::array<char, 5> prefix = MessagePrefix(payload.size());
  out->Append(reinterpret_cast<const uint8_t*>(prefix.data()), prefix.size());
  out->Append(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
}

}  // namespace

size_t ByteQueue::Take(uint8_t* out, size_t length) {
  size_t n = std::min(length, size());
  std::memcpy(out, bytes_.data() + offset_, n);
  offset_ += n;
  Compact();
  return n;
}

void ByteQueue::TakeInto(std::string* out, size_t length) {
  out->append(bytes_, offset_, length);
  offset_ += length;
  promised_ -= std::min(promised_, length);
  Compact();
}

size_t ByteQueue::DropUnpromised() {
  size_t dropped = size() - promised_;
  bytes_.resize(offset_ + promised_);
  Compact();
  return dropped;
}

void ByteQueue::Compact() {
  if (offset_ == bytes_.size()) {
    bytes_.clear();
    offset_ = 0;
  } else if (offset_ > 64 * 1024 && offset_ * 2 > bytes_.size()) {
    bytes_.erase(0, offset_);
    offset_ = 0;
  }
}

size_t ByteQueue::Peek(uint8_t* out, size_t length) const {
  size_t n = std::min(length, size());
  std::memcpy(out, bytes_.data() + offset_, n);
  return n;
}

ForwardedStream::ForwardedStream(Downstream* downstream, int32_t stream_id)
    : ForwardedStream(downstream->thread(), [&](ForwardedStream* stream) {
        return std::make_unique<H2CallerSide>(downstream, stream_id, stream);
      }) {}

ForwardedStream::ForwardedStream(
    TransportThread* thread,
    absl::FunctionRef<std::unique_ptr<CallerSide>(ForwardedStream*)> make_caller)
    : thread_(thread),
      caller_(make_caller(this)),
      serial_(thread_->Register(this)),
      hub_(thread_->context()),
      started_(absl::Now()),
      request_messages_(thread_->shared().max_message_bytes),
      response_messages_(thread_->shared().max_message_bytes) {
  ev_timer_init(&deadline_, &ForwardedStream::OnDeadlineEvent, 0., 0.);
  deadline_.data = this;
  ev_timer_init(&stalled_, &ForwardedStream::OnStalledEvent, 0., 0.);
  stalled_.data = this;
  record_.time_micros = absl::ToUnixMicros(started_);
  // Until its headers are complete a call has no deadline of its own: a
  // header block left open must not hold the stream forever.
  StartDeadline(thread_->shared().handshake_timeout);
}

ForwardedStream::~ForwardedStream() {
  // Bytes nobody will take still count against the connections' windows.
  DropRequestBody();
  DropResponseBody();
  CancelUpstream();
  CountHeldResponse(/*gone=*/true);
  ev_timer_stop(thread_->loop(), &deadline_);
  ev_timer_stop(thread_->loop(), &stalled_);
  thread_->Unregister(serial_);
}

void ForwardedStream::CountHeldResponse(bool gone) {
  const int64_t held = gone ? 0 : static_cast<int64_t>(response_body_.size());
  if (held == held_counted_) return;
  const int64_t delta = held - held_counted_;
  hub_->stats->held_response_bytes.Add(thread_->index(), delta);  // this thread's shard
  caller_->AddHeldResponse(delta);
  if (held_counted_ == 0 && !gone) {
    // Bytes for a stream that held none: its caller's time to take some
    // starts now. One timer per stream, armed once per stall, not per chunk.
    last_taken_ = ev_now(thread_->loop());
    if (!ev_is_active(&stalled_)) {
      ev_timer_set(&stalled_, thread_->shared().stalled_reader_seconds, 0.);
      ev_timer_start(thread_->loop(), &stalled_);
    }
  }
  held_counted_ = held;
}

bool ForwardedStream::NotReading(ev_tstamp now) const {
  if (response_body_.empty() || reset_unread_) return false;
  if (now - last_taken_ >= kNotReadingAfter) return true;
  return caller_->WindowShut();
}

void ForwardedStream::EnforceHeldBounds() {
  const TransportShared& shared = thread_->shared();
  const ev_tstamp now = ev_now(thread_->loop());
  if (caller_->connection_held_bytes() > shared.max_held_per_connection) {
    if (ForwardedStream* heaviest = caller_->HeaviestNotReading(now)) {
      heaviest->ResetUnread(
          ConnectionLimit::kUnreadAnswers,
          absl::StrCat("the caller's connection held ", caller_->connection_held_bytes(),
                       " bytes of answers it had not read, over ",
                       shared.max_held_per_connection,
                       " (limits.max_held_bytes_per_connection); this call held ",
                       heaviest->held_response_bytes()));
    }
  }
  const int64_t total = hub_->stats->held_response_bytes.Coarse();
  if (total > shared.max_held_total) {
    if (ForwardedStream* heaviest = thread_->HeaviestNotReading(now)) {
      heaviest->ResetUnread(
          ConnectionLimit::kUnreadAnswers,
          absl::StrCat("callers held about ", total, " bytes of answers they had not read, over ",
                       shared.max_held_total, " (limits.max_held_bytes); this call held ",
                       heaviest->held_response_bytes()));
    }
  }
}

void ForwardedStream::OnStalledEvent(struct ev_loop*, ev_timer* timer, int) {
  static_cast<ForwardedStream*>(timer->data)->OnStalled();
}

void ForwardedStream::OnStalled() {
  if (response_body_.empty() || reset_unread_) return;
  const double limit = thread_->shared().stalled_reader_seconds;
  const ev_tstamp idle = ev_now(thread_->loop()) - last_taken_;
  if (idle < limit) {  // taken since: wait for the rest of the limit
    ev_timer_set(&stalled_, limit - idle, 0.);
    ev_timer_start(thread_->loop(), &stalled_);
    return;
  }
  ResetUnread(ConnectionLimit::kStalledReader,
              absl::StrCat("the caller took none of the ", response_body_.size(),
                           " bytes of answer the hub held for it in ",
                           static_cast<int64_t>(limit * 1000), " ms (limits.stalled_reader_ms)"));
}

void ForwardedStream::ResetUnread(ConnectionLimit limit, const std::string& why) {
  if (reset_unread_) return;
  reset_unread_ = true;
  if (phase_ == Phase::kForwarding) {  // recorded when the caller's stream closes
    hub_made_outcome_ = true;
    trailers_ = StatusTrailers(absl::ResourceExhaustedError(why));
  }
  CancelUpstream();  // gives back the connector stream's window of what is dropped
  DropResponseBody();
  ev_timer_stop(thread_->loop(), &stalled_);
  if (HubStats* stats = hub_->stats) {
    stats->connection_limits[Index(limit)].fetch_add(1, std::memory_order_relaxed);
  }
  logging::Log("transport").warn(
      "{} ({}) reset with RST_STREAM ENHANCE_YOUR_CALM: {} ({}): {}", caller_->Describe(),
      record_.method.empty() ? "-" : record_.method, Info(limit).name, Info(limit).setting, why);
  caller_->Reset(CallerReset::kTooMuchUnread);
}

// --- The caller's request.

void ForwardedStream::OnRequestHeader(absl::string_view name, absl::string_view value) {
  // HPACK lets a few bytes on the wire name a large header again and again:
  // the budget is on the decoded size (RFC 9113's 32 bytes per field too).
  // Past it the transport hands the block's other headers to no stream.
  request_header_bytes_ += name.size() + value.size() + 32;
  if (request_header_bytes_ > kMaxRequestHeaderBytes) return;
  request_headers_.Add(name, value);
}

void ForwardedStream::OnRequestHeadersDone() {
  if (phase_ != Phase::kReceivingHeaders) return;
  CallHead head;
  head.header_bytes = request_header_bytes_;
  for (const auto& [name, value] : request_headers_) head.Add(name, value);
  // The gRPC door takes application/grpc (and +proto, ...; not -web) on HTTP/2; every
  // other request goes to the JSON door, which answers a content type it
  // does not read with 415, as gRPC's own servers do. HTTP/1.1 carries only
  // the JSON door (it has no trailers for gRPC).
  // The JSON door reads a method's path ("/package.Service/Method") as
  // Connect's, any other as REST (google.api.http rules).
  if (!caller_->CarriesGrpc() || !IsGrpcContentType(head.content_type)) {
    head.door = IsMethodPath(head.path.substr(0, head.path.find('?'))) ? Door::kConnect
                                                                       : Door::kRest;
    // A streaming Connect call's refusal is a stream's end, not an HTTP error.
    connect_stream_ = head.door == Door::kConnect &&
                      absl::StartsWith(head.content_type, "application/connect+");
  }
  door_ = head.door;
  record_.door = door_;
  AdmitCall(hub_->admission, head, caller_->caller(), absl::Now(), plan_);
  record_.via = plan_.via;
  if (!plan_.status.ok()) {
    return Refuse(plan_.rest.has_value() ? plan_.rest_method_path : head.path);
  }
  StartDeadline(plan_.deadline);
  if (plan_.local != nullptr) {
    phase_ = Phase::kForwarding;
    if (door_ != Door::kGrpc) {  // a hub method the JSON door may call (the catalogue)
      connect_method_ = plan_.rest.has_value() ? plan_.rest->method
                                               : hub_->json->FindMethod(head.path);
    }
    local_ = std::make_unique<LocalConnector>(this, plan_.local, LocalCallOf(**plan_.identity));
    connector_ = local_.get();
    return;
  }
  const MethodRoute& route = *plan_.route;
  record_.request_id = plan_.request_id;
  record_.consumer = std::move(plan_.consumer);
  record_.provider = route.service->provider;
  record_.service = route.service->service;
  record_.method = std::string(route.method);
  record_.purpose = std::move(plan_.purpose);
  // Fixed now, from the grant that admitted the call: a later change of the
  // grant neither reveals nor hides it.
  if (plan_.notice_deferral > absl::ZeroDuration()) {
    record_.visible_after_micros = absl::ToUnixMicros(started_ + plan_.notice_deferral);
  }
  if (door_ == Door::kRest) {
    connect_method_ = plan_.rest->method;
    if (size_t query = head.path.find('?'); query != absl::string_view::npos) {
      rest_query_ = std::string(head.path.substr(query + 1));
    }
  } else if (door_ == Door::kConnect) {
    connect_method_ = hub_->json->FindMethod(route.full_method);
  }
  request_messages_.MeterInflatedSize(head.encoding);  // the connector inflates it whole
  if (route.subjects != nullptr && hub_->subject_keys != nullptr) {
    subjects_ = std::make_unique<CallSubjects>(*route.subjects, *hub_->subject_keys, &record_);
    request_messages_.ReadFirstMessage(subjects_.get());
  }
  request_headers_.Release();
  hub_->stats->forwarded.fetch_add(1, std::memory_order_relaxed);
  StartForwarding(route);
}

LocalCall ForwardedStream::LocalCallOf(const ConsumerIdentity& identity) {
  LocalCall call;
  call.consumer = std::move(plan_.consumer);
  call.via = plan_.via;
  call.from_operator = hub_->policy->IsOperator(identity);
  call.request_id = plan_.request_id;
  call.door = door_;
  call.started = started_;
  call.shard = thread_->index();
  call.headers.swap(request_headers_);  // not needed past admission
  return call;
}

absl::StatusOr<std::string> ForwardedStream::ProveAssertion(AssertionMacKey& mac_key,
                                                            evp_pkey_st* signing_key) const {
  if (plan_.assertion == nullptr) return absl::InternalError("no assertion prepared");
  return gateway::ProveAssertion(*plan_.assertion, mac_key, signing_key);
}

void ForwardedStream::Refuse(absl::string_view path) {
  CountRefusal(plan_.refusal, hub_->stats);
  if (hub_->recorder != nullptr) {  // bounded: a flood of refusals drops, counted
    TransactionRecord refused = RefusedCallRecord(*hub_, path, *plan_.identity, plan_.status,
                                                  plan_.request_id, started_);
    refused.via = plan_.via;
    refused.refusal_kind = plan_.refusal;
    refused.door = door_;
    hub_->recorder->RecordRefusal(thread_->index(), std::move(refused));
  }
  phase_ = Phase::kRefused;
  ev_timer_stop(thread_->loop(), &deadline_);
  DropRequestBody();
  request_headers_.Release();
  released_ = true;
  if (door_ != Door::kGrpc) {
    json::connect::UnaryAnswer answer = json::connect::AnswerError(plan_.status);
    if (plan_.http_status != 0) {
      answer.http_status = plan_.http_status;
    } else if (connect_stream_) {  // Connect's streams end with their error
      answer = StreamErrorAnswer(plan_.status);
    }
    return SendConnectAnswer(std::move(answer));
  }
  HeaderList trailers = StatusTrailers(plan_.status);
  if (plan_.retry_after > absl::ZeroDuration()) {  // gRFC A6: when the caller may retry
    trailers.Add("grpc-retry-pushback-ms",
                 absl::StrCat(absl::ToInt64Milliseconds(
                     absl::Ceil(plan_.retry_after, absl::Milliseconds(1)))));
  }
  SubmitTrailersOnly(trailers);
}

void ForwardedStream::DropRequestBody() {
  size_t dropped = request_body_.DropUnpromised();
  if (dropped > 0) ConsumeRequest(dropped);
}

void ForwardedStream::DropResponseBody() {
  size_t dropped = response_body_.DropUnpromised();
  if (dropped > 0) ConsumeResponse(dropped);
  CountHeldResponse();
}

void ForwardedStream::StartForwarding(const MethodRoute& route) {
  route_ = &route;
  phase_ = Phase::kForwarding;
  // Only a unary call's: a streaming call may stay open for minutes, and
  // every durable commit meanwhile would wait out the group delay for it.
  if (hub_->recorder != nullptr && hub_->hold_until_recorded && route.unary) {
    awaited_record_ = hub_->recorder->AwaitRecord();
  }
  StartConnector(*route.service);
}

void ForwardedStream::StartConnector(const ServiceRoute& service) {
  upstream_ = std::make_unique<UpstreamConnector>(this, service);
  connector_ = upstream_.get();
  if (absl::Status started = upstream_->Start(); !started.ok()) FailWith(started);
}

void ForwardedStream::OnRequestData(const uint8_t* data, size_t length) {
  if (phase_ != Phase::kForwarding) {
    ConsumeRequest(length);  // nobody will read it: reopen the window at once
    return;
  }
  if (door_ != Door::kGrpc) return HoldConnectRequest(data, length);
  absl::Status scanned =
      request_messages_.Feed({reinterpret_cast<const char*>(data), length});
  if (!scanned.ok()) {
    ConsumeRequest(length);
    CancelUpstream();
    FailWith(scanned);
    return;
  }
  request_body_.Append(data, length);
  ResumeRequest();
}

void ForwardedStream::OnRequestEnd() {
  if (held_connect_answer_ != nullptr) {
    request_ended_ = true;
    std::unique_ptr<json::connect::UnaryAnswer> answer = std::move(held_connect_answer_);
    return SendConnectAnswer(std::move(*answer));
  }
  request_ended_ = true;  // before framing: an answer to a bad body goes out at once
  if (door_ != Door::kGrpc && phase_ == Phase::kForwarding) {
    absl::Status framed = FrameConnectRequest();
    if (!framed.ok()) {
      CancelUpstream();
      FailWith(framed);
      return;
    }
  }
  ResumeRequest();
}

// --- The JSON door's unary calls: the request is held whole, then framed as
// the gRPC message the connector reads; the answer is held whole until the
// connector's trailers, then sent as Connect's answer (gateway/json/
// connect_unary.h). Both are bounded by limits.max_message_bytes, and their
// windows are credited as the bytes are held.

void ForwardedStream::HoldConnectRequest(const uint8_t* data, size_t length) {
  ConsumeRequest(length);
  const uint32_t max = thread_->shared().max_message_bytes;
  if (connect_request_.size() + length > max) {
    connect_request_over_limit_ = true;  // answered at once: no waiting for the rest
    CancelUpstream();
    FailWith(absl::ResourceExhaustedError(
        absl::StrCat("the request body is over the limit of ", max, " bytes")));
    return;
  }
  connect_request_.append(reinterpret_cast<const char*>(data), length);
}

absl::Status ForwardedStream::FrameConnectRequest() {
  absl::StatusOr<std::string> message;
  if (door_ == Door::kRest) {  // the path's fields, the query's and the body's
    absl::StatusOr<json::RestMapping::Request> request =
        hub_->rest->Build(*plan_.rest, rest_query_, connect_request_);
    if (request.ok()) {
      message = std::move(request->binary);
    } else {
      message = request.status();
    }
  } else if (plan_.server_stream) {  // one enveloped message
    absl::StatusOr<absl::string_view> enveloped = json::connect::DecodeSingleEnvelope(
        connect_request_, thread_->shared().max_message_bytes);
    if (enveloped.ok()) {
      message = json::connect::UnaryRequestMessage(*hub_->json, *connect_method_, plan_.codec,
                                                   *enveloped);
    } else {
      message = enveloped.status();
    }
  } else {
    message = json::connect::UnaryRequestMessage(*hub_->json, *connect_method_, plan_.codec,
                                                 connect_request_);
  }
  std::string().swap(connect_request_);
  if (!message.ok()) return message.status();
  // The scanner sees the frame as the connector will: counted, and refused
  // over the limit.
  // (No copy of the frame: the scanner reads the prefix, then the message.)
  const std::array<char, 5> prefix = MessagePrefix(message->size());
  if (absl::Status s = request_messages_.Feed({prefix.data(), prefix.size()}); !s.ok()) return s;
  if (absl::Status s = request_messages_.Feed(*message); !s.ok()) return s;
  AppendMessage(*message, &request_body_);
  return absl::OkStatus();
}

void ForwardedStream::SendConnectAnswer(json::connect::UnaryAnswer answer, bool wait_for_body) {
  if (wait_for_body && !request_ended_ && !connect_request_over_limit_ && !deadline_passed_ &&
      caller_->WaitsForBodyBeforeAnswer()) {
    // Answered before the caller sent its whole body (a refusal, a connector
    // out of reach): curl 7.88 fails a transfer whose answer comes with
    // RST_STREAM NO_ERROR, or waits forever without one. So the answer waits
    // for the body, dropped as it comes, at most limits.handshake_timeout_ms.
    held_connect_answer_ = std::make_unique<json::connect::UnaryAnswer>(std::move(answer));
    StartDeadline(thread_->shared().handshake_timeout);
    return;
  }
  ev_timer_stop(thread_->loop(), &deadline_);
  response_headers_sent_ = true;
  HeaderList headers = {{":status", absl::StrCat(answer.http_status)}};
  for (const auto& [name, value] : answer.headers) headers.Add(name, value);
  headers.Add(protocol::kRequestIdHeader, plan_.request_id);
  DropResponseBody();
  response_body_.Append(reinterpret_cast<const uint8_t*>(answer.body.data()), answer.body.size());
  CountHeldResponse();
  trailers_.clear();  // a unary Connect answer ends with its body
  caller_->SendHeaders(headers);
  caller_->ResumeResponse(/*released=*/true);
}

// --- The JSON door's server streams (Connect's application/connect+json or
// +proto): the answer's headers go out as the connector's come, each of its
// messages as an envelope as it arrives, then the end-of-stream envelope
// (flags 0x02) with the status and the trailers as metadata. The connector's
// window is credited as its messages are enveloped; what the caller has not
// taken is held for it, within the same bounds as the gRPC door's
// (max_held_bytes_per_connection, max_held_bytes, stalled_reader_ms).

json::connect::UnaryAnswer ForwardedStream::StreamErrorAnswer(const absl::Status& status) const {
  json::connect::UnaryAnswer answer;
  answer.headers.emplace_back("content-type", StreamContentType());
  const json::connect::ConnectError error = json::connect::ErrorFromStatus(status);
  answer.body = json::connect::EncodeEndStream(&error, {});
  return answer;
}

absl::string_view ForwardedStream::StreamContentType() const {
  return plan_.codec == json::connect::Codec::kJson ? "application/connect+json"
                                                    : "application/connect+proto";
}

void ForwardedStream::SendStreamHeaders() {
  if (response_headers_sent_) return;
  response_headers_sent_ = true;
  HeaderList headers = {{":status", "200"}, {"content-type", std::string(StreamContentType())}};
  for (const auto& [name, value] : response_headers_) {
    if (json::connect::IsPassableMetadata(name, value)) headers.Add(name, value);
  }
  headers.Add(protocol::kRequestIdHeader, plan_.request_id);
  response_headers_.Release();
  caller_->SendHeaders(headers);
}

void ForwardedStream::EnvelopeStreamMessages() {
  size_t used = 0;
  bool added = false;
  while (connect_answer_.size() - used >= 5) {
    const auto* p = reinterpret_cast<const uint8_t*>(connect_answer_.data() + used);
    const size_t length =
        (size_t{p[1]} << 24) | (size_t{p[2]} << 16) | (size_t{p[3]} << 8) | p[4];
    if (connect_answer_.size() - used < 5 + length) break;
    if (p[0] != 0) {  // the hub asks for no compression (no grpc-accept-encoding)
      CancelUpstream();
      return FailWith(absl::InternalError("the connector sent a compressed message"));
    }
    const absl::string_view message(connect_answer_.data() + used + 5, length);
    used += 5 + length;
    std::string payload;
    if (plan_.codec == json::connect::Codec::kJson) {
      absl::StatusOr<std::string> json = hub_->json->ResponseToJson(*connect_method_, message);
      if (!json.ok()) {
        CancelUpstream();
        return FailWith(json.status());
      }
      payload = *std::move(json);
    } else {
      payload = std::string(message);
    }
    const std::string envelope = json::connect::EncodeEnvelope(0, payload);
    response_body_.Append(reinterpret_cast<const uint8_t*>(envelope.data()), envelope.size());
    added = true;
  }
  connect_answer_.erase(0, used);
  if (!added) return;
  CountHeldResponse();
  ResumeResponse();
  EnforceHeldBounds();
}

void ForwardedStream::EndStream() {
  // The connector's status (or the hub's), its trailers as metadata.
  std::vector<json::connect::Header> trailers;
  for (const auto& field : trailers_) trailers.push_back(field);
  std::optional<json::connect::ConnectError> error = json::connect::ErrorFromGrpcTrailers(trailers);
  const std::string end =
      json::connect::EncodeEndStream(error.has_value() ? &*error : nullptr, trailers);
  // The end first: an answer whose headers go out only now is whole, and
  // HTTP/1.1 sends it with its length.
  response_body_.Append(reinterpret_cast<const uint8_t*>(end.data()), end.size());
  CountHeldResponse();
  SendStreamHeaders();
  trailers_.clear();  // a Connect stream ends with its body
  caller_->ResumeResponse(/*released=*/true);
}

void ForwardedStream::ResumeRequest() {
  if (connector_ != nullptr) connector_->OnRequestReady();
}

void ForwardedStream::ConsumeRequest(size_t length) { caller_->ConsumeRequest(length); }

void ForwardedStream::OnDownstreamClosed(uint32_t) {
  // The caller is gone (or fully answered): nothing more goes to it.
  if (phase_ == Phase::kForwarding) {
    CancelUpstream();
    if (trailers_.empty()) trailers_ = StatusTrailers(absl::CancelledError("the caller cancelled"));
  }
  if (route_ != nullptr && !recorded_) {
    TakeOutcome(std::nullopt);  // the connector never answered
    if (hub_->recorder != nullptr) hub_->recorder->Record(thread_->index(), std::move(record_));
    awaited_record_.Reset();
  }
  phase_ = Phase::kDone;
}

// --- The connector's answer.

void ForwardedStream::OnResponseHeader(absl::string_view name, absl::string_view value) {
  // Only the hub sets x-ndxp-* (its request id it echoes itself): a
  // connector's are dropped, headers and trailers, whatever the door.
  if (absl::StartsWith(name, "x-ndxp-")) return;
  response_header_bytes_ += name.size() + value.size() + 32;
  if (response_header_bytes_ > kMaxResponseHeaderBytes) return;  // refused when complete
  if (collecting_trailers_) {
    trailers_.Add(name, value);
  } else {
    response_headers_.Add(name, value);
  }
}

void ForwardedStream::OnResponseHeadersDone(bool end_stream) {
  if (phase_ != Phase::kForwarding) return;
  if (response_header_bytes_ > kMaxResponseHeaderBytes) {
    CancelUpstream();
    response_headers_.clear();
    FailWith(absl::UnavailableError(absl::StrCat(
        "the connector of ", ServiceName(), " answered with headers over ",
        kMaxResponseHeaderBytes, " bytes")));
    return;
  }
  if (!collecting_trailers_ && !end_stream) {
    collecting_trailers_ = true;  // what comes next in HEADERS are trailers
    SendResponseHeaders();
    return;
  }
  if (!collecting_trailers_) {
    // Trailers-only from the connector: its headers are the trailers.
    trailers_.swap(response_headers_);
    trailers_.Erase(":status");
  }
  Complete();
}

void ForwardedStream::SendResponseHeaders() {
  if (plan_.server_stream) return SendStreamHeaders();
  if (response_headers_sent_ || door_ != Door::kGrpc) return;  // JSON door: at Release
  response_headers_sent_ = true;
  bool has_status = false;
  for (const auto& [name, value] : response_headers_) has_status = has_status || name == ":status";
  HeaderList headers;
  if (!has_status) headers.Add(":status", "200");
  headers.Append(response_headers_);
  headers.Add(protocol::kRequestIdHeader, plan_.request_id);
  response_headers_.Release();
  caller_->SendHeaders(headers);
}

void ForwardedStream::OnResponseData(const uint8_t* data, size_t length) {
  if (phase_ != Phase::kForwarding) {
    ConsumeResponse(length);
    return;
  }
  // The limit on messages is the exchange's: the hub's own answers (a
  // reflection file with its imports) are bounded by what they are.
  absl::Status scanned =
      local_ != nullptr ? absl::OkStatus()
                        : response_messages_.Feed({reinterpret_cast<const char*>(data), length});
  if (!scanned.ok()) {
    ConsumeResponse(length);
    CancelUpstream();
    FailWith(scanned);
    return;
  }
  if (door_ != Door::kGrpc) {  // held whole until the trailers, or enveloped as they come
    connect_answer_.append(reinterpret_cast<const char*>(data), length);
    ConsumeResponse(length);
    if (plan_.server_stream) EnvelopeStreamMessages();
    return;
  }
  response_body_.Append(data, length);
  CountHeldResponse();
  ResumeResponse();
  EnforceHeldBounds();
}

void ForwardedStream::ResumeResponse() {
  if (response_headers_sent_) caller_->ResumeResponse(/*released=*/false);
}

void ForwardedStream::ConsumeResponse(size_t length) {
  if (connector_ != nullptr) connector_->OnResponseTaken(length);
}

void ForwardedStream::OnResponseTaken(size_t length) {
  last_taken_ = ev_now(thread_->loop());
  CountHeldResponse();
  ConsumeResponse(length);
}

absl::string_view ForwardedStream::ServiceName() const {
  if (probed_ != nullptr) return probed_->service;
  return route_ != nullptr ? absl::string_view(route_->service->service) : "";
}

void ForwardedStream::CancelUpstream() {
  // Its answer's bytes will not be read: give their window back first.
  DropResponseBody();
  if (connector_ != nullptr) connector_->Cancel();
}

// --- Deadlines.

void ForwardedStream::StartDeadline(absl::Duration timeout) {
  ev_timer_stop(thread_->loop(), &deadline_);
  ev_timer_set(&deadline_, std::max(absl::ToDoubleSeconds(timeout), 0.), 0.);
  ev_timer_start(thread_->loop(), &deadline_);
}

void ForwardedStream::OnDeadlineEvent(struct ev_loop*, ev_timer* timer, int) {
  static_cast<ForwardedStream*>(timer->data)->OnDeadline();
}

void ForwardedStream::OnDeadline() {
  if (held_connect_answer_ != nullptr) {  // the body never ended: answer now (and reset)
    std::unique_ptr<json::connect::UnaryAnswer> answer = std::move(held_connect_answer_);
    return SendConnectAnswer(std::move(*answer), /*wait_for_body=*/false);
  }
  if (phase_ == Phase::kReceivingHeaders) {
    // The header block never completed: end the stream, nothing to answer.
    phase_ = Phase::kRefused;
    caller_->Reset(CallerReset::kCancel);
    return;
  }
  if (phase_ != Phase::kForwarding) return;
  deadline_passed_ = true;
  CancelUpstream();
  FailWith(absl::DeadlineExceededError("deadline exceeded"));
}

// --- The outcome.

void ForwardedStream::FailWith(const absl::Status& status) {
  if (phase_ != Phase::kForwarding) return;
  hub_made_outcome_ = true;
  trailers_ = StatusTrailers(status);
  DropResponseBody();  // what is left of the answer is not delivered
  Complete();
}

void ForwardedStream::Complete() {
  phase_ = Phase::kCompleting;
  ev_timer_stop(thread_->loop(), &deadline_);
  if (probed_ != nullptr) {
    // The connector's own health answer passes. Any other status it gave
    // (it may serve no health service) still shows it reachable; only an
    // answer the hub had to make itself means NOT_SERVING.
    CountHealthProbe(hub_made_outcome_ ? HealthProbeAnswer::kUnreachable
                                       : HealthProbeAnswer::kConnector,
                     hub_->stats);
    if (hub_made_outcome_) {
      AnswerHealth(false);
    } else if (StatusCodeOf(trailers_) != 0) {
      AnswerHealth(true);
    }
    return Release();  // a probe is not a transaction
  }
  if (route_ == nullptr) return Release();  // the hub's own methods: no transaction
  TakeOutcome(hub_made_outcome_ ? std::nullopt
                                : std::optional<absl::Duration>(absl::Now() - upstream_->started()));
  Recorder* recorder = hub_->recorder;
  if (recorder == nullptr) return Release();
  if (!hub_->hold_until_recorded) {
    recorder->Record(thread_->index(), std::move(record_));
    return Release();
  }
  // The answer waits for its record's commit; the commit's outcome comes
  // back to this stream's thread with its batch's (OnCommitted), which calls
  // OnRecorded if the stream is still there.
  recorder->Record(thread_->index(), std::move(record_), thread_, serial_);
  awaited_record_.Reset();
}

void ForwardedStream::TakeOutcome(std::optional<absl::Duration> connector_time) {
  record_.status_code = StatusCodeOf(trailers_);
  record_.latency_micros = absl::ToInt64Microseconds(absl::Now() - started_);
  record_.request_bytes = request_messages_.payload_bytes();
  record_.response_bytes = response_messages_.payload_bytes();
  recorded_ = true;
  if (hub_->metrics != nullptr) {
    hub_->metrics->OnTransaction(thread_->index(), record_, connector_time);
  }
}

void ForwardedStream::OnRecorded(const absl::Status& status, const AppendedRow& row) {
  if (!status.ok()) {
    // An answer that is not on record is not released.
    trailers_ = StatusTrailers(
        absl::UnavailableError("the hub could not record this transaction; retry later"));
    DropResponseBody();
  } else if (row.seq > 0) {
    // Where the call is on record. A REST answer has no trailers: a header;
    // every other door's goes with the status (gRPC trailers, Connect's
    // trailer-* headers or end-of-stream metadata).
    const std::string receipt = FormatAuditReceipt(hub_->recorder->replica(), row);
    (door_ == Door::kRest ? response_headers_ : trailers_)
        .Add(protocol::kReceiptHeader, receipt);
  }
  Release();
}

void ForwardedStream::Release() {
  released_ = true;
  if (caller_->closed()) return;
  if (plan_.server_stream) return EndStream();
  if (door_ != Door::kGrpc) {
    std::vector<json::connect::Header> headers, trailers;
    for (const auto& field : response_headers_) headers.push_back(field);
    for (const auto& field : trailers_) trailers.push_back(field);
    return SendConnectAnswer(
        connect_method_ != nullptr
            ? json::connect::AnswerUnary(*hub_->json, *connect_method_, plan_.codec, headers,
                                         connect_answer_, trailers)
            : json::connect::AnswerError(absl::InternalError("no method to answer")));
  }
  if (!response_headers_sent_) {
    SubmitTrailersOnly(trailers_);
    phase_ = Phase::kDone;
    return;
  }
  caller_->ResumeResponse(/*released=*/true);  // the trailers follow the body
}

void ForwardedStream::SubmitTrailersOnly(const HeaderList& trailers) {
  response_headers_sent_ = true;
  HeaderList headers = {{":status", "200"}, {"content-type", "application/grpc"}};
  headers.Append(trailers);
  headers.Add(protocol::kRequestIdHeader, plan_.request_id);
  caller_->SendTrailersOnly(headers);
}

// --- Health probes of a routed service: that service's connector answers.

bool ForwardedStream::ProbeConnector(absl::string_view checked) {
  for (const auto& service : hub_->routes->services()) {
    if (service->service != checked) continue;
    probed_ = service.get();
    retired_local_ = std::move(local_);  // still on the stack below this call
    connector_ = nullptr;
    plan_.upstream_headers = {{":method", "POST"},
                              {":scheme", "https"},
                              {":path", std::string(kHealthCheck)},
                              {":authority", PlaceholderAuthority(*service)},
                              {"te", "trailers"},
                              {"content-type", "application/grpc"},
                              {"grpc-timeout", "5S"}};
    static constexpr uint8_t kEmptyRequest[5] = {0, 0, 0, 0, 0};  // the connector's overall health
    request_body_.Clear();
    request_body_.Append(kEmptyRequest, sizeof(kEmptyRequest));
    request_ended_ = true;
    StartConnector(*service);  // unreachable: FailWith, then Complete answers NOT_SERVING
    return true;
  }
  return false;  // the hub itself, or an unknown service: answered locally
}

void ForwardedStream::AnswerHealth(bool serving) {
  grpc::health::v1::HealthCheckResponse answer;
  answer.set_status(serving ? grpc::health::v1::HealthCheckResponse::SERVING
                            : grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  if (!response_headers_sent_) {
    response_headers_ = {{":status", "200"}, {"content-type", "application/grpc"}};
    SendResponseHeaders();
  }
  DropResponseBody();
  AppendMessage(answer.SerializeAsString(), &response_body_);
  CountHeldResponse();
  trailers_ = {{"grpc-status", "0"}};
  phase_ = Phase::kCompleting;
}

}  // namespace ndxp::gateway::transport
