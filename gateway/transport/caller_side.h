// The caller's side of one call, as its ForwardedStream answers through it.
// The stream holds the answer (its ByteQueue, bounded by the connector
// stream's window) and its trailers; a caller side sends them as its door
// speaks: an HTTP/2 stream of a member's connection (H2CallerSide) or an
// HTTP/1.1 request (H1CallerSide), as nghttpx's Upstream has its HTTP/2 and
// HTTP/1 implementations.
#ifndef NDXP_GATEWAY_TRANSPORT_CALLER_SIDE_H_
#define NDXP_GATEWAY_TRANSPORT_CALLER_SIDE_H_

#include <ev.h>

#include <cstdint>
#include <string>

#include "gateway/admission/admit_call.h"
#include "gateway/call/header_list.h"

namespace ndxp::gateway::transport {

class ForwardedStream;
class TransportThread;

// How a caller's stream ends without an answer.
enum class CallerReset {
  kCancel,         // its header block never completed
  kTooMuchUnread,  // it holds answers it does not read (ENHANCE_YOUR_CALM)
};

class CallerSide {
 public:
  virtual ~CallerSide() = default;

  // Who is calling, as the connection proved it (for admission).
  virtual Caller caller() const = 0;
  // "stream N of ADDRESS (agency/subsystem)", for logs.
  virtual std::string Describe() const = 0;
  // The caller is gone: nothing more can be sent.
  virtual bool closed() const = 0;
  // Whether the caller's transport carries gRPC (HTTP/2, with trailers);
  // HTTP/1.1 carries only the JSON door.
  virtual bool CarriesGrpc() const { return true; }
  // Whether an answer made before the request's body ended waits for its
  // end, at most limits.handshake_timeout_ms (HTTP/2: curl 7.88 fails a
  // transfer answered early with RST_STREAM NO_ERROR, or hangs without one;
  // HTTP/1.1: the connection stays open). An answer for a passed deadline
  // never waits.
  virtual bool WaitsForBodyBeforeAnswer() const { return true; }

  // The answer's headers; the body the stream holds follows as the caller
  // takes it, then the trailers once the stream is released.
  virtual void SendHeaders(const HeaderList& headers) = 0;
  // A whole answer without a body (trailers-only).
  virtual void SendTrailersOnly(const HeaderList& headers) = 0;
  // Answer bytes arrived, or (`released`) the answer is complete: send what
  // the caller can take now.
  virtual void ResumeResponse(bool released) = 0;
  // The stream took `length` request bytes: reopen the caller's window.
  virtual void ConsumeRequest(size_t length) = 0;
  // Ends the caller's stream without (more of) an answer.
  virtual void Reset(CallerReset why) = 0;
  // Whether the caller's windows are shut: it cannot take the answer.
  virtual bool WindowShut() const = 0;

  // The caller's connection: answer bytes held for all its calls, and of its
  // calls that do not read, the one holding the most (nullptr: none).
  virtual void AddHeldResponse(int64_t delta) = 0;
  virtual int64_t connection_held_bytes() const = 0;
  virtual ForwardedStream* HeaviestNotReading(ev_tstamp now) const = 0;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_CALLER_SIDE_H_
