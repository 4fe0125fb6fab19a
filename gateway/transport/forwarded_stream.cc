#include "gateway/transport/forwarded_stream.h"

#include <algorithm>
#include <cstring>

#include <grpcpp/support/byte_buffer.h>
#include <openssl/rand.h>

#include "absl/container/inlined_vector.h"
#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "common/protocol/metadata.h"
#include "gateway/admission/admission.h"
#include "gateway/admission/header_rules.h"
#include "gateway/peering/peers.h"
#include "grpc/health/v1/health.pb.h"
#include "gateway/transport/downstream.h"
#include "gateway/transport/transport_thread.h"
#include "gateway/transport/upstream.h"

namespace ndxp::gateway::transport {
namespace {

// 128 random bits in hex; per-thread generator, no lock. Formatted by hand:
// it runs for every call that brings no id (StrFormat showed in profiles).
std::string NewRequestId() {
  static thread_local absl::BitGen bits;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t value = absl::Uniform<uint64_t>(bits);
    for (int i = 15; i >= 0; --i, value >>= 4) id[half * 16 + i] = kHex[value & 0xF];
  }
  return id;
}

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

// What makes a request gRPC over HTTP/2 (nghttp2's own HTTP checks are off
// on the callers' side: admission has checked names and values).
absl::Status CheckGrpcRequest(absl::string_view method, absl::string_view content_type) {
  if (method != "POST") {
    return absl::InvalidArgumentError(
        absl::StrCat("gRPC calls are HTTP/2 POST requests, not \"", method, "\""));
  }
  if (!absl::StartsWith(content_type, "application/grpc")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "content-type \"", content_type, "\" is not application/grpc"));
  }
  return absl::OkStatus();
}

constexpr absl::string_view kHealthCheck = "/grpc.health.v1.Health/Check";
constexpr absl::string_view kHealthWatch = "/grpc.health.v1.Health/Watch";

ssize_t ReadResponseBodySource(nghttp2_session*, int32_t, uint8_t*, size_t length,
                               uint32_t* flags, nghttp2_data_source* source, void*) {
  return static_cast<ForwardedStream*>(source->ptr)->ReadResponseBody(length, flags);
}

// A gRPC message frame (uncompressed) around `payload`.
void AppendMessage(absl::string_view payload, ByteQueue* out) {
  uint8_t prefix[5] = {0, static_cast<uint8_t>(payload.size() >> 24),
                       static_cast<uint8_t>(payload.size() >> 16),
                       static_cast<uint8_t>(payload.size() >> 8),
                       static_cast<uint8_t>(payload.size())};
  out->Append(prefix, sizeof(prefix));
  out->Append(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
}

// The :authority the request's list carries until a connection takes it
// (Upstream::Start names the endpoint the pool chose): the longest of the
// service's endpoints, so that the size checked against the connectors'
// limit holds whichever replica takes the call.
const std::string& PlaceholderAuthority(const ServiceRoute& service) {
  const std::string* longest = &service.endpoints.front();
  for (const std::string& endpoint : service.endpoints) {
    if (endpoint.size() > longest->size()) longest = &endpoint;
  }
  return *longest;
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
    : thread_(downstream->thread()),
      downstream_(downstream),
      downstream_id_(stream_id),
      serial_(thread_->Register(this)),
      hub_(thread_->context()),
      identity_(&downstream->identity()),
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
  downstream_->AddHeldResponse(delta);
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
  nghttp2_session* session = downstream_->session();
  if (downstream_->closed() || session == nullptr) return false;
  return nghttp2_session_get_stream_remote_window_size(session, downstream_id_) <= 0 ||
         nghttp2_session_get_remote_window_size(session) <= 0;
}

void ForwardedStream::EnforceHeldBounds() {
  const TransportShared& shared = thread_->shared();
  const ev_tstamp now = ev_now(thread_->loop());
  if (downstream_->held_response_bytes() > shared.max_held_per_connection) {
    if (ForwardedStream* heaviest = downstream_->HeaviestNotReading(now)) {
      heaviest->ResetUnread(
          ConnectionLimit::kUnreadAnswers,
          absl::StrCat("the caller's connection held ", downstream_->held_response_bytes(),
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
      "stream {} of {} ({}) reset with RST_STREAM ENHANCE_YOUR_CALM: {} ({}): {}",
      downstream_id_, downstream_->Peer(), record_.method.empty() ? "-" : record_.method,
      Info(limit).name, Info(limit).setting, why);
  if (downstream_->closed() || downstream_->session() == nullptr) return;
  nghttp2_submit_rst_stream(downstream_->session(), NGHTTP2_FLAG_NONE, downstream_id_,
                            NGHTTP2_ENHANCE_YOUR_CALM);
  downstream_->ScheduleFlush();
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
  if (request_header_bytes_ > kMaxRequestHeaderBytes) {
    // Refused here and, as a header block decoded for nothing, counted by
    // the connection's FrameGuard too (limits.wasted_header_frames).
    return Refuse(Refusal::kHeadersTooLarge,
                  absl::ResourceExhaustedError(absl::StrCat(
                      "request headers of ", request_header_bytes_,
                      " bytes and more are over the limit of ", kMaxRequestHeaderBytes)));
  }
  absl::InlinedVector<RequestHeader, 16> headers;
  absl::string_view path, method, content_type, timeout, encoding;
  absl::string_view assertion, request_id, purpose;
  int assertions = 0;  // an empty or repeated header is refused too, never dropped
  for (const auto& [name, value] : request_headers_) {
    headers.push_back({name, value});
    if (name == ":path") path = value;
    if (name == ":method") method = value;
    if (name == "content-type") content_type = value;
    if (name == "grpc-timeout") timeout = value;
    if (name == "grpc-encoding") encoding = value;
    if (name == kAssertionHeader) assertion = value, ++assertions;
    if (name == protocol::kRequestIdHeader) request_id = value;
    if (name == protocol::kPurposeHeader) purpose = value;
  }
  if (assertions > 0) {
    // A peer hub forwards a call of one of its members: admitted as that
    // member's own (grants, purpose, quotas, recording), or refused.
    absl::StatusOr<AssertedConsumer> asserted =
        assertions > 1
            ? absl::UnauthenticatedError(absl::StrCat(kAssertionHeader, ": ", assertions,
                                                      " of them; a call carries one"))
            : AcceptAssertion(*hub_->peers, *hub_->replays, downstream_->identity(),
                              downstream_->peer_public_key(), assertion,
                              {path, request_id, purpose, absl::Now()});
    if (!asserted.ok()) {
      request_id_ = IsValidRequestId(request_id) ? std::string(request_id) : NewRequestId();
      return Refuse(asserted.status().code() == absl::StatusCode::kPermissionDenied
                        ? Refusal::kPermissionDenied
                        : Refusal::kUnauthenticated,
                    asserted.status());
    }
    asserted_spiffe_id_ = std::move(asserted->spiffe_id);
    asserted_identity_ = ParseSpiffeId(asserted_spiffe_id_, asserted->trust_domain);
    identity_ = &asserted_identity_;
    record_.via = asserted->peer->agency_subsystem;
    hubs_before_ = std::move(asserted->hubs_before);
  }
  AdmissionTables tables{hub_->routes.get(), hub_->policy.get(), hub_->local.get(),
                         &NewRequestId};
  AdmissionDecision decision = Admit(tables, {path, identity_, headers});
  request_id_ = std::move(decision.request_id);
  if (!decision.status.ok()) return Refuse(decision.refusal, decision.status);
  if (absl::Status s = CheckGrpcRequest(method, content_type); !s.ok()) {
    return Refuse(Refusal::kBadRequest, s);
  }

  std::optional<absl::Duration> caller_timeout;
  if (!timeout.empty()) {
    caller_timeout = ParseGrpcTimeout(timeout);
    if (!caller_timeout.has_value()) {
      return Refuse(Refusal::kBadRequest, absl::InvalidArgumentError(absl::StrCat(
                                              "grpc-timeout \"", timeout, "\" is malformed")));
    }
  }
  // The call's deadline: the caller's, or the default, never past the cap
  // (the route's, else the hub's), and the same upstream.
  absl::Duration cap = absl::FromChrono(hub_->max_deadline);
  if (decision.route != nullptr && decision.route->service->max_deadline > absl::ZeroDuration()) {
    cap = decision.route->service->max_deadline;
  }
  const absl::Duration remaining =
      std::min(caller_timeout.value_or(absl::FromChrono(hub_->default_deadline)), cap);
  StartDeadline(remaining);

  if (decision.local != nullptr) {
    if (!encoding.empty() && encoding != "identity") {
      return Refuse(Refusal::kBadRequest,
                    absl::UnimplementedError(absl::StrCat(
                        "the hub's own methods take uncompressed messages, not ", encoding)));
    }
    local_ = decision.local;
    phase_ = Phase::kLocal;
    return;
  }

  const MethodRoute& route = *decision.route;
  if (!route.service->peer_hub.empty()) {
    if (absl::Status s = PrepareAssertion(route, decision.purpose); !s.ok()) {
      return Refuse(Refusal::kPermissionDenied, s);
    }
  }
  record_.request_id = request_id_;
  record_.consumer = std::move(decision.consumer);
  record_.provider = route.service->provider;
  record_.service = route.service->service;
  record_.method = std::string(route.method);
  record_.purpose = std::move(decision.purpose);

  upstream_request_ = {{":method", "POST"},
                       {":scheme", "https"},
                       {":path", route.full_method},
                       {":authority", PlaceholderAuthority(*route.service)},
                       {"te", "trailers"},
                       {"grpc-timeout", FormatGrpcTimeout(remaining)}};
  bool has_content_type = false;
  for (const auto& [name, value] : request_headers_) {
    if (name == "content-type") has_content_type = true;
    if (name == "content-type" || name == "user-agent" ||
        (absl::StartsWith(name, "grpc-") && name != "grpc-timeout")) {
      upstream_request_.Add(name, value);
    }
  }
  if (!has_content_type) upstream_request_.Add("content-type", "application/grpc");
  request_messages_.MeterInflatedSize(encoding);  // the connector inflates it whole
  for (const auto& [name, value] : decision.upstream_headers) upstream_request_.Add(name, value);
  if (size_t bytes = UpstreamHeaderBytes(); bytes > kConnectorMaxHeaderBytes) {
    return Refuse(Refusal::kHeadersTooLarge,
                  absl::ResourceExhaustedError(absl::StrCat(
                      "request headers too large: with the hub's own they come to ", bytes,
                      " bytes, over the connectors' limit of ", kConnectorMaxHeaderBytes,
                      " (RFC 9113 sizes: name, value and 32 per header)")));
  }
  // The cap on open calls and the quota last, once nothing else can refuse
  // the call: a refused call spends none of either.
  absl::Duration retry_after = absl::ZeroDuration();
  if (absl::Status s = hub_->quotas->AcquireOpenCall(**identity_, route, &quota_, &retry_after);
      !s.ok()) {
    return Refuse(Refusal::kOverConcurrency, s, retry_after);
  }
  if (!hub_->quotas->empty()) {
    if (absl::Status s =
            hub_->quotas->Acquire(**identity_, route, absl::Now(), &quota_, &retry_after);
        !s.ok()) {
      return Refuse(Refusal::kOverQuota, s, retry_after);
    }
  }
  request_headers_.Release();
  hub_->stats->forwarded.fetch_add(1, std::memory_order_relaxed);
  StartForwarding(route);
}

size_t ForwardedStream::UpstreamHeaderBytes() const {
  size_t bytes = 0;
  for (const auto& [name, value] : upstream_request_) bytes += name.size() + value.size() + 32;
  if (outbound_assertion_ != nullptr) {
    // Signed at the connection (Upstream): base64url(payload).base64url(a
    // signature of at most 512 bytes, RSA-4096's).
    const size_t signed_bytes = outbound_assertion_->ByteSizeLong() + 512;
    bytes += kAssertionHeader.size() + (signed_bytes * 4 + 2) / 3 + 1 + 32;
  }
  return bytes;
}

absl::Status ForwardedStream::PrepareAssertion(const MethodRoute& route,
                                               const std::string& purpose) {
  // The hubs before this one, this one (the signer) and the peer.
  if (hubs_before_.size() + 2 > static_cast<size_t>(kMaxHubsOnPath)) {
    return absl::PermissionDeniedError(absl::StrCat(
        route.full_method, " is routed to another peer hub, but the call has passed ",
        hubs_before_.size() + 1, " hubs already; at most ", kMaxHubsOnPath,
        " may carry one call (a loop of peer routes?)"));
  }
  outbound_assertion_ = std::make_unique<ConsumerAssertion>();
  ConsumerAssertion& a = *outbound_assertion_;
  a.set_consumer(std::string((*identity_)->spiffe_id));
  a.set_method(route.full_method);
  a.set_request_id(request_id_);
  a.set_purpose(purpose);
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  const uint32_t lifetime_ms = hub_->settings.config.limits().assertion_lifetime_ms();
  a.set_issued_at_ms(now_ms);
  a.set_expires_at_ms(now_ms + (lifetime_ms > 0 ? lifetime_ms
                                                 : absl::ToInt64Milliseconds(
                                                       kDefaultAssertionLifetime)));
  std::string nonce(kAssertionNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), nonce.size()) != 1) {
    return absl::InternalError("cannot draw a nonce for the peer hub's assertion");
  }
  a.set_nonce(std::move(nonce));
  for (const std::string& hub : hubs_before_) a.add_earlier_hubs(hub);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ForwardedStream::SignAssertion(evp_pkey_st* key) const {
  if (outbound_assertion_ == nullptr) return absl::InternalError("no assertion prepared");
  return gateway::SignAssertion(*outbound_assertion_, key);
}

void ForwardedStream::Refuse(Refusal kind, const absl::Status& status,
                             absl::Duration retry_after) {
  CountRefusal(kind, hub_->stats);
  if (hub_->recorder != nullptr) {  // bounded: a flood of refusals drops, counted
    absl::string_view path;
    for (const auto& [name, value] : request_headers_) {
      if (name == ":path") path = value;
    }
    TransactionRecord refused =
        RefusedCallRecord(*hub_, path, *identity_, status, request_id_, started_);
    refused.via = record_.via;
    refused.refusal_kind = kind;
    hub_->recorder->RecordRefusal(thread_->index(), std::move(refused));
  }
  phase_ = Phase::kRefused;
  ev_timer_stop(thread_->loop(), &deadline_);
  DropRequestBody();
  request_headers_.Release();
  released_ = true;
  HeaderList trailers = StatusTrailers(status);
  if (retry_after > absl::ZeroDuration()) {  // gRFC A6: when the caller may retry
    trailers.Add("grpc-retry-pushback-ms",
                 absl::StrCat(absl::ToInt64Milliseconds(
                     absl::Ceil(retry_after, absl::Milliseconds(1)))));
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
  TransportThread::NoUpstream why = TransportThread::NoUpstream::kUnreachable;
  Upstream* upstream = thread_->UpstreamFor(*route.service, &why);
  if (upstream == nullptr) {
    const std::string& service = route.service->service;
    switch (why) {
      case TransportThread::NoUpstream::kBusy:
        FailWith(absl::UnavailableError(absl::StrCat(
            "the connector of ", service, " has ", thread_->shared().max_pending_per_upstream,
            " calls pending on each of its connections; retry later")));
        break;
      case TransportThread::NoUpstream::kNotServing:
        FailWith(absl::UnavailableError(absl::StrCat(
            "the connector of ", service,
            " is not serving (its health checks answer NOT_SERVING: it is draining); "
            "retry later")));
        break;
      case TransportThread::NoUpstream::kUnreachable:
        FailWith(absl::UnavailableError(
            absl::StrCat("the connector of ", service, " cannot be reached; retry later")));
        break;
    }
    return;
  }
  upstream_ = upstream;
  upstream_started_ = absl::Now();
  upstream->Submit(this);
}

void ForwardedStream::OnUpstreamStarted(Upstream* upstream, int32_t stream_id) {
  upstream_ = upstream;
  upstream_id_ = stream_id;
  upstream_open_ = true;
}

void ForwardedStream::OnRequestData(const uint8_t* data, size_t length) {
  if (phase_ != Phase::kForwarding && phase_ != Phase::kLocal) {
    ConsumeRequest(length);  // nobody will read it: reopen the window at once
    return;
  }
  absl::Status scanned =
      request_messages_.Feed({reinterpret_cast<const char*>(data), length});
  if (!scanned.ok()) {
    ConsumeRequest(length);
    CancelUpstream();
    FailWith(scanned);
    return;
  }
  request_body_.Append(data, length);
  if (phase_ == Phase::kLocal) {
    AnswerLocalMessages();
    return;
  }
  ResumeRequest();
}

void ForwardedStream::OnRequestEnd() {
  request_ended_ = true;
  if (phase_ == Phase::kLocal) {
    AnswerLocalMessages();
  } else {
    ResumeRequest();
  }
}

void ForwardedStream::ResumeRequest() {
  if (!request_deferred_ || !upstream_open_ || upstream_ == nullptr) return;
  request_deferred_ = false;
  nghttp2_session_resume_data(upstream_->session(), upstream_id_);
  upstream_->ScheduleFlush();
}

ssize_t ForwardedStream::ReadRequestBody(size_t length, uint32_t* flags) {
  size_t n = std::min(length, request_body_.size());
  if (n == request_body_.size() && request_ended_) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  } else if (n == 0) {
    request_deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  if (n > 0) *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  request_body_.Promise(n);
  return static_cast<ssize_t>(n);
}

void ForwardedStream::WriteRequestBody(std::string* out, size_t length) {
  request_body_.TakeInto(out, length);
  ConsumeRequest(length);
}

void ForwardedStream::ConsumeRequest(size_t length) {
  if (downstream_->closed() || downstream_->session() == nullptr) return;
  nghttp2_session_consume(downstream_->session(), downstream_id_, length);
  downstream_->ScheduleFlush();
}

void ForwardedStream::OnDownstreamClosed(uint32_t) {
  // The caller is gone (or fully answered): nothing more goes to it.
  if (phase_ == Phase::kForwarding) {
    CancelUpstream();
    if (trailers_.empty()) trailers_ = StatusTrailers(absl::CancelledError("the caller cancelled"));
  }
  if (route_ != nullptr && !recorded_) {
    TakeOutcome(std::nullopt);  // the connector never answered
    if (hub_->recorder != nullptr) hub_->recorder->Record(thread_->index(), std::move(record_));
  }
  phase_ = Phase::kDone;
}

// --- The connector's answer.

void ForwardedStream::OnResponseHeader(absl::string_view name, absl::string_view value) {
  if (name == protocol::kRequestIdHeader) return;  // the hub echoes its own
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
  upstream_open_ = false;
  Complete();
}

void ForwardedStream::SendResponseHeaders() {
  if (response_headers_sent_) return;
  response_headers_sent_ = true;
  bool has_status = false;
  for (const auto& [name, value] : response_headers_) has_status = has_status || name == ":status";
  HeaderList headers;
  if (!has_status) headers.Add(":status", "200");
  headers.Append(response_headers_);
  headers.Add(protocol::kRequestIdHeader, request_id_);
  response_headers_.Release();
  HeaderList::Nva nva = headers.ToNva();
  nghttp2_data_provider body;
  body.source.ptr = this;
  body.read_callback = &ReadResponseBodySource;
  nghttp2_submit_response(downstream_->session(), downstream_id_, nva.data(), nva.size(), &body);
  downstream_->ScheduleFlush();
}

void ForwardedStream::OnResponseData(const uint8_t* data, size_t length) {
  if (phase_ != Phase::kForwarding) {
    ConsumeResponse(length);
    return;
  }
  absl::Status scanned =
      response_messages_.Feed({reinterpret_cast<const char*>(data), length});
  if (!scanned.ok()) {
    ConsumeResponse(length);
    CancelUpstream();
    FailWith(scanned);
    return;
  }
  response_body_.Append(data, length);
  CountHeldResponse();
  ResumeResponse();
  EnforceHeldBounds();
}

void ForwardedStream::ResumeResponse() {
  if (!response_deferred_ || !response_headers_sent_ || downstream_->closed()) return;
  response_deferred_ = false;
  nghttp2_session_resume_data(downstream_->session(), downstream_id_);
  downstream_->ScheduleFlush();
}

void ForwardedStream::ConsumeResponse(size_t length) {
  // The stream's window only: the connection's was credited on arrival
  // (Upstream::OnDataChunk).
  if (upstream_ == nullptr || upstream_id_ < 0 || upstream_->closed()) return;
  nghttp2_session_consume_stream(upstream_->session(), upstream_id_, length);
  upstream_->ScheduleFlush();
}

ssize_t ForwardedStream::ReadResponseBody(size_t length, uint32_t* flags) {
  size_t n = std::min(length, response_body_.size());
  if (n > 0) {
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    response_body_.Promise(n);
    return static_cast<ssize_t>(n);
  }
  if (released_) {
    // Every byte is out and the outcome is on record: the trailers close it.
    HeaderList::Nva nva = trailers_.ToNva();
    nghttp2_submit_trailer(downstream_->session(), downstream_id_, nva.data(), nva.size());
    *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    phase_ = Phase::kDone;
    return 0;
  }
  response_deferred_ = true;
  return NGHTTP2_ERR_DEFERRED;
}

void ForwardedStream::WriteResponseBody(std::string* out, size_t length) {
  response_body_.TakeInto(out, length);
  last_taken_ = ev_now(thread_->loop());
  CountHeldResponse();
  ConsumeResponse(length);
  if (local_backlogged_ && response_body_.size() <= kMaxLocalBacklogBytes) {
    // Answer the next requests once out of nghttp2's callback.
    local_backlogged_ = false;
    TransportThread* thread = thread_;
    uint64_t serial = serial_;
    thread_->Post([thread, serial] {
      if (ForwardedStream* stream = thread->Find(serial)) stream->AnswerLocalMessages();
    });
  }
}

void ForwardedStream::OnUpstreamClosed(uint32_t error_code) {
  // The connector's stream is done; the connection's window was credited
  // as its bytes arrived, so what the caller has not read yet holds none.
  bool was_open = upstream_open_;
  upstream_open_ = false;
  upstream_id_ = -1;
  upstream_ = nullptr;
  if (phase_ == Phase::kForwarding && was_open) {
    // Closed without trailers: reset by the connector, or its connection lost.
    FailWith(absl::UnavailableError(absl::StrCat(
        "the connector of ", ServiceName(), " ended the call without a status",
        error_code != 0 ? absl::StrCat(" (HTTP/2 error ", error_code, ")") : "")));
  }
}

void ForwardedStream::OnUpstreamFailed(bool request_sent) {
  upstream_open_ = false;
  upstream_id_ = -1;
  upstream_ = nullptr;
  // Nothing of the call reached that endpoint: another replica may take it.
  if (phase_ == Phase::kForwarding && !request_sent && route_ != nullptr &&
      ++failed_attempts_ < route_->service->endpoints.size()) {
    StartForwarding(*route_);
    return;
  }
  if (phase_ == Phase::kForwarding) {
    FailWith(absl::UnavailableError(absl::StrCat(
        "the connector of ", ServiceName(), " cannot be reached; retry later")));
  }
}

absl::string_view ForwardedStream::ServiceName() const {
  if (probed_ != nullptr) return probed_->service;
  return route_ != nullptr ? absl::string_view(route_->service->service) : "";
}

void ForwardedStream::CancelUpstream() {
  // Its answer's bytes will not be read: give their window back first.
  DropResponseBody();
  // By id while the connector's stream exists (its trailers may have come
  // while the request is still open), else from the waiting list.
  if (upstream_ != nullptr) upstream_->Cancel(this, upstream_id_);
  upstream_ = nullptr;
  upstream_id_ = -1;
  upstream_open_ = false;
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
  if (phase_ == Phase::kReceivingHeaders) {
    // The header block never completed: end the stream, nothing to answer.
    phase_ = Phase::kRefused;
    nghttp2_submit_rst_stream(downstream_->session(), NGHTTP2_FLAG_NONE, downstream_id_,
                              NGHTTP2_CANCEL);
    downstream_->ScheduleFlush();
    return;
  }
  if (phase_ != Phase::kForwarding && phase_ != Phase::kLocal) return;
  CancelUpstream();
  FailWith(absl::DeadlineExceededError("deadline exceeded"));
}

// --- The outcome.

void ForwardedStream::FailWith(const absl::Status& status) {
  if (phase_ == Phase::kLocal) {
    phase_ = Phase::kCompleting;
    DropRequestBody();  // reopens the caller's window: nothing more is read
    trailers_ = StatusTrailers(status);
    Release();
    return;
  }
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
  TakeOutcome(hub_made_outcome_ ? std::nullopt
                                : std::optional<absl::Duration>(absl::Now() - upstream_started_));
  Recorder* recorder = hub_->recorder;
  if (recorder == nullptr) return Release();
  if (!hub_->hold_until_recorded) {
    recorder->Record(thread_->index(), std::move(record_));
    return Release();
  }
  // The answer waits for its record's commit; the commit's outcome comes
  // back on the recorder's thread and is handed to this stream's thread.
  TransportThread* thread = thread_;
  uint64_t serial = serial_;
  recorder->Record(thread_->index(), std::move(record_),
                   [thread, serial](const absl::Status& status) {
                     thread->Post([thread, serial, status] {
                       if (ForwardedStream* stream = thread->Find(serial)) {
                         stream->OnRecorded(status);
                       }
                     });
                   });
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

void ForwardedStream::OnRecorded(const absl::Status& status) {
  if (!status.ok()) {
    // An answer that is not on record is not released.
    trailers_ = StatusTrailers(
        absl::UnavailableError("the hub could not record this transaction; retry later"));
    DropResponseBody();
  }
  Release();
}

void ForwardedStream::Release() {
  released_ = true;
  if (downstream_->closed()) return;
  if (!response_headers_sent_) {
    SubmitTrailersOnly(trailers_);
    phase_ = Phase::kDone;
    return;
  }
  response_deferred_ = true;  // ReadResponseBody sends the trailers
  ResumeResponse();
}

void ForwardedStream::SubmitTrailersOnly(const HeaderList& trailers) {
  response_headers_sent_ = true;
  HeaderList headers = {{":status", "200"}, {"content-type", "application/grpc"}};
  headers.Append(trailers);
  headers.Add(protocol::kRequestIdHeader, request_id_);
  HeaderList::Nva nva = headers.ToNva();
  nghttp2_submit_response(downstream_->session(), downstream_id_, nva.data(), nva.size(),
                          nullptr);
  downstream_->ScheduleFlush();
}

// --- The hub's own methods, answered on this thread (or, when they block,
// on the hub's worker, the answer coming back here).

void ForwardedStream::AnswerLocalMessages() {
  using Shape = LocalMethod::Shape;
  if (phase_ != Phase::kLocal || local_busy_) return;
  // Complete messages only: the scanner has checked each length prefix.
  while (request_body_.size() >= 5) {
    // Answers the caller does not read hold back its further requests (and,
    // unconsumed, its window).
    if (response_body_.size() > kMaxLocalBacklogBytes) {
      local_backlogged_ = true;
      return;
    }
    uint8_t prefix[5];
    request_body_.Peek(prefix, 5);
    size_t length = (size_t{prefix[1]} << 24) | (size_t{prefix[2]} << 16) |
                    (size_t{prefix[3]} << 8) | size_t{prefix[4]};
    if (length > kMaxLocalRequestBytes) {
      // Consumed only whole, a larger message could never fit the stream's
      // window: the call would wait for its deadline.
      return FailWith(absl::ResourceExhaustedError(
          absl::StrCat("a request to the hub's own methods is at most ", kMaxLocalRequestBytes,
                       " bytes; this one is ", length)));
    }
    if (request_body_.size() - 5 < length) break;
    if (prefix[0] != 0) {
      return FailWith(absl::UnimplementedError("the hub's own methods take no compression"));
    }
    std::string message(length, '\0');
    request_body_.Take(prefix, 5);
    request_body_.Take(reinterpret_cast<uint8_t*>(message.data()), length);
    ConsumeRequest(5 + length);  // the window, not a buffer, bounds what waits
    if (local_->shape() != Shape::kBidi && local_answers_ > 0) continue;  // one request only
    ++local_answers_;
    if (MaybeProbeHealth(message)) return;
    if (IsHealthMethod(local_)) CountHealthProbe(HealthProbeAnswer::kHub, hub_->stats);
    if (local_->blocking()) {
      local_busy_ = true;
      TransportThread* thread = thread_;
      uint64_t serial = serial_;
      const LocalMethod* method = local_;
      std::shared_ptr<const HubContext> hub = hub_;  // keeps `method` alive
      hub_->worker->Run([thread, serial, method, hub, message = std::move(message)]() mutable {
        grpc::Slice slice(message);
        grpc::ByteBuffer request(&slice, 1), response;
        grpc::Status status = method->Answer(&request, &response);
        std::vector<grpc::Slice> slices;
        std::string bytes;
        if (status.ok() && response.Dump(&slices).ok()) {
          for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
        thread->Post([thread, serial, status = std::move(status), bytes = std::move(bytes)] {
          if (ForwardedStream* stream = thread->Find(serial)) {
            stream->OnLocalAnswer(status, bytes);
          }
        });
      });
      return;
    }
    grpc::Slice slice(message);
    grpc::ByteBuffer request(&slice, 1), response;
    grpc::Status status = local_->Answer(&request, &response);
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (status.ok() && response.Dump(&slices).ok()) {
      for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    OnLocalAnswer(status, bytes);
    if (phase_ != Phase::kLocal) return;
  }
  if (request_ended_ && request_body_.empty() && phase_ == Phase::kLocal) {
    if (local_->shape() == Shape::kBidi) {
      FailWith(absl::OkStatus());
    } else if (local_->shape() == Shape::kUnary && local_answers_ == 0) {
      FailWith(absl::InvalidArgumentError("no request message"));
    }
    // kWatch: the stream stays open until the caller cancels or the deadline.
  }
}

bool ForwardedStream::IsHealthMethod(const LocalMethod* method) const {
  return method == hub_->local->Find(kHealthCheck) || method == hub_->local->Find(kHealthWatch);
}

bool ForwardedStream::MaybeProbeHealth(absl::string_view request) {
  grpc::health::v1::HealthCheckRequest check;
  if (local_ != hub_->local->Find(kHealthCheck) ||
      !check.ParseFromArray(request.data(), static_cast<int>(request.size()))) {
    return false;
  }
  for (const auto& service : hub_->routes->services()) {
    if (service->service != check.service()) continue;
    probed_ = service.get();
    phase_ = Phase::kForwarding;
    upstream_request_ = {{":method", "POST"},
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
    TransportThread::NoUpstream why = TransportThread::NoUpstream::kUnreachable;
    Upstream* upstream = thread_->UpstreamFor(*service, &why);
    if (upstream == nullptr) {
      CountHealthProbe(HealthProbeAnswer::kUnreachable, hub_->stats);
      AnswerHealth(false);
      Release();
      return true;
    }
    upstream_ = upstream;
    upstream->Submit(this);
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

void ForwardedStream::OnLocalAnswer(grpc::Status status, std::string response) {
  using Shape = LocalMethod::Shape;
  local_busy_ = false;
  if (phase_ != Phase::kLocal) return;
  if (!status.ok()) {
    return FailWith(absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                 status.error_message()));
  }
  if (!response_headers_sent_) {
    response_headers_ = {{":status", "200"}, {"content-type", "application/grpc"}};
    SendResponseHeaders();
  }
  AppendMessage(response, &response_body_);
  CountHeldResponse();
  response_deferred_ = true;
  ResumeResponse();
  if (local_->shape() == Shape::kUnary) {
    FailWith(absl::OkStatus());
    return;
  }
  AnswerLocalMessages();
}

}  // namespace ndxp::gateway::transport
