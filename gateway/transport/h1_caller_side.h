// The caller's side of a call that came as one HTTP/1.1 request of a
// member's connection (H1Downstream): the JSON door's answer goes out as
// that request's response, in pipeline order, through the connection's
// H1ServerCodec. HTTP/1.1 has no trailers, so it carries only the JSON
// door (Connect and REST), and no per-request reset: a call reset for what
// it holds unread ends the connection.
//
// Not thread-safe: lives on the connection's TransportThread, owned by its
// stream, which the connection owns.
#ifndef NDXP_GATEWAY_TRANSPORT_H1_CALLER_SIDE_H_
#define NDXP_GATEWAY_TRANSPORT_H1_CALLER_SIDE_H_

#include <cstdint>
#include <string>

#include "gateway/transport/caller_side.h"
#include "gateway/transport/h1_codec.h"

namespace ndxp::gateway::transport {

class H1Downstream;

class H1CallerSide final : public CallerSide {
 public:
  // Request `id` of `downstream`, answered by `stream`; `expect_continue`:
  // the client waits for 100 Continue before it sends the body.
  H1CallerSide(H1Downstream* downstream, H1RequestId id, bool expect_continue,
               ForwardedStream* stream)
      : downstream_(downstream), id_(id), expect_continue_(expect_continue), stream_(stream) {}

  Caller caller() const override;
  std::string Describe() const override;
  bool closed() const override;
  bool CarriesGrpc() const override { return false; }
  // A refusal waits for the body (a small one follows its head) so that the
  // connection stays open: answered early, the codec closes it after the
  // answer. A client that waits for 100 Continue sends no body: at once.
  bool WaitsForBodyBeforeAnswer() const override { return !expect_continue_; }
  void SendHeaders(const HeaderList& headers) override;
  void SendTrailersOnly(const HeaderList& headers) override;
  void ResumeResponse(bool released) override;
  void ConsumeRequest(size_t) override {}  // no window: the connection reads or pauses
  void Reset(CallerReset why) override;
  bool WindowShut() const override;
  void AddHeldResponse(int64_t delta) override;
  int64_t connection_held_bytes() const override;
  ForwardedStream* HeaviestNotReading(ev_tstamp now) const override;

  // Moves what the stream holds of its answer into the codec as far as the
  // connection has room, and ends the response once the stream is released
  // and holds nothing more. True once the response is complete.
  bool Pump();
  bool answered() const { return answered_; }

 private:
  H1Downstream* const downstream_;
  const H1RequestId id_;
  const bool expect_continue_;
  ForwardedStream* const stream_;
  bool head_written_ = false;
  bool answered_ = false;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_H1_CALLER_SIDE_H_
