#include "gateway/transport/h1_downstream.h"

#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>

#include "common/logging/logging.h"
#include "gateway/transport/downstream.h"
#include "gateway/transport/forwarded_stream.h"
#include "gateway/transport/h1_caller_side.h"
#include "gateway/transport/transport_thread.h"

namespace ndxp::gateway::transport {
namespace {

static_assert(static_cast<size_t>(H1Refusal::kIncomplete) < kHttp1RefusalSlots,
              "HubStats::http1_refusals has a slot for each H1Refusal");

H1CodecOptions CodecOptions(const TransportShared& shared) {
  H1CodecOptions options;
  options.limits.max_body_bytes = shared.max_message_bytes;
  return options;  // no authorities: an absolute-form target is refused
}

}  // namespace

H1Downstream::H1Downstream(TransportThread* thread, int fd, SSL* ssl,
                           const sockaddr_storage& peer,
                           std::shared_ptr<const TlsMaterial> material)
    : TlsConnection(thread, fd, ssl),
      peer_(peer),
      material_(std::move(material)),
      identity_(absl::UnauthenticatedError("no handshake yet")),
      codec_(CodecOptions(thread->shared()), this),
      deadlines_(thread->shared().http1_header_timeout, thread->shared().http1_idle_timeout) {}

H1Downstream::~H1Downstream() { EndCalls(); }

bool H1Downstream::StartProtocol() {
  // The same identity as on HTTP/2, from the same certificate (the
  // Downstream that did the handshake counted and logged an invalid one).
  identity_ = CallerIdentity(ssl(), *thread()->context(), &spiffe_id_);
  if (thread()->draining()) closing_ = true;
  UpdateDeadline();
  return true;
}

std::string H1Downstream::Peer() const {
  if (!identity_.ok()) return PeerAddress(peer_);
  return absl::StrCat(PeerAddress(peer_), " (", identity_->agency_subsystem, ")");
}

size_t H1Downstream::Consume(const uint8_t* data, size_t length) {
  if (lingering()) return length;  // after the last answer: dropped
  const size_t used = codec_.Feed(reinterpret_cast<const char*>(data), length);
  if (closed()) return length;
  if (used < length) PauseReading();  // the pipeline is full: the rest waits in held_
  ApplyBackPressure();
  UpdateDeadline();
  ScheduleFlush();
  return used;
}

bool H1Downstream::ProduceOutput() {
  if (failed_) {
    Close();
    return false;
  }
  EndAnsweredCalls();
  PumpAnswers();
  if (codec_.output_bytes() > 0 && buffered_output() < kMaxBufferedOut) {
    output()->append(codec_.TakeOutput());
  }
  CountCodecHeld();
  return true;
}

void H1Downstream::OnOutputFlushed() {
  if (lingering()) return;
  if (codec_.Finished() || (closing_ && codec_.Idle())) {
    EndAfterAnswers();
    return;
  }
  ApplyBackPressure();
  UpdateDeadline();
}

void H1Downstream::ApplyBackPressure() {
  if (lingering() || closed()) return;
  const size_t held = codec_.held_bytes() + buffered_output();
  const bool over = held > static_cast<size_t>(thread()->shared().max_held_per_connection);
  if (over || !codec_.WantsInput()) {
    PauseReading();
  } else {
    ResumeReading();
  }
}

void H1Downstream::UpdateDeadline() {
  if (lingering() || closed()) return;
  const absl::Time now = absl::Now();
  const H1Deadlines::Deadline next = deadlines_.Update(codec_, now, !reading_paused());
  if (next.reason == H1Deadlines::Reason::kNone) {  // a call's own deadline runs
    ArmTimer(0);
    return;
  }
  // ArmTimer(0) would stop the timer: a deadline already due fires at once.
  ArmTimer(std::max(absl::ToDoubleSeconds(next.at - now), 1e-3));
}

void H1Downstream::OnTimer() {
  const absl::Time now = absl::Now();
  const H1Deadlines::Deadline next = deadlines_.Update(codec_, now, !reading_paused());
  if (next.reason == H1Deadlines::Reason::kNone || now < next.at) {
    UpdateDeadline();  // the state moved on since the timer was armed
    return;
  }
  if (next.reason == H1Deadlines::Reason::kIdle) {
    Close();
    return;
  }
  codec_.HeadTimedOut();  // 408 after the answers owed, then the codec is finished
  Flush();
}

void H1Downstream::EndAfterAnswers() {
  // The caller learns the answer is the last at once (not after the
  // linger): close_notify, then FIN. What it still sends is read and
  // dropped until it closes, so no TCP reset destroys the answer.
  if (ssl() != nullptr) {
    ERR_clear_error();
    SSL_shutdown(ssl());
    ERR_clear_error();
  }
  ::shutdown(fd(), SHUT_WR);
  CloseAfterLinger();
}

void H1Downstream::BeginDrain() {
  if (closed() || lingering()) return;  // ending already
  closing_ = true;
  if (codec_.Idle() && buffered_output() == 0 && codec_.output_bytes() == 0) {
    EndAfterAnswers();
  }
}

void H1Downstream::Recheck(const TlsMaterial& material, absl::Time now) {
  X509* peer = ssl() == nullptr ? nullptr : SSL_get0_peer_certificate(ssl());
  if (closing_ || peer == nullptr || material.CheckStillValid(peer, now).ok()) return;
  logging::Log("transport").warn("HTTP/1.1 connection from {}: certificate no longer valid",
                                 Peer());
  BeginDrain();
}

void H1Downstream::OnClosed() {
  EndCalls();
  CountCodecHeld(/*gone=*/true);
  thread()->ForgetHttp1Caller(this);
}

void H1Downstream::CountCodecHeld(bool gone) {
  // Answers the codec holds for the caller count in the hub's total
  // (limits.max_held_bytes) as a stream's do.
  const int64_t held = gone ? 0 : static_cast<int64_t>(codec_.held_bytes());
  if (held == codec_held_counted_) return;
  if (HubStats* stats = thread()->context()->stats) {
    stats->held_response_bytes.Add(thread()->index(), held - codec_held_counted_);
  }
  codec_held_counted_ = held;
}

void H1Downstream::EndCalls() {
  // The caller is gone: its calls end unanswered (recorded as cancelled).
  auto calls = std::move(calls_);
  calls_.clear();
  for (auto& [id, call] : calls) call.stream->OnDownstreamClosed(NGHTTP2_CANCEL);
}

void H1Downstream::OnRequestHead(const H1RequestHead& head) { StartCall(head); }

void H1Downstream::StartCall(const H1RequestHead& head) {
  auto owned = std::make_unique<ForwardedStream>(thread(), [&](ForwardedStream* stream) {
    return std::make_unique<H1CallerSide>(this, head.id, head.expect_continue, stream);
  });
  ForwardedStream* call = owned.get();
  calls_.emplace(head.id, Call{std::move(owned), static_cast<H1CallerSide*>(call->caller())});
  // The header block as HTTP/2 would carry it: the request line and Host as
  // pseudo-headers, then the fields but those of HTTP/1.1's own framing and
  // connection (the codec checked and used them).
  call->OnRequestHeader(":method", head.method);
  call->OnRequestHeader(":scheme", "https");
  call->OnRequestHeader(":path", head.target);
  if (std::optional<absl::string_view> host = head.Field("host")) {
    call->OnRequestHeader(":authority", *host);
  }
  for (const auto& [name, value] : head.fields) {
    if (name == "host" || name == "content-length" || name == "transfer-encoding" ||
        name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
        name == "upgrade" || name == "te" || name == "expect" || name == "http2-settings") {
      continue;
    }
    call->OnRequestHeader(name, value);
  }
  call->OnRequestHeadersDone();
  // A client waiting for 100 Continue gets it once its call is admitted; a
  // refused one has its answer (and the connection closes after it).
  if (head.expect_continue && !call->released()) {
    if (absl::Status s = codec_.ContinueBody(head.id); !s.ok()) {
      logging::Log("transport").error("HTTP/1.1 100 Continue to {} not written: {}", Peer(),
                                      s.message());
    }
    ScheduleFlush();
  }
}

void H1Downstream::OnRequestBody(H1RequestId id, const char* data, size_t n) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;  // answered early: the rest is dropped
  it->second.stream->OnRequestData(reinterpret_cast<const uint8_t*>(data), n);
}

void H1Downstream::OnRequestEnd(H1RequestId id) {
  auto it = calls_.find(id);
  if (it != calls_.end()) it->second.stream->OnRequestEnd();
}

void H1Downstream::OnBadRequest(std::optional<H1RequestId> id, H1Refusal refusal) {
  if (id.has_value()) {  // abandoned: its call ends unanswered (cancelled)
    auto it = calls_.find(*id);
    if (it != calls_.end()) {
      std::unique_ptr<ForwardedStream> call = std::move(it->second.stream);
      calls_.erase(it);
      call->OnDownstreamClosed(NGHTTP2_CANCEL);
    }
  }
  if (HubStats* stats = thread()->context()->stats) {
    stats->http1_refusals[static_cast<size_t>(refusal)].fetch_add(1, std::memory_order_relaxed);
  }
  // The refusal's fixed name and reason only: never the request's target.
  logging::Log("transport").warn("HTTP/1.1 request from {} refused: {} {} ({})", Peer(),
                                 H1RefusalStatus(refusal), H1RefusalName(refusal),
                                 H1RefusalReason(refusal));
  ScheduleFlush();
}

void H1Downstream::OnAnswered(H1RequestId id) {
  answered_.push_back(id);
  ScheduleFlush();
}

void H1Downstream::EndAnsweredCalls() {
  std::vector<H1RequestId> answered;
  answered.swap(answered_);
  for (H1RequestId id : answered) {
    auto it = calls_.find(id);
    if (it == calls_.end()) continue;
    std::unique_ptr<ForwardedStream> call = std::move(it->second.stream);
    calls_.erase(it);
    call->OnDownstreamClosed(0);
  }
}

void H1Downstream::PumpAnswers() {
  for (auto& [id, call] : calls_) {
    if (AnswerRoom() == 0) return;
    call.side->Pump();
  }
}

size_t H1Downstream::AnswerRoom() const {
  const size_t bound = static_cast<size_t>(thread()->shared().max_held_per_connection);
  const size_t held = codec_.held_bytes() + buffered_output();
  return held < bound ? bound - held : 0;
}

void H1Downstream::FailConnection() {
  failed_ = true;
  ScheduleFlush();
}

evp_pkey_st* H1Downstream::peer_public_key() const {
  X509* certificate = ssl() == nullptr ? nullptr : SSL_get0_peer_certificate(ssl());
  return certificate == nullptr ? nullptr : X509_get0_pubkey(certificate);
}

ForwardedStream* H1Downstream::HeaviestNotReading(ev_tstamp now) const {
  ForwardedStream* heaviest = nullptr;
  for (const auto& [id, call] : calls_) {
    ForwardedStream* stream = call.stream.get();
    if (stream->NotReading(now) &&
        (heaviest == nullptr || stream->held_response_bytes() > heaviest->held_response_bytes())) {
      heaviest = stream;
    }
  }
  return heaviest;
}

}  // namespace ndxp::gateway::transport
