// One call through the hub at the HTTP/2 level: the caller's stream on a
// Downstream connection and, once admitted, its twin on the connector's
// Upstream connection. Headers are decided on (gateway/admission), DATA is
// copied from one side's receive window to the other side's send window,
// and a side's window is reopened only when its bytes have been taken by
// the other side: a slow reader stalls only its own stream. Trailers pass
// through as the connector sent them; a hub-made answer is trailers-only.
//
// Not thread-safe: lives on one TransportThread. Owned by its Downstream
// (deleted when the caller's stream closes); the Upstream only points at it
// while the connector's stream is open.
#ifndef NDXP_GATEWAY_TRANSPORT_FORWARDED_STREAM_H_
#define NDXP_GATEWAY_TRANSPORT_FORWARDED_STREAM_H_

#include <ev.h>
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/call/transaction_record.h"
#include "gateway/hub_context.h"
#include "gateway/local/local_services.h"
#include "gateway/peering/consumer_assertion.h"
#include "gateway/transport/grpc_wire.h"
#include "gateway/transport/header_list.h"

namespace ndxp::gateway::transport {

class Downstream;
class TransportThread;
class Upstream;

// Bytes waiting to be taken by the other side. Bounded by the HTTP/2 window
// of the side they came from.
class ByteQueue {
 public:
  void Append(const uint8_t* data, size_t length) {
    bytes_.append(reinterpret_cast<const char*>(data), length);
  }
  size_t size() const { return bytes_.size() - offset_; }
  bool empty() const { return size() == 0; }
  // Copies up to `length` bytes into `out` and drops them; returns how many.
  size_t Take(uint8_t* out, size_t length);
  // The first `length` bytes are promised to nghttp2 (a NO_COPY DATA frame
  // it will ask for): they stay until taken, whatever is dropped.
  void Promise(size_t length) { promised_ = length; }
  // Appends the `length` promised bytes to `out` and drops them.
  void TakeInto(std::string* out, size_t length);
  // Drops every byte not promised; returns how many.
  size_t DropUnpromised();
  void Clear() { bytes_.clear(), offset_ = 0, promised_ = 0; }
  // Copies up to `length` bytes into `out`, keeping them; returns how many.
  size_t Peek(uint8_t* out, size_t length) const;

 private:
  void Compact();

  std::string bytes_;
  size_t offset_ = 0;
  size_t promised_ = 0;
};

class ForwardedStream {
 public:
  // Decoded header bytes a connector accepts (RFC 9113 sizes: name, value
  // and 32 per field): gRPC servers' default metadata limit. The hub adds
  // its own headers (consumer, request id, deadline, on peer routes the
  // assertion), so a call is refused when what it would send the connector
  // is larger, before a connector refuses it as a call on record.
  static constexpr size_t kConnectorMaxHeaderBytes = 8 * 1024;
  // Decoded header bytes a request may bring, as advertised in
  // SETTINGS_MAX_HEADER_LIST_SIZE: what a connector accepts, as nothing
  // larger could reach one.
  static constexpr size_t kMaxRequestHeaderBytes = kConnectorMaxHeaderBytes;
  static constexpr size_t kMaxResponseHeaderBytes = 32 * 1024;
  // Answers of a hub-local stream waiting for its caller to read them.
  static constexpr size_t kMaxLocalBacklogBytes = 256 * 1024;
  // A request message to a hub-local method (health, reflection, statistics
  // requests are small); below the stream's initial window of 64 KiB.
  static constexpr size_t kMaxLocalRequestBytes = 32 * 1024;

  ForwardedStream(Downstream* downstream, int32_t stream_id);
  ~ForwardedStream();
  ForwardedStream(const ForwardedStream&) = delete;
  ForwardedStream& operator=(const ForwardedStream&) = delete;

  // --- The caller's side (Downstream's nghttp2 callbacks).
  void OnRequestHeader(absl::string_view name, absl::string_view value);
  void OnRequestHeadersDone();
  void OnRequestData(const uint8_t* data, size_t length);
  void OnRequestEnd();
  // The caller's stream is closed (answered, or reset by the caller); the
  // stream is deleted right after.
  void OnDownstreamClosed(uint32_t error_code);

  // --- The connector's side (Upstream's nghttp2 callbacks).
  void OnUpstreamStarted(Upstream* upstream, int32_t stream_id);
  void OnResponseHeader(absl::string_view name, absl::string_view value);
  void OnResponseHeadersDone(bool end_stream);
  void OnResponseData(const uint8_t* data, size_t length);
  void OnUpstreamClosed(uint32_t error_code);
  // The connection to the connector failed or went away before this stream
  // could finish there (`request_sent`: after its request went out, so it
  // cannot be tried elsewhere). `upstream` no longer points at the stream.
  void OnUpstreamFailed(bool request_sent);

  // nghttp2 data sources: the request body towards the connector, the
  // response body (then trailers) towards the caller. They say how many
  // bytes the next DATA frame carries (NGHTTP2_DATA_FLAG_NO_COPY); the Write
  // functions then append those bytes to the connection's write buffer.
  ssize_t ReadRequestBody(size_t length, uint32_t* flags);
  ssize_t ReadResponseBody(size_t length, uint32_t* flags);
  void WriteRequestBody(std::string* out, size_t length);
  void WriteResponseBody(std::string* out, size_t length);

  // Answers the hub-local requests that have arrived (again once a backlog
  // of unread answers has drained).
  void AnswerLocalMessages();

  const HeaderList& request_headers_for_upstream() const { return upstream_request_; }
  // For a call routed to a peer hub: the x-ndxp-assertion value, signed with
  // `key` (the private key of the connection it goes on).
  absl::StatusOr<std::string> SignAssertion(evp_pkey_st* key) const;
  bool request_ended() const { return request_ended_; }

  // --- What the hub holds for the caller (docs/design.md "Connections").
  // Answer bytes waiting for the caller to take them.
  size_t held_response_bytes() const { return response_body_.size(); }
  // Whether the caller is not reading what the stream holds: its window
  // (the stream's or the connection's) is shut, or it has taken nothing for
  // kNotReadingAfter.
  bool NotReading(ev_tstamp now) const;
  static constexpr double kNotReadingAfter = 1.0;
  // Ends the stream for what it holds unread (`limit`: the bound or the
  // stall it ran into; `why` says it, for the log and the record):
  // RST_STREAM ENHANCE_YOUR_CALM to the caller, the connector's stream
  // cancelled, the transaction recorded RESOURCE_EXHAUSTED unless its
  // outcome was on record already.
  void ResetUnread(ConnectionLimit limit, const std::string& why);

 private:
  enum class Phase {
    kReceivingHeaders,  // until the request headers are complete
    kRefused,           // answered by admission; request bytes are dropped
    kForwarding,        // a connector answers
    kLocal,             // the hub answers itself (health, reflection, statistics)
    kCompleting,        // the outcome is known; its record may be pending
    kDone,              // the answer is handed to nghttp2
  };

  // Answers a refusal made before forwarding; a `retry_after` over zero is
  // sent as grpc-retry-pushback-ms.
  // Answers the call with `status` itself, counted and recorded as a refusal
  // of `kind`.
  void Refuse(Refusal kind, const absl::Status& status,
              absl::Duration retry_after = absl::ZeroDuration());
  void StartForwarding(const MethodRoute& route);
  // What this call asserts to the peer hub `route` goes to (signed per
  // connection by SignAssertion), `purpose` decoded; PERMISSION_DENIED past
  // the hop limit.
  absl::Status PrepareAssertion(const MethodRoute& route, const std::string& purpose);
  void StartDeadline(absl::Duration timeout);
  static void OnDeadlineEvent(struct ev_loop* loop, ev_timer* timer, int events);
  void OnDeadline();
  void CancelUpstream();
  // Ends the call with a status made by the hub (after admission).
  void FailWith(const absl::Status& status);
  // The outcome (trailers_) is known: record it, then Release().
  void Complete();
  void OnRecorded(const absl::Status& status);
  // Fills in the transaction's outcome and counts it (once);
  // `connector_time` as CallMetrics::OnTransaction takes it.
  void TakeOutcome(std::optional<absl::Duration> connector_time);
  void Release();
  void SendResponseHeaders();
  void SubmitTrailersOnly(const HeaderList& trailers);
  void ResumeResponse();
  void ResumeRequest();
  void ConsumeRequest(size_t length);
  void ConsumeResponse(size_t length);
  // Drop buffered bytes, reopening the window they held on their side.
  void DropRequestBody();
  void DropResponseBody();
  // The decoded size of the header block the connector will receive
  // (upstream_request_, and the assertion on a peer route).
  size_t UpstreamHeaderBytes() const;
  // Brings HubStats::held_response_bytes in line with response_body_ (to 0
  // when `gone`: the stream is being destroyed).
  void CountHeldResponse(bool gone = false);
  // After an answer's bytes arrived: the caller's connection, or all
  // callers, over their bound reset the heaviest stream not read.
  void EnforceHeldBounds();
  static void OnStalledEvent(struct ev_loop* loop, ev_timer* timer, int events);
  void OnStalled();
  // The hub's own methods.
  void OnLocalAnswer(grpc::Status status, std::string response);
  // A health check of a routed service asks that service's connector (its
  // overall health): NOT_SERVING while the hub cannot reach it.
  bool MaybeProbeHealth(absl::string_view request);
  bool IsHealthMethod(const LocalMethod* method) const;
  void AnswerHealth(bool serving);
  absl::string_view ServiceName() const;

  TransportThread* const thread_;
  Downstream* const downstream_;
  const int32_t downstream_id_;
  const uint64_t serial_;
  std::shared_ptr<const HubContext> hub_;  // the configuration this call started under
  QuotaTicket quota_;  // what the call holds of its consumer's quotas (hub_ owns them)
  // Whose call this is: the connection's identity, or the consumer a peer
  // hub asserted (then kept here, with the hubs the call came through).
  const absl::StatusOr<ConsumerIdentity>* identity_;
  std::string asserted_spiffe_id_;  // asserted_identity_ points into it
  absl::StatusOr<ConsumerIdentity> asserted_identity_;  // unset (UNKNOWN, no allocation) unless asserted
  std::vector<std::string> hubs_before_;
  std::unique_ptr<ConsumerAssertion> outbound_assertion_;  // routed to a peer hub
  Phase phase_ = Phase::kReceivingHeaders;
  const absl::Time started_;

  // The request.
  HeaderList request_headers_;  // as received, pseudo-headers included
  size_t request_header_bytes_ = 0;
  HeaderList upstream_request_;
  std::string request_id_;
  bool request_ended_ = false;
  bool request_deferred_ = false;
  ByteQueue request_body_;
  GrpcMessageScanner request_messages_;

  // The connector.
  const MethodRoute* route_ = nullptr;
  const ServiceRoute* probed_ = nullptr;  // set for a health probe instead of route_
  Upstream* upstream_ = nullptr;
  int32_t upstream_id_ = -1;
  bool upstream_open_ = false;
  size_t failed_attempts_ = 0;  // endpoints that failed before the request went out
  absl::Time upstream_started_;  // when the request was handed to the connector

  // The answer.
  HeaderList response_headers_;
  size_t response_header_bytes_ = 0;
  HeaderList trailers_;
  bool collecting_trailers_ = false;
  bool response_headers_sent_ = false;
  bool response_deferred_ = false;
  bool hub_made_outcome_ = false;  // FailWith ended it, not the connector
  bool released_ = false;
  ByteQueue response_body_;
  // What of response_body_ is counted in HubStats::held_response_bytes.
  int64_t held_counted_ = 0;
  // When the caller last took answer bytes (or bytes came to a stream that
  // held none), in the loop's time; stalled_ fires limits.stalled_reader_ms
  // after it while bytes are held.
  ev_tstamp last_taken_ = 0;
  ev_timer stalled_;
  bool reset_unread_ = false;
  GrpcMessageScanner response_messages_;

  // The hub's own methods.
  const LocalMethod* local_ = nullptr;
  bool local_busy_ = false;  // a blocking answer is being computed elsewhere
  bool local_backlogged_ = false;  // waiting for the caller to read answers
  int local_answers_ = 0;

  TransactionRecord record_;
  bool recorded_ = false;  // outcome taken: counted, handed to the recorder
  ev_timer deadline_;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_FORWARDED_STREAM_H_
