#include "gateway/transport/upstream_connector.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "gateway/transport/forwarded_stream.h"
#include "gateway/transport/transport_thread.h"
#include "gateway/transport/upstream.h"

namespace ndxp::gateway::transport {

absl::Status UpstreamConnector::Start() {
  TransportThread* thread = stream_->thread();
  TransportThread::NoUpstream why = TransportThread::NoUpstream::kUnreachable;
  Upstream* upstream = thread->UpstreamFor(service_, &why);
  if (upstream == nullptr) {
    const std::string& service = service_.service;
    switch (why) {
      case TransportThread::NoUpstream::kBusy:
        return absl::UnavailableError(absl::StrCat(
            "the connector of ", service, " has ", thread->shared().max_pending_per_upstream,
            " calls pending on each of its connections; retry later"));
      case TransportThread::NoUpstream::kNotServing:
        return absl::UnavailableError(absl::StrCat(
            "the connector of ", service,
            " is not serving (its health checks answer NOT_SERVING: it is draining); "
            "retry later"));
      case TransportThread::NoUpstream::kUnreachable:
        break;
    }
    return absl::UnavailableError(
        absl::StrCat("the connector of ", service, " cannot be reached; retry later"));
  }
  upstream_ = upstream;
  started_ = absl::Now();
  upstream->Submit(this);
  return absl::OkStatus();
}

const HeaderList& UpstreamConnector::request_headers() const {
  return stream_->request_headers_for_upstream();
}

absl::StatusOr<std::string> UpstreamConnector::ProveAssertion(AssertionMacKey& mac_key,
                                                              evp_pkey_st* signing_key) const {
  return stream_->ProveAssertion(mac_key, signing_key);
}

void UpstreamConnector::OnStarted(Upstream* upstream, int32_t stream_id) {
  upstream_ = upstream;
  id_ = stream_id;
  open_ = true;
}

void UpstreamConnector::OnRequestReady() {
  if (!request_deferred_ || !open_ || upstream_ == nullptr) return;
  request_deferred_ = false;
  nghttp2_session_resume_data(upstream_->session(), id_);
  upstream_->ScheduleFlush();
}

ssize_t UpstreamConnector::ReadRequestBody(size_t length, uint32_t* flags) {
  ByteQueue& body = stream_->request_body();
  const size_t n = std::min(length, body.size());
  if (n == body.size() && stream_->request_ended()) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  } else if (n == 0) {
    request_deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  if (n > 0) *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  body.Promise(n);
  return static_cast<ssize_t>(n);
}

void UpstreamConnector::WriteRequestBody(std::string* out, size_t length) {
  stream_->request_body().TakeInto(out, length);
  stream_->ConsumeRequest(length);
}

void UpstreamConnector::OnResponseTaken(size_t length) {
  // The stream's window only: the connection's was credited on arrival
  // (Upstream::OnDataChunk).
  if (upstream_ == nullptr || id_ < 0 || upstream_->closed()) return;
  nghttp2_session_consume_stream(upstream_->session(), id_, length);
  upstream_->ScheduleFlush();
}

void UpstreamConnector::OnResponseHeader(absl::string_view name, absl::string_view value) {
  stream_->OnResponseHeader(name, value);
}

void UpstreamConnector::OnResponseHeadersDone(bool end_stream) {
  if (end_stream) open_ = false;
  stream_->OnResponseHeadersDone(end_stream);
}

void UpstreamConnector::OnResponseData(const uint8_t* data, size_t length) {
  stream_->OnResponseData(data, length);
}

void UpstreamConnector::Forget() {
  upstream_ = nullptr;
  id_ = -1;
  open_ = false;
}

void UpstreamConnector::OnClosed(uint32_t error_code) {
  // The connector's stream is done; the connection's window was credited
  // as its bytes arrived, so what the caller has not read yet holds none.
  const bool was_open = open_;
  Forget();
  if (was_open && stream_->forwarding()) {
    // Closed without trailers: reset by the connector, or its connection lost.
    stream_->FailWith(absl::UnavailableError(absl::StrCat(
        "the connector of ", service_.service, " ended the call without a status",
        error_code != 0 ? absl::StrCat(" (HTTP/2 error ", error_code, ")") : "")));
  }
}

void UpstreamConnector::OnFailed(bool request_sent) {
  Forget();
  if (!stream_->forwarding()) return;
  // Nothing of the call reached that endpoint: another replica may take it.
  if (!request_sent && ++failed_attempts_ < service_.endpoints.size()) {
    if (absl::Status started = Start(); !started.ok()) stream_->FailWith(started);
    return;
  }
  stream_->FailWith(absl::UnavailableError(
      absl::StrCat("the connector of ", service_.service, " cannot be reached; retry later")));
}

void UpstreamConnector::Cancel() {
  // By id while the connector's stream exists (its trailers may have come
  // while the request is still open), else from the waiting list.
  if (upstream_ != nullptr) upstream_->Cancel(this, id_);
  Forget();
}

}  // namespace ndxp::gateway::transport
