// A caller's connection that speaks HTTP/1.1 (ALPN "http/1.1", or none):
// the JSON door's side of the transport. H1ServerCodec runs on a
// TlsConnection whose handshake a Downstream did and handed over (the ALPN
// having picked HTTP/1.1), with H1Deadlines' header and idle timeouts
// (limits.http1_header_timeout_ms, limits.http1_idle_timeout_ms) on the
// connection's one timer.
//
// Each request whose head passed the codec's checks becomes a call, a
// ForwardedStream answered through an H1CallerSide: the same admission,
// quotas, limits and recording as on HTTP/2, through the JSON door (HTTP/1.1
// carries no gRPC). Answers go out in request order; a later call's answer
// waits in the codec behind an earlier one. Refusals the codec writes
// itself (400, 408, 413, 431, ...) are counted by name
// (ndxp_http1_refusals_total{reason}) and logged with the peer's address and
// identity. No answer or log line ever quotes a request's target, fields or
// body: paths may carry personal IDs.
//
// Back-pressure: the connection stops reading while the codec's pipeline
// is full or the answer bytes held for the caller (the codec's and the
// write buffer's) pass limits.max_held_bytes_per_connection, and reads
// again as they go out. Answer bytes move from a call into the codec only
// while the connection has room (AnswerRoom); the rest stays with the call,
// counted as held for its caller like an HTTP/2 stream's. After a refusal, Connection: close or a drain, the
// last answer is written, TLS and TCP send their end, and the connection
// lingers (reading and dropping) so that a TCP reset does not destroy the
// answer on its way.
//
// Owned by its TransportThread (see TlsConnection). Not thread-safe.
#ifndef NDXP_GATEWAY_TRANSPORT_H1_DOWNSTREAM_H_
#define NDXP_GATEWAY_TRANSPORT_H1_DOWNSTREAM_H_

#include <ev.h>
#include <sys/socket.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/identity/spiffe_id.h"
#include "gateway/transport/h1_codec.h"
#include "gateway/transport/h1_deadlines.h"
#include "gateway/transport/tls/tls_material.h"
#include "gateway/transport/tls_connection.h"

namespace ndxp::gateway::transport {

class ForwardedStream;
class H1CallerSide;

class H1Downstream final : public TlsConnection, private H1RequestHandler {
 public:
  // Takes over `fd` and `ssl` (handshake done, by the caller's Downstream)
  // of a connection from `peer` that shook hands with `material`. Begin()
  // starts it (the handshake is found done).
  H1Downstream(TransportThread* thread, int fd, SSL* ssl, const sockaddr_storage& peer,
               std::shared_ptr<const TlsMaterial> material);
  ~H1Downstream() override;

  // Graceful shutdown: the connection closes once the answers it owes are
  // written (at once when it owes none).
  void BeginDrain();
  // After the TLS material changed: a caller whose certificate is now
  // revoked or expired is closed as in a drain.
  void Recheck(const TlsMaterial& material, absl::Time now);
  const absl::StatusOr<ConsumerIdentity>& identity() const { return identity_; }
  // "address (agency/subsystem)", for logs.
  std::string Peer() const;

  // --- For the calls' caller sides (H1CallerSide).
  // The public key of the caller's certificate (peer hubs' assertions).
  evp_pkey_st* peer_public_key() const;
  // Whether answers can still be written.
  bool answering() const { return !closed() && !lingering() && !failed_; }
  H1ServerCodec& codec() { return codec_; }
  // Answer bytes the connection can take now (the codec's and the write
  // buffer's bound); 0 while the caller does not read.
  size_t AnswerRoom() const;
  // Request `id`'s answer is complete: its call ends after this event.
  void OnAnswered(H1RequestId id);
  // Ends the connection after this event (no per-request reset in HTTP/1.1).
  void FailConnection();
  // Answer bytes its calls hold that the connection has not taken.
  int64_t held_response_bytes() const { return held_response_bytes_; }
  void AddHeldResponse(int64_t delta) { held_response_bytes_ += delta; }
  ForwardedStream* HeaviestNotReading(ev_tstamp now) const;

 private:
  // TlsConnection.
  bool StartProtocol() override;
  void OnClosed() override;
  size_t Consume(const uint8_t* data, size_t length) override;
  bool ProduceOutput() override;
  void OnOutputFlushed() override;
  void OnTimer() override;

  // H1RequestHandler.
  void OnRequestHead(const H1RequestHead& head) override;
  void OnRequestBody(H1RequestId id, const char* data, size_t n) override;
  void OnRequestEnd(H1RequestId id) override;
  void OnBadRequest(std::optional<H1RequestId> id, H1Refusal refusal) override;

  // The call of request `head`: its header block as HTTP/2 pseudo-headers
  // and fields, handed to a new ForwardedStream.
  void StartCall(const H1RequestHead& head);
  // Calls answered (or abandoned) leave, outside the calls' own events.
  void EndAnsweredCalls();
  // Moves the calls' answer bytes into the codec, oldest first.
  void PumpAnswers();
  // The caller is gone: every call ends unanswered.
  void EndCalls();
  // Brings HubStats::held_response_bytes in line with the answers the codec
  // holds (to 0 when `gone`).
  void CountCodecHeld(bool gone = false);

  // Stops or resumes reading by the pipeline and the held answer bytes.
  void ApplyBackPressure();
  // Arms the timer for the codec's state (H1Deadlines).
  void UpdateDeadline();
  // The codec is finished, or a drain found it idle: TLS close_notify and
  // TCP FIN after the last answer, then the linger.
  void EndAfterAnswers();

  const sockaddr_storage peer_;
  std::shared_ptr<const TlsMaterial> material_;  // what this connection shook hands with
  std::string spiffe_id_;  // identity_ points into it
  absl::StatusOr<ConsumerIdentity> identity_;
  H1ServerCodec codec_;
  H1Deadlines deadlines_;
  // The calls, by request (in order); those answered wait in answered_ to
  // leave (EndAnsweredCalls).
  struct Call {
    std::unique_ptr<ForwardedStream> stream;
    H1CallerSide* side;  // the stream's
  };
  std::map<H1RequestId, Call> calls_;
  std::vector<H1RequestId> answered_;
  int64_t held_response_bytes_ = 0;
  int64_t codec_held_counted_ = 0;  // of codec_.held_bytes(), in HubStats
  bool failed_ = false;  // FailConnection: closes at the next flush
  bool closing_ = false;  // drained or revoked: closes once it owes no answer
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_H1_DOWNSTREAM_H_
