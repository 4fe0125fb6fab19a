#include "gateway/transport/h1_caller_side.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "gateway/transport/forwarded_stream.h"
#include "gateway/transport/h1_downstream.h"

namespace ndxp::gateway::transport {
namespace {

// Fields HTTP/1.1 frames itself (the codec writes them) or that have no
// meaning on it.
bool IsHttp1FramingField(absl::string_view name) {
  return name == "content-length" || name == "transfer-encoding" || name == "connection" ||
         name == "keep-alive" || name == "upgrade" || name == "te" || name == "trailer";
}

}  // namespace

Caller H1CallerSide::caller() const {
  return {&downstream_->identity(), downstream_->peer_public_key(),
          &downstream_->assertion_mac_key()};
}

std::string H1CallerSide::Describe() const {
  return absl::StrCat("HTTP/1.1 request ", id_, " of ", downstream_->Peer());
}

bool H1CallerSide::closed() const { return !downstream_->answering(); }

void H1CallerSide::SendHeaders(const HeaderList& headers) {
  if (closed()) return;
  int status = 200;
  H1Fields fields;
  for (const auto& [name, value] : headers) {
    if (name == ":status") {
      if (!absl::SimpleAtoi(value, &status)) status = 500;
    } else if (name.empty() || name[0] == ':' || IsHttp1FramingField(name)) {
      continue;
    } else {
      fields.emplace_back(name, value);
    }
  }
  // A released answer is whole: its length is known. One still coming (a
  // stream) goes in chunks.
  const std::optional<uint64_t> length =
      stream_->released() ? std::optional<uint64_t>(stream_->response_body().size()) : kH1Chunked;
  if (absl::Status written = downstream_->codec().WriteResponseHead(id_, status, fields, length);
      !written.ok()) {
    logging::Log("transport").error("{}: answer not written: {}", Describe(), written.message());
    downstream_->FailConnection();
    return;
  }
  head_written_ = true;
  downstream_->ScheduleFlush();
}

void H1CallerSide::SendTrailersOnly(const HeaderList& headers) {
  // Only the gRPC door answers trailers-only, and HTTP/1.1 never carries it;
  // should one come, it is an empty answer with its status.
  SendHeaders(headers);
  ResumeResponse(/*released=*/true);
}

void H1CallerSide::ResumeResponse(bool) {
  if (!closed() && Pump()) downstream_->ScheduleFlush();
}

bool H1CallerSide::Pump() {
  if (answered_ || !head_written_ || closed()) return answered_;
  ByteQueue& body = stream_->response_body();
  const size_t n = std::min(body.size(), downstream_->AnswerRoom());
  if (n > 0) {
    std::string bytes;
    body.TakeInto(&bytes, n);
    if (absl::Status written = downstream_->codec().WriteBody(id_, bytes); !written.ok()) {
      logging::Log("transport").error("{}: answer not written: {}", Describe(), written.message());
      downstream_->FailConnection();
      return false;
    }
    stream_->OnResponseTaken(n);
    downstream_->ScheduleFlush();
  }
  if (!body.empty() || !stream_->released()) return false;
  answered_ = true;
  if (absl::Status ended = downstream_->codec().WriteEnd(id_); !ended.ok()) {
    logging::Log("transport").error("{}: answer not ended: {}", Describe(), ended.message());
    downstream_->FailConnection();
  }
  stream_->OnAnswerSent();
  downstream_->OnAnswered(id_);
  return true;
}

void H1CallerSide::Reset(CallerReset why) {
  // HTTP/1.1 cannot end one response early and go on: the connection ends.
  logging::Log("transport").warn("{}: connection closed ({})", Describe(),
                                 why == CallerReset::kCancel ? "request not complete"
                                                             : "answers held unread");
  downstream_->FailConnection();
}

bool H1CallerSide::WindowShut() const {
  return !stream_->response_body().empty() && downstream_->AnswerRoom() == 0;
}

void H1CallerSide::AddHeldResponse(int64_t delta) { downstream_->AddHeldResponse(delta); }

int64_t H1CallerSide::connection_held_bytes() const {
  return downstream_->held_response_bytes();
}

ForwardedStream* H1CallerSide::HeaviestNotReading(ev_tstamp now) const {
  return downstream_->HeaviestNotReading(now);
}

}  // namespace ndxp::gateway::transport
