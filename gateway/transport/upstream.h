// The hub's long-lived connection to one connector, per thread: mutual TLS
// with the hub's certificate, the connector's certificate checked against
// the route's provider agency, and an nghttp2 client session multiplexing
// every call of this thread to that connector. Or, the same, to a peer hub:
// its certificate checked against the route's peer_hub, and each call sent
// with the assertion of its original consumer MAC'd with this connection's
// TLS exporter key (signed with its private key on TLS 1.2).
#ifndef NDXP_GATEWAY_TRANSPORT_UPSTREAM_H_
#define NDXP_GATEWAY_TRANSPORT_UPSTREAM_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gateway/routing/route_table.h"
#include "gateway/transport/connector_pool.h"
#include "gateway/transport/h2_connection.h"

namespace ndxp::gateway::transport {

class UpstreamConnector;

// Owned by its TransportThread (see H2Connection). Not thread-safe.
class Upstream final : public H2Connection, public PooledConnection {
 public:
  // Starts connecting to `address` (host:port or unix:PATH), where the
  // connector of agency `provider` must answer, or the peer hub `peer_hub`
  // (a SPIFFE ID) when it is not empty; nullptr if no socket could be made.
  // Call Begin() once registered under `key`.
  static Upstream* Connect(TransportThread* thread, const std::string& provider,
                           const std::string& peer_hub, const std::string& address,
                           std::string key);
  ~Upstream() override;

  // False once the connection failed, closed or was told GOAWAY: new calls
  // go to a new connection.
  bool accepts_streams() const override { return !closed() && !goaway_received_; }
  // Sends `call`'s request now, or as soon as the handshake is done, with
  // this connection's endpoint as its :authority (the replica the pool
  // chose, whatever the call's list says). The call hears back through
  // OnStarted or OnFailed.
  void Submit(UpstreamConnector* call);
  // The call is gone on the caller's side: reset it here, forget it.
  void Cancel(UpstreamConnector* call, int32_t stream_id);
  const std::string& key() const { return key_; }
  // Calls open or waiting on this connection.
  size_t pending() const override { return waiting_.size() + active_.size(); }

 private:
  Upstream(TransportThread* thread, int fd, SSL* ssl, const std::string& provider,
           const std::string& peer_hub, const std::string& address, std::string key);
  bool OnHandshakeDone() override;
  void OnClosed() override;
  void OnTimer() override;
  void Start(UpstreamConnector* call);

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length,
                      uint8_t flags, void* self);
  static int OnFrameReceived(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int OnSendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                        size_t length, nghttp2_data_source* source, void* self);
  static int OnDataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id,
                         const uint8_t* data, size_t length, void* self);
  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* self);

  const std::string key_;
  const std::string provider_;
  const std::string peer_hub_;  // "" for a connector
  const std::string trust_domain_;
  const std::string authority_;  // the endpoint's address: each request's :authority
  bool goaway_received_ = false;
  bool established_ = false;  // the handshake and the provider check passed
  std::vector<UpstreamConnector*> waiting_;  // until the handshake is done
  absl::flat_hash_map<int32_t, UpstreamConnector*> active_;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_UPSTREAM_H_
