// The connector's side of one call, as its ForwardedStream drives it. The
// stream holds the request bytes (its ByteQueue, bounded by the caller's
// window) and takes the answer through its OnResponse* callbacks, as an
// HTTP/2 connector's answer arrives: headers, DATA, trailers. A connector
// side is a connector reached over HTTP/2 (Upstream, still inline in
// ForwardedStream) or the hub's own methods (LocalConnector), as nghttpx's
// DownstreamConnection has its API implementation beside the HTTP/2 one.
#ifndef NDXP_GATEWAY_TRANSPORT_CONNECTOR_SIDE_H_
#define NDXP_GATEWAY_TRANSPORT_CONNECTOR_SIDE_H_

#include <cstddef>

namespace ndxp::gateway::transport {

class ConnectorSide {
 public:
  virtual ~ConnectorSide() = default;
  // Request bytes arrived, or the request ended: take what can be taken.
  virtual void OnRequestReady() = 0;
  // The caller took `length` answer bytes, or the stream dropped them
  // (called from nghttp2's send callback: an implementation that answers
  // more posts that work to the loop).
  virtual void OnResponseTaken(size_t length) = 0;
  // The call ends (deadline, caller gone, reset): answer nothing more.
  virtual void Cancel() = 0;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_CONNECTOR_SIDE_H_
