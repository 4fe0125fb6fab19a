#include "gateway/transport/downstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "gateway/transport/forwarded_stream.h"
#include "gateway/transport/h2_caller_side.h"
#include "gateway/transport/tls/peer_certificate.h"
#include "gateway/transport/transport_thread.h"

namespace ndxp::gateway::transport {
namespace {

// The connection window: shared by every stream of a caller, reopened as
// their bytes are taken by the connectors.
constexpr int32_t kConnectionWindow = 1 << 20;

absl::string_view View(const uint8_t* data, size_t length) {
  return {reinterpret_cast<const char*>(data), length};
}

// The verification callback of callers' handshakes: changes no verdict, but
// remembers the serial of a refused certificate (OpenSSL keeps no peer
// certificate after a failed verification) for the log.
int RememberRefusedCertificate(int ok, X509_STORE_CTX* store) {
  if (ok == 0 && X509_STORE_CTX_get_error_depth(store) == 0) {
    auto* ssl = static_cast<SSL*>(
        X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* refused_serial = static_cast<std::string*>(SSL_get_app_data(ssl));
    if (refused_serial != nullptr) {
      *refused_serial = SerialHex(X509_STORE_CTX_get_current_cert(store));
    }
  }
  return ok;
}

}  // namespace

// From the address accept() gave, since getpeername() fails once the peer
// has reset the connection (a refused handshake was logged "from ?").
std::string PeerAddress(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
    port = ntohs(v6->sin6_port);
  }
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<ConsumerIdentity> CallerIdentity(SSL* ssl, const HubContext& context,
                                                std::string* spiffe_id) {
  absl::StatusOr<std::string> id = SpiffeIdOf(SSL_get0_peer_certificate(ssl));
  if (!id.ok()) return id.status();
  *spiffe_id = *std::move(id);
  return ParseSpiffeId(*spiffe_id, context.trust_domain());
}

Downstream* Downstream::Accept(TransportThread* thread, int fd, const sockaddr_storage& peer) {
  std::shared_ptr<const TlsMaterial> material = thread->shared().tls->Current();
  SSL* ssl = SSL_new(material->server_context());
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    if (ssl != nullptr) SSL_free(ssl);
    ::close(fd);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  // An idle connection gives its TLS record buffers back (about 34 KiB).
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                        SSL_MODE_RELEASE_BUFFERS);
  auto* downstream = new Downstream(thread, fd, ssl, std::move(material), peer);
  SSL_set_app_data(ssl, &downstream->refused_serial_);
  SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                 &RememberRefusedCertificate);
  return downstream;
}

Downstream::Downstream(TransportThread* thread, int fd, SSL* ssl,
                       std::shared_ptr<const TlsMaterial> material, const sockaddr_storage& peer)
    : H2Connection(thread, fd, ssl),
      peer_(peer),
      material_(std::move(material)),
      frame_guard_(thread->shared().frame_guard),
      identity_(absl::UnauthenticatedError("no handshake yet")),
      reset_tokens_(thread->shared().reset_burst) {
  ArmTimer(absl::ToDoubleSeconds(thread->shared().handshake_timeout));
}

evp_pkey_st* Downstream::peer_public_key() const {
  X509* certificate = ssl() == nullptr ? nullptr : SSL_get0_peer_certificate(ssl());
  return certificate == nullptr ? nullptr : X509_get0_pubkey(certificate);
}

Downstream::~Downstream() = default;

bool Downstream::OnHandshakeDone() {
  // Who calls, once per connection: every call on it is that identity's.
  identity_ = CallerIdentity(ssl(), *thread()->context(), &spiffe_id_);
  if (!identity_.ok()) {
    thread()->context()->stats->bad_identity.fetch_add(1, std::memory_order_relaxed);
    logging::Log("transport").warn("{} (certificate serial {}) has no valid identity: {}",
                                   PeerAddress(peer_), SerialHex(SSL_get0_peer_certificate(ssl())),
                                   identity_.status().message());
  }

  // The protocol, as nghttpx's ClientHandler picks its upstream: "h2" is
  // gRPC, here; "http/1.1", or no ALPN at all (Java 8 before 8u252, .NET
  // Framework send none), is the JSON door's, on an H1Downstream that takes
  // the socket over. The listener refuses any other (SelectCallerProtocol).
  const unsigned char* protocol = nullptr;
  unsigned int protocol_length = 0;
  SSL_get0_alpn_selected(ssl(), &protocol, &protocol_length);
  if (View(protocol, protocol_length) != "h2") {
    Socket socket = ReleaseSocket();
    SSL_set_app_data(socket.ssl, nullptr);  // refused_serial_ goes with this object
    thread()->AdoptHttp1Caller(socket.fd, socket.ssl, peer_, material_);
    return false;  // this object closes; the socket lives on
  }

  if (identity_.ok() && thread()->context()->peers->Find(spiffe_id_) != nullptr) {
    // A peer hub's one connection carries a whole province's calls: under
    // contention it gets the share of many connections, not of one.
    const TransportShared& shared = thread()->shared();
    SetTurn(shared.turn_bytes * TransportShared::kPeerHubTurns,
            static_cast<uint32_t>(std::min<uint64_t>(
                uint64_t{shared.turn_frames} * TransportShared::kPeerHubTurns, UINT32_MAX)));
  }
  nghttp2_session_callbacks* callbacks;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &OnFrameReceived);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &OnStreamClose);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &OnFrameSent);
  nghttp2_session_callbacks_set_send_data_callback(callbacks, &OnSendData);
  nghttp2_option* options;
  nghttp2_option_new(&options);
  nghttp2_option_set_no_auto_window_update(options, 1);
  // The hub checks the request headers itself (admission): nghttp2 would
  // reset a stream with an upper-case header name where the federation's
  // contract answers INVALID_ARGUMENT naming it.
  nghttp2_option_set_no_http_messaging(options, 1);
  int rv = nghttp2_session_server_new2(&session_, callbacks, this, options);
  nghttp2_option_del(options);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) return false;

  const TransportShared& shared = thread()->shared();
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, shared.max_concurrent_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, ForwardedStream::kMaxRequestHeaderBytes},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  if (thread()->draining()) BeginDrain();
  ArmTimer(absl::ToDoubleSeconds(shared.idle_timeout));
  return true;
}

void Downstream::OnHandshakeFailed() {
  // Counted by reason and logged with the peer: a security reviewer's first
  // question is who tried and was turned away.
  HandshakeFailureReason reason = ClassifyHandshakeFailure(ssl());
  thread()->context()->stats->handshake_failures[static_cast<int>(reason)].fetch_add(
      1, std::memory_order_relaxed);
  logging::Log("transport").warn(
      "TLS handshake from {} refused: {}{}", PeerAddress(peer_), Name(reason),
      refused_serial_.empty() ? "" : absl::StrCat(" (certificate serial ", refused_serial_, ")"));
}

void Downstream::OnTimer() {
  // Handshake not done in time, idle with no call open, or revoked.
  if (session_ == nullptr || streams_.empty() || revoked_) Close();
}

void Downstream::BeginDrain() {
  if (session_ == nullptr) {
    Close();
    return;
  }
  nghttp2_submit_shutdown_notice(session_);
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  ScheduleFlush();
  if (streams_.empty()) ArmTimer(1.0);  // let the GOAWAY reach the caller
}

void Downstream::OnClosed() {
  // Every call still open ends with its caller's connection.
  auto streams = std::move(streams_);
  for (auto& [id, stream] : streams) stream->OnDownstreamClosed(NGHTTP2_CANCEL);
  streams.clear();
  thread()->ForgetDownstream(this);
}

std::string Downstream::Peer() const {
  if (!identity_.ok()) return PeerAddress(peer_);
  return absl::StrCat(PeerAddress(peer_), " (", identity_->agency_subsystem, ")");
}

ForwardedStream* Downstream::HeaviestNotReading(ev_tstamp now) const {
  ForwardedStream* heaviest = nullptr;
  for (const auto& [id, stream] : streams_) {
    if (stream->NotReading(now) &&
        (heaviest == nullptr ||
         stream->held_response_bytes() > heaviest->held_response_bytes())) {
      heaviest = stream.get();
    }
  }
  return heaviest;
}

void Downstream::CountLimit(ConnectionLimit limit, absl::string_view what) {
  if (HubStats* stats = thread()->context()->stats) {
    stats->connection_limits[Index(limit)].fetch_add(1, std::memory_order_relaxed);
  }
  logging::Log("transport").warn(
      "connection from {} ended with GOAWAY ENHANCE_YOUR_CALM: {} ({}): {}", Peer(),
      Info(limit).name, Info(limit).setting, what);
}

void Downstream::EndForLimit(ConnectionLimit limit, absl::string_view what) {
  CountLimit(limit, what);
  EndSession(NGHTTP2_ENHANCE_YOUR_CALM);
}

bool Downstream::OnFrameHeader(const FrameHeader& header) {
  // Where the frame's stream stands now that every frame before it is read.
  FrameGuard::Stream stream = FrameGuard::Stream::kNone;
  if (header.stream_id != 0) {
    if (nghttp2_stream* found = nghttp2_session_find_stream(session_, header.stream_id)) {
      switch (nghttp2_stream_get_state(found)) {
        case NGHTTP2_STREAM_STATE_OPEN:
        case NGHTTP2_STREAM_STATE_HALF_CLOSED_LOCAL:
          stream = FrameGuard::Stream::kOpen;
          break;
        case NGHTTP2_STREAM_STATE_HALF_CLOSED_REMOTE:
          stream = FrameGuard::Stream::kCallerDone;
          break;
        default:  // idle (named by a PRIORITY), closed but remembered, reserved
          break;
      }
    }
  }
  const FrameGuard::Verdict verdict =
      frame_guard_.OnFrame(header, stream, ev_now(thread()->loop()));
  if (verdict == FrameGuard::Verdict::kPass) return true;
  // A connection error nghttp2 found itself (a malformed frame before these)
  // has its own GOAWAY queued, and nghttp2 ignores what follows: that one
  // goes out and is the reason, not this limit.
  Flush();
  if (closed() || nghttp2_session_want_read(session_) == 0) return false;
  EndForVerdict(verdict, &header);
  return false;
}

void Downstream::EndForVerdict(FrameGuard::Verdict verdict, const FrameHeader* header) {
  const std::string last =
      header == nullptr ? std::string()
                        : absl::StrCat(" (the last of type ", header->type, " on stream ",
                                       header->stream_id, ")");
  switch (verdict) {
    case FrameGuard::Verdict::kPass:
      return;
    case FrameGuard::Verdict::kUselessFrames:
      EndForLimit(ConnectionLimit::kUselessFrames,
                  absl::StrCat(frame_guard_.useless(),
                               " frames that do no work for a call in 10 to 20 s, against ",
                               frame_guard_.useful(), " that do", last));
      return;
    case FrameGuard::Verdict::kContinuationFrames:
      EndForLimit(ConnectionLimit::kContinuationFrames,
                  absl::StrCat(frame_guard_.continuations(),
                               " CONTINUATION frames in one header block",
                               header == nullptr
                                   ? std::string()
                                   : absl::StrCat(" on stream ", header->stream_id)));
      return;
    case FrameGuard::Verdict::kWastedHeaderFrames:
      EndForLimit(ConnectionLimit::kWastedHeaderFrames,
                  absl::StrCat(frame_guard_.wasted_header_frames(),
                               " header frames decoded for nothing in 10 to 20 s (of blocks past "
                               "the ",
                               ForwardedStream::kMaxRequestHeaderBytes,
                               "-byte header list limit, or on closed streams)", last));
      return;
  }
}

void Downstream::OnSessionFailed(int error, uint32_t goaway_code) {
  // The guard stops CONTINUATION floods first; nghttp2's own bound on
  // acknowledgements the caller does not read (PING, SETTINGS) may still be
  // the first to fire for a caller that does much useful work.
  if (error == NGHTTP2_ERR_FLOODED) {
    CountLimit(ConnectionLimit::kUnreadAcknowledgements, nghttp2_strerror(error));
  } else if (error == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
    CountLimit(ConnectionLimit::kContinuationFrames, nghttp2_strerror(error));
  } else {
    logging::Log("transport").warn("connection from {} failed: {}; GOAWAY {}", Peer(),
                                   nghttp2_strerror(error), nghttp2_http2_strerror(goaway_code));
  }
}

bool Downstream::TakeResetToken() {
  const TransportShared& shared = thread()->shared();
  absl::Time now = absl::Now();
  reset_tokens_ = std::min<double>(
      shared.reset_burst,
      reset_tokens_ + absl::ToDoubleSeconds(now - reset_refilled_) * shared.resets_per_second);
  reset_refilled_ = now;
  if (reset_tokens_ < 1) return false;
  reset_tokens_ -= 1;
  return true;
}

int Downstream::OnSendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                           size_t length, nghttp2_data_source* source, void* self) {
  auto* caller = static_cast<H2CallerSide*>(source->ptr);
  return static_cast<Downstream*>(self)->AppendDataFrame(
      *frame, framehd, length, [caller](std::string* out, size_t n) { caller->WriteBody(out, n); });
}

int Downstream::OnFrameSent(nghttp2_session* session, const nghttp2_frame* frame, void* data) {
  if (frame->hd.type == NGHTTP2_DATA) {
    // An answer's bytes, which the caller's WINDOW_UPDATEs and PINGs follow.
    auto* self = static_cast<Downstream*>(data);
    self->frame_guard_.OnDataSent(ev_now(self->thread()->loop()));
  }
  // The answer is complete but the caller is still sending (a refusal, an
  // early error): end its side too, so the stream does not stay open.
  if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
    return 0;
  }
  auto* stream = static_cast<ForwardedStream*>(
      nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
  if (stream != nullptr && !stream->request_ended()) {
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                              NGHTTP2_NO_ERROR);
  }
  return 0;
}

void Downstream::Recheck(const TlsMaterial& material, absl::Time now) {
  if (revoked_ || session_ == nullptr) return;
  X509* peer = SSL_get0_peer_certificate(ssl());
  if (peer == nullptr || material.CheckStillValid(peer, now).ok()) return;
  revoked_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  ScheduleFlush();
  ArmTimer(streams_.empty() ? 0.5 : 10.0);  // calls in flight get 10 s to finish
}

int Downstream::OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame,
                               void* data) {
  auto* self = static_cast<Downstream*>(data);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  self->block_bytes_ = 0;  // a call's block or trailers: both are measured
  self->block_over_limit_ = false;
  if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto stream = std::make_unique<ForwardedStream>(self, frame->hd.stream_id);
  nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, stream.get());
  self->streams_[frame->hd.stream_id] = std::move(stream);
  if (!self->revoked_) self->ArmTimer(0);
  return 0;
}

int Downstream::OnHeader(nghttp2_session* session, const nghttp2_frame* frame,
                         const uint8_t* name, size_t name_length, const uint8_t* value,
                         size_t value_length, uint8_t, void* data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  auto* self = static_cast<Downstream*>(data);
  // HPACK lets one byte on the wire name a 4,000-byte table entry again:
  // a block is measured as it decodes, and one past the limit is decoded
  // for nothing (the call is refused): the guard counts the frame, and the
  // block's CONTINUATION frames to come.
  if (self->block_over_limit_) return 0;
  self->block_bytes_ += name_length + value_length + 32;
  if (self->block_bytes_ > ForwardedStream::kMaxRequestHeaderBytes) {
    self->block_over_limit_ = true;
    FrameGuard::Verdict verdict =
        self->frame_guard_.OnHeaderBlockOverLimit(ev_now(self->thread()->loop()));
    if (verdict != FrameGuard::Verdict::kPass) {
      self->EndForVerdict(verdict, nullptr);
      // The session ends: HPACK need not be kept in step any longer, so the
      // rest of this block is not decoded. NGHTTP2_ERR_PAUSE returns from
      // nghttp2_session_mem_recv at once (nghttp2 1.52
      // inflate_header_block); NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE would
      // reset the stream and decode the rest all the same.
      return NGHTTP2_ERR_PAUSE;
    }
  }
  if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
    return 0;  // the caller's trailers carry nothing gRPC uses
  }
  auto* stream = static_cast<ForwardedStream*>(
      nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
  if (stream != nullptr) {
    stream->OnRequestHeader(View(name, name_length), View(value, value_length));
  }
  return 0;
}

int Downstream::OnFrameReceived(nghttp2_session* session, const nghttp2_frame* frame,
                                void* data) {
  if (frame->hd.type == NGHTTP2_RST_STREAM) {
    // Whatever its error code: a reset costs the hub a stream set up (and a
    // call to a connector) for nothing.
    auto* self = static_cast<Downstream*>(data);
    if (!self->TakeResetToken()) {
      const TransportShared& shared = self->thread()->shared();
      self->EndForLimit(ConnectionLimit::kStreamResets,
                        absl::StrCat("more than ", shared.reset_burst, " resets at once or ",
                                     shared.resets_per_second, " a second"));
    }
    return 0;
  }
  auto* stream = static_cast<ForwardedStream*>(
      nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
  if (stream == nullptr) return 0;
  bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    stream->OnRequestHeadersDone();
  }
  if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) && end_stream) {
    stream->OnRequestEnd();
  }
  return 0;
}

int Downstream::OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id,
                            const uint8_t* data, size_t length, void*) {
  auto* stream =
      static_cast<ForwardedStream*>(nghttp2_session_get_stream_user_data(session, stream_id));
  if (stream == nullptr) {
    nghttp2_session_consume(session, stream_id, length);  // keep the connection window open
    return 0;
  }
  stream->OnRequestData(data, length);
  return 0;
}

int Downstream::OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                              void* data) {
  auto* self = static_cast<Downstream*>(data);
  auto it = self->streams_.find(stream_id);
  if (it == self->streams_.end()) return 0;

  std::unique_ptr<ForwardedStream> stream = std::move(it->second);
  self->streams_.erase(it);
  stream->OnDownstreamClosed(error_code);
  if (self->streams_.empty()) {
    self->ArmTimer(self->thread()->draining() || self->revoked_
                       ? 1.0
                       : absl::ToDoubleSeconds(self->thread()->shared().idle_timeout));
  }
  return 0;
}

}  // namespace ndxp::gateway::transport
