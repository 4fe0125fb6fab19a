#include "gateway/transport/h2_caller_side.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "gateway/transport/downstream.h"
#include "gateway/transport/forwarded_stream.h"

namespace ndxp::gateway::transport {
namespace {

ssize_t ReadBodySource(nghttp2_session*, int32_t, uint8_t*, size_t length, uint32_t* flags,
                       nghttp2_data_source* source, void*) {
  return static_cast<H2CallerSide*>(source->ptr)->ReadBody(length, flags);
}

}  // namespace

Caller H2CallerSide::caller() const {
  return {&downstream_->identity(), downstream_->peer_public_key(),
          &downstream_->assertion_mac_key()};
}

std::string H2CallerSide::Describe() const {
  return absl::StrCat("stream ", stream_id_, " of ", downstream_->Peer());
}

bool H2CallerSide::closed() const {
  return downstream_->closed() || downstream_->session() == nullptr;
}

void H2CallerSide::SendHeaders(const HeaderList& headers) {
  Nva nva = ToNva(headers);
  nghttp2_data_provider body;
  body.source.ptr = this;
  body.read_callback = &ReadBodySource;
  nghttp2_submit_response(downstream_->session(), stream_id_, nva.data(), nva.size(), &body);
  downstream_->ScheduleFlush();
}

void H2CallerSide::SendTrailersOnly(const HeaderList& headers) {
  Nva nva = ToNva(headers);
  nghttp2_submit_response(downstream_->session(), stream_id_, nva.data(), nva.size(), nullptr);
  downstream_->ScheduleFlush();
}

void H2CallerSide::ResumeResponse(bool released) {
  if (released) deferred_ = true;  // the data source ends with the trailers
  if (!deferred_ || closed()) return;
  deferred_ = false;
  nghttp2_session_resume_data(downstream_->session(), stream_id_);
  downstream_->ScheduleFlush();
}

ssize_t H2CallerSide::ReadBody(size_t length, uint32_t* flags) {
  ByteQueue& body = stream_->response_body();
  const size_t n = std::min(length, body.size());
  if (n > 0) {
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    body.Promise(n);
    return static_cast<ssize_t>(n);
  }
  if (stream_->released()) {
    // Every byte is out and the outcome is on record: the trailers close it
    // (a Connect unary answer has none: its body does).
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!stream_->trailers().empty()) {
      Nva nva = ToNva(stream_->trailers());
      nghttp2_submit_trailer(downstream_->session(), stream_id_, nva.data(), nva.size());
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
    stream_->OnAnswerSent();
    return 0;
  }
  deferred_ = true;
  return NGHTTP2_ERR_DEFERRED;
}

void H2CallerSide::WriteBody(std::string* out, size_t length) {
  stream_->response_body().TakeInto(out, length);
  stream_->OnResponseTaken(length);
}

void H2CallerSide::ConsumeRequest(size_t length) {
  if (closed()) return;
  nghttp2_session_consume(downstream_->session(), stream_id_, length);
  downstream_->ScheduleFlush();
}

void H2CallerSide::Reset(CallerReset why) {
  if (closed()) return;
  nghttp2_submit_rst_stream(downstream_->session(), NGHTTP2_FLAG_NONE, stream_id_,
                            why == CallerReset::kCancel ? NGHTTP2_CANCEL
                                                        : NGHTTP2_ENHANCE_YOUR_CALM);
  downstream_->ScheduleFlush();
}

bool H2CallerSide::WindowShut() const {
  if (closed()) return false;
  nghttp2_session* session = downstream_->session();
  return nghttp2_session_get_stream_remote_window_size(session, stream_id_) <= 0 ||
         nghttp2_session_get_remote_window_size(session) <= 0;
}

void H2CallerSide::AddHeldResponse(int64_t delta) { downstream_->AddHeldResponse(delta); }

int64_t H2CallerSide::connection_held_bytes() const {
  return downstream_->held_response_bytes();
}

ForwardedStream* H2CallerSide::HeaviestNotReading(ev_tstamp now) const {
  return downstream_->HeaviestNotReading(now);
}

}  // namespace ndxp::gateway::transport
