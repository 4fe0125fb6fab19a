// Closed loops of unary Connect calls through the hub's JSON door, for
// `ndxp-bench --door connect-h2|connect-h1` (h2load and wrk cannot present a
// client certificate, so they cannot load an mTLS-only hub).
//
// One thread per connection, blocking TLS (OpenSSL) on it:
//  - grpc-h2: gRPC calls (application/grpc, the message length-prefixed,
//    grpc-status in the trailers) on the HTTP/2 client below;
//  - connect-h2: an nghttp2 client session (ALPN h2); the connection's share
//    of the calls in flight as concurrent streams, each call issued as one
//    ends;
//  - connect-h1: a hand-written HTTP/1.1 keep-alive client (ALPN http/1.1):
//    a Content-Length request, then the status line, headers and the
//    Content-Length (or chunked) body; one request outstanding per
//    connection, so for this door concurrency = connections.
// A call is OK when it is answered 200 with the expected answer (grpc-h2:
// grpc-status 0, the body the expected bytes; else the status's name); otherwise
// it counts under Connect's error code (upper case, as gRPC's names:
// PERMISSION_DENIED), BAD_ANSWER (200 without the payload), HTTP_<status>
// (no Connect error object), UNAVAILABLE (the connection failed; it is
// opened again) or DEADLINE_EXCEEDED (no answer in the call's timeout).
//
// Example:
//   ConnectCall call = EchoConnectCall(100, 2000);
//   auto load = ConnectLoad::Open(Door::kConnectH2, files, "127.0.0.1:8443", call, {10, 10});
//   if (!load.ok()) return ...;
//   (*load)->Start(measure_from, end);
//   ConnectTally tally = (*load)->Wait();
#ifndef NDXP_BENCH_CONNECT_LOAD_H_
#define NDXP_BENCH_CONNECT_LOAD_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bench/latency_histogram.h"
#include "common/tls/openssl_ptr.h"
#include "ndxp/config/v1/common.pb.h"

namespace ndxp::bench {

// kGrpcH2 is gRPC through this file's HTTP/2 client: the gRPC door loaded by
// the same client as the JSON door's, for comparing the doors alone.
enum class Door { kGrpc, kConnectH2, kConnectH1, kGrpcH2 };

// What every call sends and what its answer must hold.
struct ConnectCall {
  std::string path = "/ndxp.bench.v1.Echo/Echo";
  std::string authority = "localhost";
  std::string body;  // the request, JSON
  // The base64 string the answer's "payload" must be; empty: any 200 answer
  // that is a JSON object is OK.
  std::string expected_payload;
  std::vector<std::pair<std::string, std::string>> headers;  // --metadata, names lower case
  int timeout_ms = 10000;  // sent as Connect-Timeout-Ms, and the socket's read timeout
  bool grpc = false;       // body is a gRPC frame; expected_answer the answer's whole body
  std::string expected_answer;
};

// A gRPC call of `message` (serialized), its answer expected to be the same
// bytes (Echo's request and response are both {bytes payload = 1}).
ConnectCall EchoGrpcCall(const std::string& message, int timeout_ms);

// The name of gRPC status `code` ("OK", "PERMISSION_DENIED", ...).
std::string GrpcCodeName(int code);

// EchoRequest{payload: payload_bytes of 'x'} in protobuf's JSON mapping, and
// the answer the echo connector gives back.
ConnectCall EchoConnectCall(int payload_bytes, int timeout_ms);

// What one answer counts as: "OK", or the error names above.
std::string AnswerCode(int http_status, absl::string_view body, absl::string_view expected_payload);

// A run's figures. Not thread-safe: each connection's thread fills its own,
// merged afterwards.
struct ConnectTally {
  LatencyHistogram histogram;                // measured calls answered OK
  std::map<std::string, uint64_t> errors;    // measured calls that failed, by name
  std::map<std::string, uint64_t> answered;  // every answer of the run, warm-up included
  void Merge(const ConnectTally& other);
};

// The connections of one run and their threads. Open, then Start once, then
// Wait once; not thread-safe itself.
class ConnectLoad {
 public:
  using Clock = std::chrono::steady_clock;

  // Opens one connection (TCP, TLS with the client certificate, ALPN checked)
  // per entry of calls_per_connection to `target` (HOST:PORT); the entry is
  // its calls in flight (1 for connect-h1). UNAVAILABLE if one cannot be
  // opened, INVALID_ARGUMENT for unreadable TLS files.
  static absl::StatusOr<std::unique_ptr<ConnectLoad>> Open(
      Door door, const config::v1::TlsFiles& files, const std::string& target,
      const ConnectCall& call, const std::vector<int>& calls_per_connection);
  ~ConnectLoad();

  // Starts the loops: calls are issued until `end`; those started at or
  // after `measure_from` and answered by `end` are measured.
  void Start(Clock::time_point measure_from, Clock::time_point end);
  // Blocks until every loop has ended (the calls in flight at `end`
  // answered or timed out); their figures merged.
  ConnectTally Wait();

  class Connection;

 private:
  ConnectLoad() = default;

  Door door_ = Door::kConnectH2;
  ConnectCall call_;
  std::string host_, port_;
  SslCtxPtr context_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::thread> threads_;
};

}  // namespace ndxp::bench

#endif  // NDXP_BENCH_CONNECT_LOAD_H_
