#include "gateway/transport/upstream.h"

#include <optional>

#include "gateway/transport/connector_socket.h"
#include "gateway/transport/header_list.h"
#include "gateway/peering/consumer_assertion.h"
#include "gateway/transport/upstream_connector.h"
#include "gateway/transport/tls/tls_material.h"
#include "gateway/transport/tls/tls_reloader.h"
#include "gateway/transport/transport_thread.h"

namespace ndxp::gateway::transport {
namespace {

constexpr int32_t kConnectionWindow = 1 << 24;
// A connection to a connector that never completes its handshake is given up.
constexpr double kConnectTimeoutSeconds = 5.0;

absl::string_view View(const uint8_t* data, size_t length) {
  return {reinterpret_cast<const char*>(data), length};
}

// The stream is looked up, not taken from the data source: a call whose
// caller went away is reset here (its user data cleared) but nghttp2 may
// still ask for its body before the reset is sent.
ssize_t ReadRequestBody(nghttp2_session* session, int32_t stream_id, uint8_t*, size_t length,
                        uint32_t* flags, nghttp2_data_source*, void*) {
  auto* call =
      static_cast<UpstreamConnector*>(nghttp2_session_get_stream_user_data(session, stream_id));
  if (call == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  return call->ReadRequestBody(length, flags);
}

}  // namespace

Upstream* Upstream::Connect(TransportThread* thread, const std::string& provider,
                            const std::string& peer_hub, const std::string& address,
                            std::string key) {
  std::optional<ConnectorSocket> socket =
      ConnectToConnector(*thread->shared().tls->Current(), address);
  if (!socket.has_value()) return nullptr;
  return new Upstream(thread, socket->fd, socket->ssl, provider, peer_hub, address,
                      std::move(key));
}

Upstream::Upstream(TransportThread* thread, int fd, SSL* ssl, const std::string& provider,
                   const std::string& peer_hub, const std::string& address, std::string key)
    : H2Connection(thread, fd, ssl),
      key_(std::move(key)),
      provider_(provider),
      peer_hub_(peer_hub),
      trust_domain_(thread->context()->trust_domain()),
      authority_(address) {
  ArmTimer(kConnectTimeoutSeconds);
}

Upstream::~Upstream() = default;

void Upstream::OnTimer() {
  if (session_ == nullptr) Close();  // the handshake never completed
}

bool Upstream::OnHandshakeDone() {
  ArmTimer(0);
  // Only the route's provider (or the peer hub that reaches it) receives
  // its calls.
  if (!PresentsProvider(ssl(), trust_domain_, provider_, peer_hub_)) return false;
  nghttp2_session_callbacks* callbacks;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &OnFrameReceived);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &OnStreamClose);
  nghttp2_session_callbacks_set_send_data_callback(callbacks, &OnSendData);
  nghttp2_option* options;
  nghttp2_option_new(&options);
  nghttp2_option_set_no_auto_window_update(options, 1);
  int rv = nghttp2_session_client_new2(&session_, callbacks, this, options);
  nghttp2_option_del(options);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) return false;
  if (auto* metrics = thread()->context()->metrics) metrics->OnUpstreamOpened(provider_, authority_);
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  established_ = true;
  thread()->EndpointAnswered(key_);
  std::vector<UpstreamConnector*> waiting = std::move(waiting_);
  for (UpstreamConnector* call : waiting) Start(call);
  return true;
}

void Upstream::OnClosed() {
  thread()->UpstreamClosed(this);
  // Never established, or lost without GOAWAY (the process died): the
  // endpoint is left out before the waiting calls try another one.
  if (!established_ || !goaway_received_) thread()->EndpointFailed(key_);
  if (auto* metrics = thread()->context()->metrics; metrics != nullptr && established_) {
    metrics->OnUpstreamClosed(provider_, authority_);
  }
  std::vector<UpstreamConnector*> unsent = std::move(waiting_);
  std::vector<UpstreamConnector*> sent;
  for (auto& [id, call] : active_) sent.push_back(call);
  active_.clear();
  for (UpstreamConnector* call : unsent) call->OnFailed(/*request_sent=*/false);
  for (UpstreamConnector* call : sent) call->OnFailed(/*request_sent=*/true);
}

void Upstream::Submit(UpstreamConnector* call) {
  if (session_ == nullptr) {
    waiting_.push_back(call);
    return;
  }
  Start(call);
}

void Upstream::Start(UpstreamConnector* call) {
  Nva nva = ToNva(call->request_headers());
  // The stream's list was made before an endpoint was chosen: the request
  // names the one it goes to (in place: no copy of the list).
  for (nghttp2_nv& field : nva) {
    if (View(field.name, field.namelen) == ":authority") {
      field.value = reinterpret_cast<uint8_t*>(const_cast<char*>(authority_.data()));
      field.valuelen = authority_.size();
      break;
    }
  }
  std::string assertion;  // must outlive the submit call, which copies it
  if (!peer_hub_.empty()) {
    // MAC'd with this connection's exporter key; on TLS 1.2, signed with
    // the key this connection's handshake proved, which is the certificate
    // the peer hub checks it with (not the key a reload may have loaded
    // since).
    absl::StatusOr<std::string> proven_assertion =
        call->ProveAssertion(assertion_mac_key(), SSL_get_privatekey(ssl()));
    if (!proven_assertion.ok()) {
      call->OnFailed(/*request_sent=*/false);
      return;
    }
    assertion = *std::move(proven_assertion);
    nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(kAssertionHeader.data())),
                   reinterpret_cast<uint8_t*>(assertion.data()), kAssertionHeader.size(),
                   assertion.size(), NGHTTP2_NV_FLAG_NONE});
  }
  nghttp2_data_provider body;
  body.source.ptr = nullptr;
  body.read_callback = &transport::ReadRequestBody;
  int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), &body, call);
  if (id < 0) {
    call->OnFailed(/*request_sent=*/false);
    return;
  }
  active_[id] = call;
  call->OnStarted(this, id);
  ScheduleFlush();
}

void Upstream::Cancel(UpstreamConnector* call, int32_t stream_id) {
  waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), call), waiting_.end());
  if (stream_id < 0 || active_.erase(stream_id) == 0 || session_ == nullptr) return;
  // Nothing of this stream may reach the deleted caller's call any more.
  nghttp2_session_set_stream_user_data(session_, stream_id, nullptr);
  if (nghttp2_session_find_stream(session_, stream_id) != nullptr) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
  }
  ScheduleFlush();
}

int Upstream::OnHeader(nghttp2_session* session, const nghttp2_frame* frame,
                       const uint8_t* name, size_t name_length, const uint8_t* value,
                       size_t value_length, uint8_t, void*) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  auto* call = static_cast<UpstreamConnector*>(
      nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
  if (call != nullptr) {
    call->OnResponseHeader(View(name, name_length), View(value, value_length));
  }
  return 0;
}

int Upstream::OnFrameReceived(nghttp2_session* session, const nghttp2_frame* frame,
                              void* data) {
  auto* self = static_cast<Upstream*>(data);
  if (frame->hd.type == NGHTTP2_GOAWAY) {
    self->goaway_received_ = true;  // calls in flight finish; new ones go elsewhere
    self->thread()->ForgetUpstream(self);
    return 0;
  }
  auto* call = static_cast<UpstreamConnector*>(
      nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
  if (call == nullptr) return 0;
  bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (frame->hd.type == NGHTTP2_HEADERS) call->OnResponseHeadersDone(end_stream);
  return 0;
}

int Upstream::OnSendData(nghttp2_session* session, nghttp2_frame* frame, const uint8_t* framehd,
                         size_t length, nghttp2_data_source*, void* self) {
  // Asked after ReadRequestBody promised `length` bytes (again, with the same
  // frame, while the write buffer is full).
  auto* call = static_cast<UpstreamConnector*>(
      nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
  if (call == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  return static_cast<Upstream*>(self)->AppendDataFrame(
      *frame, framehd, length,
      [call](std::string* out, size_t n) { call->WriteRequestBody(out, n); });
}

int Upstream::OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id,
                          const uint8_t* data, size_t length, void*) {
  // The connection's window is shared by every call on it, whoever made
  // them: it is credited as the bytes arrive and are queued, so a caller
  // that never reads stalls its own streams (each bounded by its stream
  // window, credited when the caller takes the bytes: ConsumeResponse) and
  // never another member's calls to the same connector. Crediting the
  // connection again later (nghttp2_session_consume) would count the bytes
  // twice: nghttp2 keeps the surplus and, after ~2 GiB, ends the connection
  // with FLOW_CONTROL_ERROR.
  nghttp2_session_consume_connection(session, length);
  auto* call =
      static_cast<UpstreamConnector*>(nghttp2_session_get_stream_user_data(session, stream_id));
  if (call == nullptr) return 0;
  call->OnResponseData(data, length);
  return 0;
}

int Upstream::OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                            void* data) {
  auto* self = static_cast<Upstream*>(data);
  auto it = self->active_.find(stream_id);
  if (it == self->active_.end()) return 0;
  UpstreamConnector* call = it->second;
  self->active_.erase(it);
  call->OnClosed(error_code);
  return 0;
}

}  // namespace ndxp::gateway::transport
