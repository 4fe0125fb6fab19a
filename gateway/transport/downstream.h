// A caller's connection: TLS with a verified client certificate, an
// nghttp2 server session, and the calls (ForwardedStreams) on it. The
// caller's identity is read from the certificate once, at the handshake.
// Every caller's connection starts as one: it does the handshake (and logs
// a refused one), then, when ALPN picked HTTP/1.1 or nothing, hands the
// socket to an H1Downstream and closes without closing it.
#ifndef NDXP_GATEWAY_TRANSPORT_DOWNSTREAM_H_
#define NDXP_GATEWAY_TRANSPORT_DOWNSTREAM_H_

#include <sys/socket.h>

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/identity/spiffe_id.h"
#include "gateway/hub_context.h"
#include "gateway/metrics/connection_limits.h"
#include "gateway/transport/frame_guard.h"
#include "gateway/transport/h2_connection.h"
#include "gateway/transport/tls/tls_material.h"

namespace ndxp::gateway::transport {

class ForwardedStream;

// "HOST:PORT" of a caller's address (from accept()), for logs.
std::string PeerAddress(const sockaddr_storage& address);
// Who calls on a caller's connection, from the certificate it presented
// (after the handshake), whatever the protocol: `*spiffe_id` keeps the text
// the identity points into.
absl::StatusOr<ConsumerIdentity> CallerIdentity(SSL* ssl, const HubContext& context,
                                                std::string* spiffe_id);

// Owned by its TransportThread (see H2Connection). Not thread-safe.
class Downstream final : public H2Connection {
 public:
  // A connection from `peer` accepted on `fd`, with the TLS material
  // current now. Registered with `thread` and started; nullptr if TLS
  // cannot be set up.
  static Downstream* Accept(TransportThread* thread, int fd, const sockaddr_storage& peer);
  ~Downstream() override;

  // Graceful shutdown: GOAWAY now; the connection closes when its calls end.
  void BeginDrain();
  // After the TLS material changed: a caller whose certificate is now
  // revoked or expired gets GOAWAY, and the connection is closed once its
  // calls end (10 s at most).
  void Recheck(const TlsMaterial& material, absl::Time now);
  const absl::StatusOr<ConsumerIdentity>& identity() const { return identity_; }
  // The public key of the certificate the caller presented (nullptr over a
  // plain unix: listener): what a peer hub's assertions are checked with.
  evp_pkey_st* peer_public_key() const;
  // Answer bytes its streams hold that the caller has not taken (kept by
  // ForwardedStream::CountHeldResponse).
  int64_t held_response_bytes() const { return held_response_bytes_; }
  void AddHeldResponse(int64_t delta) { held_response_bytes_ += delta; }
  // Of its streams the caller is not reading, the one holding the most
  // (nullptr: none).
  ForwardedStream* HeaviestNotReading(ev_tstamp now) const;
  // "address (agency/subsystem)", for logs.
  std::string Peer() const;

 private:
  Downstream(TransportThread* thread, int fd, SSL* ssl,
             std::shared_ptr<const TlsMaterial> material, const sockaddr_storage& peer);
  bool OnHandshakeDone() override;
  void OnHandshakeFailed() override;
  bool LingerAfterFailedHandshake() const override { return true; }
  void OnClosed() override;
  void OnTimer() override;
  bool OnFrameHeader(const FrameHeader& header) override;
  void OnSessionFailed(int error, uint32_t goaway_code) override;
  // `limit` fired: counted and logged with the peer's address, who it is
  // and `what` happened; EndForLimit also ends the session with GOAWAY
  // ENHANCE_YOUR_CALM.
  void CountLimit(ConnectionLimit limit, absl::string_view what);
  void EndForLimit(ConnectionLimit limit, absl::string_view what);
  // What a FrameGuard verdict other than kPass means: counted, logged, the
  // session ended with GOAWAY ENHANCE_YOUR_CALM. `header`: the frame that
  // passed the limit, when there is one.
  void EndForVerdict(FrameGuard::Verdict verdict, const FrameHeader* header);
  // "HOST:PORT", and the identity when the certificate names one.

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length,
                      uint8_t flags, void* self);
  static int OnFrameReceived(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int OnDataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id,
                         const uint8_t* data, size_t length, void* self);
  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* self);
  static int OnFrameSent(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int OnSendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                        size_t length, nghttp2_data_source* source, void* self);
  // Rapid reset (CVE-2023-44487): streams the caller resets draw on a
  // bucket; an empty bucket ends the connection.
  bool TakeResetToken();

  const sockaddr_storage peer_;  // the address it came from (a log's first question)
  std::shared_ptr<const TlsMaterial> material_;  // what this connection shook hands with
  FrameGuard frame_guard_;
  std::string spiffe_id_;  // identity_ points into it
  absl::StatusOr<ConsumerIdentity> identity_;
  absl::flat_hash_map<int32_t, std::unique_ptr<ForwardedStream>> streams_;
  int64_t held_response_bytes_ = 0;
  double reset_tokens_;
  absl::Time reset_refilled_ = absl::Now();
  bool revoked_ = false;
  std::string refused_serial_;  // a refused client certificate's, for the log
  // The header block nghttp2 is decoding (a call's or trailers): its decoded
  // size so far (RFC 9113 sizes), and whether it went past the header list
  // limit (counted by frame_guard_ then, once).
  size_t block_bytes_ = 0;
  bool block_over_limit_ = false;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_DOWNSTREAM_H_
