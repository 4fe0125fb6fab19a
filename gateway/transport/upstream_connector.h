// A connector reached over HTTP/2 as the connector's side of one call: the
// call's twin stream on one of its thread's Upstream connections, the
// endpoint chosen by the connector pool, and another endpoint tried while
// nothing of the request has gone out. Request DATA is taken from the
// stream's ByteQueue as the connector's window allows; the connector's
// answer goes to the stream's OnResponse* callbacks; the connector stream's
// window is credited as the caller takes the answer (OnResponseTaken).
//
// Not thread-safe: lives on its stream's TransportThread, owned by the
// stream; its Upstream points at it only while the connector's stream is
// open or waiting for the connection.
#ifndef NDXP_GATEWAY_TRANSPORT_UPSTREAM_CONNECTOR_H_
#define NDXP_GATEWAY_TRANSPORT_UPSTREAM_CONNECTOR_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/call/header_list.h"
#include "gateway/peering/consumer_assertion.h"
#include "gateway/routing/route_table.h"
#include "gateway/transport/connector_side.h"

struct evp_pkey_st;

namespace ndxp::gateway::transport {

class ForwardedStream;
class Upstream;

class UpstreamConnector final : public ConnectorSide {
 public:
  // `stream` owns this; `service` lives as long as the stream's HubContext.
  UpstreamConnector(ForwardedStream* stream, const ServiceRoute& service)
      : stream_(stream), service_(service) {}
  ~UpstreamConnector() override { Cancel(); }

  // Hands the request to a connection the pool chooses; UNAVAILABLE (the
  // message names the service, never an address) when none will take it.
  absl::Status Start();
  // When the request was handed to a connection.
  absl::Time started() const { return started_; }

  void OnRequestReady() override;
  void OnResponseTaken(size_t length) override;
  void Cancel() override;

  // --- The Upstream connection's side.
  // What the connection sends: the stream's planned header block (its
  // :authority replaced by the connection) and, to a peer hub, the
  // assertion proven for the connection (its MAC key, or its private key).
  const HeaderList& request_headers() const;
  absl::StatusOr<std::string> ProveAssertion(AssertionMacKey& mac_key,
                                             evp_pkey_st* signing_key) const;
  // nghttp2's data source of the request body (NGHTTP2_DATA_FLAG_NO_COPY);
  // WriteRequestBody then appends the promised bytes to the write buffer.
  ssize_t ReadRequestBody(size_t length, uint32_t* flags);
  void WriteRequestBody(std::string* out, size_t length);
  void OnStarted(Upstream* upstream, int32_t stream_id);
  // The connection failed or went away before the call finished there
  // (`request_sent`: after its request went out, so it cannot be tried
  // elsewhere). The connection no longer points at this.
  void OnFailed(bool request_sent);
  // The connector's stream closed (its trailers, if any, came before).
  void OnClosed(uint32_t error_code);
  void OnResponseHeader(absl::string_view name, absl::string_view value);
  void OnResponseHeadersDone(bool end_stream);
  void OnResponseData(const uint8_t* data, size_t length);

 private:
  void Forget();

  ForwardedStream* const stream_;
  const ServiceRoute& service_;
  Upstream* upstream_ = nullptr;  // waiting on it, or open there
  int32_t id_ = -1;               // the connector stream's, once started
  bool open_ = false;             // until the connector's stream ends
  bool request_deferred_ = false;  // the data source waits for request bytes
  size_t failed_attempts_ = 0;  // endpoints that failed before the request went out
  absl::Time started_;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_UPSTREAM_CONNECTOR_H_
