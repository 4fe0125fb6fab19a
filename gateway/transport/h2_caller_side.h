// The caller's side of a call on an HTTP/2 connection of a member
// (Downstream): the answer goes out as nghttp2 frames, the body pulled from
// the stream as the caller's windows allow (NGHTTP2_DATA_FLAG_NO_COPY: the
// bytes are copied once, into the connection's write buffer), then the
// trailers.
//
// Not thread-safe: lives on the connection's TransportThread, owned by its
// stream, which the connection owns.
#ifndef NDXP_GATEWAY_TRANSPORT_H2_CALLER_SIDE_H_
#define NDXP_GATEWAY_TRANSPORT_H2_CALLER_SIDE_H_

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>

#include "gateway/transport/caller_side.h"

namespace ndxp::gateway::transport {

class Downstream;

class H2CallerSide final : public CallerSide {
 public:
  // Stream `stream_id` of `downstream`, answered by `stream`.
  H2CallerSide(Downstream* downstream, int32_t stream_id, ForwardedStream* stream)
      : downstream_(downstream), stream_id_(stream_id), stream_(stream) {}

  Caller caller() const override;
  std::string Describe() const override;
  bool closed() const override;
  void SendHeaders(const HeaderList& headers) override;
  void SendTrailersOnly(const HeaderList& headers) override;
  void ResumeResponse(bool released) override;
  void ConsumeRequest(size_t length) override;
  void Reset(CallerReset why) override;
  bool WindowShut() const override;
  void AddHeldResponse(int64_t delta) override;
  int64_t connection_held_bytes() const override;
  ForwardedStream* HeaviestNotReading(ev_tstamp now) const override;

  // nghttp2's data source for the answer: how many bytes the next DATA
  // frame carries; then WriteBody appends them to the write buffer.
  ssize_t ReadBody(size_t length, uint32_t* flags);
  void WriteBody(std::string* out, size_t length);

 private:
  Downstream* const downstream_;
  const int32_t stream_id_;
  ForwardedStream* const stream_;
  bool deferred_ = false;  // the data source is waiting for answer bytes
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_H2_CALLER_SIDE_H_
