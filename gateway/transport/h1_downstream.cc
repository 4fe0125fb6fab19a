#include "gateway/transport/h1_downstream.h"

#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>

#include "common/logging/logging.h"
#include "gateway/transport/downstream.h"
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

H1Downstream::~H1Downstream() = default;

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
  if (codec_.output_bytes() > 0 && buffered_output() < kMaxBufferedOut) {
    output()->append(codec_.TakeOutput());
  }
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
  H1Deadlines::Deadline next = deadlines_.Update(codec_, now);
  if (next.reason == H1Deadlines::Reason::kNone && body_since_.has_value()) {
    next.at = *body_since_ + thread()->shared().http1_idle_timeout;
  } else if (next.reason == H1Deadlines::Reason::kNone) {
    ArmTimer(0);
    return;
  }
  // ArmTimer(0) would stop the timer: a deadline already due fires at once.
  ArmTimer(std::max(absl::ToDoubleSeconds(next.at - now), 1e-3));
}

void H1Downstream::OnTimer() {
  const absl::Time now = absl::Now();
  const H1Deadlines::Deadline next = deadlines_.Update(codec_, now);
  if (next.reason == H1Deadlines::Reason::kNone && body_since_.has_value() &&
      now >= *body_since_ + thread()->shared().http1_idle_timeout) {
    logging::Log("transport").warn(
        "HTTP/1.1 connection from {} closed: a request body not complete {} ms after its head "
        "(limits.http1_idle_timeout_ms)",
        Peer(), absl::ToInt64Milliseconds(thread()->shared().http1_idle_timeout));
    Close();
    return;
  }
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

void H1Downstream::OnClosed() { thread()->ForgetHttp1Caller(this); }

void H1Downstream::OnRequestHead(const H1RequestHead& head) {
  // A client waiting for 100 Continue is answered now (the codec then
  // closes the connection after the answer, as RFC 9110 allows).
  if (head.expect_continue) {
    AnswerWithoutDoor(head.id);
    return;
  }
  body_since_ = absl::Now();
}

void H1Downstream::OnRequestBody(H1RequestId, const char*, size_t) {
  // No door reads a body yet: it is dropped as it arrives.
}

void H1Downstream::OnRequestEnd(H1RequestId id) {
  body_since_.reset();
  if (id > answered_through_) AnswerWithoutDoor(id);
}

void H1Downstream::OnBadRequest(std::optional<H1RequestId>, H1Refusal refusal) {
  body_since_.reset();
  if (HubStats* stats = thread()->context()->stats) {
    stats->http1_refusals[static_cast<size_t>(refusal)].fetch_add(1, std::memory_order_relaxed);
  }
  // The refusal's fixed name and reason only: never the request's target.
  logging::Log("transport").warn("HTTP/1.1 request from {} refused: {} {} ({})", Peer(),
                                 H1RefusalStatus(refusal), H1RefusalName(refusal),
                                 H1RefusalReason(refusal));
  ScheduleFlush();
}

void H1Downstream::AnswerWithoutDoor(H1RequestId id) {
  static constexpr absl::string_view kBody =
      R"({"code":"unimplemented","message":"the JSON door is not open on this hub yet"})";
  answered_through_ = id;
  absl::Status status =
      codec_.WriteResponseHead(id, 501, {{"content-type", "application/json"}}, kBody.size());
  if (status.ok()) status = codec_.WriteBody(id, kBody);
  if (status.ok()) status = codec_.WriteEnd(id);
  if (!status.ok()) {
    logging::Log("transport").error("HTTP/1.1 answer to {} not written: {}", Peer(),
                                    status.message());
    Close();
    return;
  }
  ScheduleFlush();
}

}  // namespace ndxp::gateway::transport
