// One call through the hub, between two sides: the caller's (caller_side.h:
// a stream on a member's HTTP/2 connection, H2CallerSide) and, once
// admitted (gateway/admission: AdmitCall), the connector's (its twin stream
// on the connector's Upstream connection, or the hub's own methods,
// LocalConnector). DATA is copied from one side's receive window to the
// other side's send window, and a side's window is reopened only when its
// bytes have been taken by the other side: a slow reader stalls only its
// own stream. Trailers pass through as the connector sent them; a hub-made
// answer is trailers-only.
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

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/admission/admit_call.h"
#include "gateway/call/transaction_record.h"
#include "gateway/hub_context.h"
#include "gateway/json/connect_unary.h"
#include "gateway/local/local_services.h"
#include "gateway/peering/consumer_assertion.h"
#include "gateway/recording/transaction_store.h"
#include "gateway/transport/caller_side.h"
#include "gateway/transport/call_subjects.h"
#include "gateway/transport/grpc_wire.h"
#include "gateway/transport/header_list.h"
#include "gateway/transport/local_connector.h"
#include "gateway/transport/upstream_connector.h"

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
  static constexpr size_t kMaxRequestHeaderBytes = gateway::kMaxRequestHeaderBytes;
  static constexpr size_t kMaxResponseHeaderBytes = 32 * 1024;

  // A call on `thread` whose caller's side `make_caller` makes (for the
  // stream it is handed).
  ForwardedStream(TransportThread* thread,
                  absl::FunctionRef<std::unique_ptr<CallerSide>(ForwardedStream*)> make_caller);
  // Stream `stream_id` of an HTTP/2 caller's connection.
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

  // --- The connector's side (connector_side.h): its answer, as an HTTP/2
  // connector sends it.
  void OnResponseHeader(absl::string_view name, absl::string_view value);
  void OnResponseHeadersDone(bool end_stream);
  void OnResponseData(const uint8_t* data, size_t length);
  // Whether the call still waits for its connector side's answer.
  bool forwarding() const { return phase_ == Phase::kForwarding; }
  // Ends the call with a status made by the hub (after admission).
  void FailWith(const absl::Status& status);
  // The call's record was committed as `row` (or failed: the answer
  // becomes UNAVAILABLE); the answer is released, with its receipt
  // (x-ndxp-receipt) when committed. On this stream's thread
  // (TransportThread::OnCommitted).
  void OnRecorded(const absl::Status& status, const AppendedRow& row);

  // --- For the caller side (caller_side.h): the answer it sends.
  // Answer bytes not yet taken by the caller side (it takes them with
  // Promise/TakeInto, then reports OnResponseTaken).
  ByteQueue& response_body() { return response_body_; }
  void OnResponseTaken(size_t length);
  // The outcome is final and on record: after the body, the trailers.
  bool released() const { return released_; }
  const HeaderList& trailers() const { return trailers_; }
  // The trailers are handed to the caller's connection.
  void OnAnswerSent() { phase_ = Phase::kDone; }

  // --- For a connector side (connector_side.h) that is not an Upstream.
  // The request bytes received and not yet taken; ConsumeRequest reopens
  // the caller's window by what was taken.
  ByteQueue& request_body() { return request_body_; }
  void ConsumeRequest(size_t length);
  TransportThread* thread() const { return thread_; }
  uint64_t serial() const { return serial_; }
  const std::shared_ptr<const HubContext>& hub() const { return hub_; }
  LocalConnector* local_connector() const { return local_.get(); }
  // A health check of routed service `service` asks that service's
  // connector (its overall health): NOT_SERVING while the hub cannot reach
  // it. False if the hub routes no such service.
  bool ProbeConnector(absl::string_view service);

  const HeaderList& request_headers_for_upstream() const { return plan_.upstream_headers; }
  // For a call routed to a peer hub: the x-ndxp-assertion value for the
  // connection it goes on (its MAC key and private key: ProveAssertion).
  absl::StatusOr<std::string> ProveAssertion(AssertionMacKey& mac_key,
                                             evp_pkey_st* signing_key) const;
  bool request_ended() const { return request_ended_; }
  Door door() const { return door_; }
  CallerSide* caller() const { return caller_.get(); }

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
    kForwarding,        // a connector answers, or the hub's own methods (local_)
    kCompleting,        // the outcome is known; its record may be pending
    kDone,              // the answer is handed to nghttp2
  };

  // Answers the call with the refusal plan_ holds, counted and recorded as
  // a refusal of its kind (`path`: the method it named, for the record).
  void Refuse(absl::string_view path);
  void StartForwarding(const MethodRoute& route);
  // What a hub-local method learns of its admitted caller (`identity`):
  // takes the plan's consumer and the request's headers.
  LocalCall LocalCallOf(const ConsumerIdentity& identity);
  // The JSON door's unary call (door_ kConnect): its request body held
  // whole, then framed as the connector's gRPC message; its answer sent
  // whole, as Connect's.
  void HoldConnectRequest(const uint8_t* data, size_t length);
  absl::Status FrameConnectRequest();
  // Sends `answer`, once the request's body has ended unless not
  // `wait_for_body`.
  void SendConnectAnswer(json::connect::UnaryAnswer answer, bool wait_for_body = true);
  // The JSON door's server streams (Connect): the headers, each connector
  // message enveloped as it comes, the end-of-stream envelope at Release;
  // a refusal as a stream that ends with its error.
  void SendStreamHeaders();
  void EnvelopeStreamMessages();
  void EndStream();
  json::connect::UnaryAnswer StreamErrorAnswer(const absl::Status& status) const;
  absl::string_view StreamContentType() const;
  // Hands the call to `service`'s connector (FailWith when none takes it).
  void StartConnector(const ServiceRoute& service);
  void StartDeadline(absl::Duration timeout);
  static void OnDeadlineEvent(struct ev_loop* loop, ev_timer* timer, int events);
  void OnDeadline();
  void CancelUpstream();
  // The outcome (trailers_) is known: record it, then Release().
  void Complete();
  // Fills in the transaction's outcome and counts it (once);
  // `connector_time` as CallMetrics::OnTransaction takes it.
  void TakeOutcome(std::optional<absl::Duration> connector_time);
  void Release();
  void SendResponseHeaders();
  void SubmitTrailersOnly(const HeaderList& trailers);
  void ResumeResponse();
  void ResumeRequest();
  void ConsumeResponse(size_t length);
  // Drop buffered bytes, reopening the window they held on their side.
  void DropRequestBody();
  void DropResponseBody();
  // Brings HubStats::held_response_bytes in line with response_body_ (to 0
  // when `gone`: the stream is being destroyed).
  void CountHeldResponse(bool gone = false);
  // After an answer's bytes arrived: the caller's connection, or all
  // callers, over their bound reset the heaviest stream not read.
  void EnforceHeldBounds();
  static void OnStalledEvent(struct ev_loop* loop, ev_timer* timer, int events);
  void OnStalled();
  void AnswerHealth(bool serving);
  absl::string_view ServiceName() const;

  TransportThread* const thread_;
  const std::unique_ptr<CallerSide> caller_;
  const uint64_t serial_;
  std::shared_ptr<const HubContext> hub_;  // the configuration this call started under
  // Admission's decision (gateway/admission/admit_call.h): whose call, the
  // route or hub-local method, the upstream header block, the quota held.
  CallPlan plan_;
  Phase phase_ = Phase::kReceivingHeaders;
  const absl::Time started_;

  // The door the call came through, and for the JSON door (Connect or
  // REST) its method's types, the request and the answer held whole; for
  // REST the query string (its fields).
  Door door_ = Door::kGrpc;
  const google::protobuf::MethodDescriptor* connect_method_ = nullptr;
  std::string rest_query_;
  std::string connect_request_;
  std::string connect_answer_;
  // An answer made before the request's body ended, until it does.
  std::unique_ptr<json::connect::UnaryAnswer> held_connect_answer_;
  bool connect_request_over_limit_ = false;
  bool deadline_passed_ = false;  // its answer is sent at once
  bool connect_stream_ = false;   // a streaming content type: refused as a stream

  // The request.
  HeaderList request_headers_;  // as received, pseudo-headers included
  size_t request_header_bytes_ = 0;
  bool request_ended_ = false;
  ByteQueue request_body_;
  GrpcMessageScanner request_messages_;
  // Reads whom the call is about off its first message into record_ (for a
  // method with marked fields, on a hub with subject keys).
  std::unique_ptr<CallSubjects> subjects_;

  // The connector.
  const MethodRoute* route_ = nullptr;
  const ServiceRoute* probed_ = nullptr;  // set for a health probe instead of route_
  std::unique_ptr<UpstreamConnector> upstream_;

  // The answer.
  HeaderList response_headers_;
  size_t response_header_bytes_ = 0;
  HeaderList trailers_;
  bool collecting_trailers_ = false;
  bool response_headers_sent_ = false;
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

  // The hub's own methods as the connector's side (then route_ is null).
  std::unique_ptr<LocalConnector> local_;
  std::unique_ptr<LocalConnector> retired_local_;  // handed a health probe to a connector
  ConnectorSide* connector_ = nullptr;  // upstream_ or local_: the one answering

  TransactionRecord record_;
  bool recorded_ = false;  // outcome taken: counted, handed to the recorder
  // A durable unary call's record announced to the recorder while it is
  // forwarded, so that others' commits may wait for it (Recorder::AwaitRecord).
  Recorder::AwaitedRecord awaited_record_;
  ev_timer deadline_;
};

}  // namespace ndxp::gateway::transport

#endif  // NDXP_GATEWAY_TRANSPORT_FORWARDED_STREAM_H_
